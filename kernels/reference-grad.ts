import { AttentionProblem, effectiveScale } from './problem';
import { forwardRow, rowPlace, RowPlace, visibleKeyRange } from './reference';

/**
 * Float64 reference gradients of attention, with exactly the forward reference's semantics (it calls the same
 * `forwardRow`, so the same mask rule). For a loss L with dL/dO = dO, per query row i of head h:
 *   P_ij = softmax_j(s_ij),  s_ij = softcap(scale·q_i·k_j) over the visible keys,
 *   dP_ij = dO_i·v_j,  D_i = Σ_j P_ij·dP_ij (= dO_i·O_i),
 *   dX_ij = P_ij·(dP_ij − D_i)·(1 − (s_ij/C)²)   (the last factor only with a softcap C: d tanh = 1 − tanh²),
 *   dQ_i = scale·Σ_j dX_ij·k_j,  dK_j = scale·Σ_(h,i) dX_ij·q_i,  dV_j = Σ_(h,i) P_ij·dO_i,
 * where dK and dV sum over every query head of the key/value head's GQA group. A row that sees no key has
 * zero output, so it contributes nothing and its dQ is zero.
 */
export interface ReferenceGradients {
  /** D values per requested row, in the order of `rows`. */
  dq: Float64Array;
  /** D values per requested key, in the order of `keys`. */
  dk: Float64Array;
  dv: Float64Array;
}

interface RowBackward {
  lo: number;
  hi: number;
}

/** Per-key scratch of one row (length Nk each). */
interface RowScratch {
  probs: Float64Array;
  dx: Float64Array;
  slope: Float64Array;
}

/** One row's backward: P_ij into `probs` and dX_ij into `dx` for lo ≤ j < hi. */
function backwardRow(
  p: AttentionProblem,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  dout: ArrayLike<number>,
  at: RowPlace,
  { probs, dx, slope }: RowScratch,
): RowBackward {
  const d = p.headDim;
  const { lo, hi, max, sum } = forwardRow(p, q, k, at, probs);
  if (sum === 0) return { lo, hi: lo };
  let rowDot = 0;
  for (let j = lo; j < hi; j++) {
    const s = probs[j];
    const pj = Math.exp(s - max) / sum;
    probs[j] = pj;
    let dp = 0;
    for (let c = 0; c < d; c++) dp += dout[at.qBase + c] * v[at.kvBase + j * d + c];
    dx[j] = dp;
    rowDot += pj * dp;
    // Keep the capped score's derivative factor until D_i is known (dx holds dP for now).
    if (p.softcap > 0) {
      // A key masked inside [lo, hi) scores −∞ (probability 0): its slope must not turn 0·∞ into NaN.
      const t = Number.isFinite(s) ? s / p.softcap : 0;
      slope[j] = 1 - t * t;
    }
  }
  for (let j = lo; j < hi; j++) {
    // A masked-out key (2-D neighbourhood: score −∞, weight 0) has no gradient; its softcap slope is −∞.
    dx[j] = probs[j] === 0 ? 0 : probs[j] * (dx[j] - rowDot) * (p.softcap > 0 ? slope[j] : 1);
  }
  return { lo, hi };
}

export function referenceGradients(
  p: AttentionProblem,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  dout: ArrayLike<number>,
  rows: ArrayLike<number>,
  keys: ArrayLike<number>,
): ReferenceGradients {
  const d = p.headDim;
  const nk = p.seqLenK;
  const scale = effectiveScale(p);
  const scratch: RowScratch = { probs: new Float64Array(nk), dx: new Float64Array(nk), slope: new Float64Array(nk) };
  const { probs, dx } = scratch;
  const dq = new Float64Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) {
    const at = rowPlace(p, rows[r]);
    const { lo, hi } = backwardRow(p, q, k, v, dout, at, scratch);
    for (let j = lo; j < hi; j++) {
      const w = scale * dx[j];
      for (let c = 0; c < d; c++) dq[r * d + c] += w * k[at.kvBase + j * d + c];
    }
  }

  // dK, dV: per key/value head, every query row of its group that sees one of the requested keys.
  const dk = new Float64Array(keys.length * d);
  const dv = new Float64Array(keys.length * d);
  const byPair = new Map<number, { j: number; slot: number }[]>();
  for (let s = 0; s < keys.length; s++) {
    const pair = Math.floor(keys[s] / nk);
    const list = byPair.get(pair) ?? [];
    list.push({ j: keys[s] % nk, slot: s });
    byPair.set(pair, list);
  }
  const group = p.heads / p.kvHeads;
  for (const [pair, wanted] of byPair) {
    const b = Math.floor(pair / p.kvHeads);
    const kvh = pair % p.kvHeads;
    for (let h = kvh * group; h < (kvh + 1) * group; h++) {
      for (let i = 0; i < p.seqLenQ; i++) {
        const [lo, hi] = visibleKeyRange(p, b, i);
        if (!wanted.some(({ j }) => j >= lo && j < hi)) continue;
        const at = rowPlace(p, (b * p.heads + h) * p.seqLenQ + i);
        const row = backwardRow(p, q, k, v, dout, at, scratch);
        for (const { j, slot } of wanted) {
          if (j < row.lo || j >= row.hi) continue;
          const wv = probs[j];
          const wk = scale * dx[j];
          for (let c = 0; c < d; c++) {
            dv[slot * d + c] += wv * dout[at.qBase + c];
            dk[slot * d + c] += wk * q[at.qBase + c];
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}

/**
 * Which gradients a check compares: rows of dQ (flat [B, Hq, Nq]) and keys of dK/dV (flat [B, Hkv, Nk]).
 * Everything for small problems; for large ones an even spread of rows, and the keys of the first and last
 * (batch, key/value head) pairs — a key's gradient needs every query row of its group, so keys are checked a
 * whole head at a time, as many heads as the budget (float64 multiply-adds) allows.
 */
export function sampleGradients(p: AttentionProblem, budget = 1.5e9): { rows: Uint32Array; keys: Uint32Array } {
  const perRow = 3 * p.seqLenK * p.headDim;
  const totalRows = p.batch * p.heads * p.seqLenQ;
  const rowLimit = Math.max(16, Math.floor(budget / 2 / perRow));
  const rows = new Set<number>();
  if (totalRows <= rowLimit) for (let r = 0; r < totalRows; r++) rows.add(r);
  else {
    for (const b of [0, p.batch - 1]) {
      for (const h of [0, p.heads - 1]) {
        rows.add((b * p.heads + h) * p.seqLenQ);
        rows.add((b * p.heads + h + 1) * p.seqLenQ - 1);
      }
    }
    const step = totalRows / (rowLimit - rows.size);
    for (let x = step / 2; x < totalRows && rows.size < rowLimit; x += step) rows.add(Math.floor(x));
  }
  const pairs = p.batch * p.kvHeads;
  const perPair = (p.heads / p.kvHeads) * p.seqLenQ * perRow;
  const pairLimit = Math.max(1, Math.floor(budget / 2 / perPair));
  const chosen = new Set<number>();
  if (pairs <= pairLimit) for (let x = 0; x < pairs; x++) chosen.add(x);
  else {
    chosen.add(0);
    if (pairLimit > 1) chosen.add(pairs - 1);
    const step = pairs / pairLimit;
    for (let x = step / 2; x < pairs && chosen.size < pairLimit; x += step) chosen.add(Math.floor(x));
  }
  const keys: number[] = [];
  const keyLimit = 64;
  for (const pair of [...chosen].sort((a, b) => a - b)) {
    const base = pair * p.seqLenK;
    if (p.seqLenK <= keyLimit) for (let j = 0; j < p.seqLenK; j++) keys.push(base + j);
    else {
      const picked = new Set<number>([0, p.seqLenK - 1]);
      const step = p.seqLenK / (keyLimit - 2);
      for (let x = step / 2; x < p.seqLenK && picked.size < keyLimit; x += step) picked.add(Math.floor(x));
      for (const j of [...picked].sort((a, b) => a - b)) keys.push(base + j);
    }
  }
  return { rows: Uint32Array.from([...rows].sort((a, b) => a - b)), keys: Uint32Array.from(keys) };
}
