import { AttentionProblem, effectiveScale } from './problem';
import { neighborVisible, rangeHasHoles, visibleKeyRange } from './mask';

/** Where query row `row` (flat index into [B, Hq, Nq]) lives: its batch, head, position and tensor offsets. */
export interface RowPlace {
  b: number;
  h: number;
  i: number;
  /** Offset of the row in Q (and O, dO, dQ). */
  qBase: number;
  /** Offset of its key/value head's first key in K and V. */
  kvBase: number;
}

export function rowPlace(p: AttentionProblem, row: number): RowPlace {
  const i = row % p.seqLenQ;
  const bh = (row - i) / p.seqLenQ;
  const h = bh % p.heads;
  const b = (bh - h) / p.heads;
  const kvh = Math.floor(h / (p.heads / p.kvHeads));
  return { b, h, i, qBase: row * p.headDim, kvBase: (b * p.kvHeads + kvh) * p.seqLenK * p.headDim };
}

/**
 * One row's forward in float64, the single definition both references use: the visible key range from the
 * shared mask rule, scores s_j = softcap(scale·q·k_j) for lo ≤ j < hi (written to `scores`), and the softmax
 * normaliser. `sum` is 0 exactly when the row sees no key.
 */
export function forwardRow(
  p: AttentionProblem,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  at: RowPlace,
  scores: Float64Array,
): { lo: number; hi: number; max: number; sum: number } {
  const d = p.headDim;
  const scale = effectiveScale(p);
  const [lo, hi] = visibleKeyRange(p, at.b, at.i);
  const holes = rangeHasHoles(p);
  let max = -Infinity;
  for (let j = lo; j < hi; j++) {
    // A key masked inside [lo, hi) (2-D neighbourhood) scores −∞: weight 0 in every sum over the range.
    if (holes && !neighborVisible(p, at.i, j)) {
      scores[j] = -Infinity;
      continue;
    }
    let s = 0;
    for (let c = 0; c < d; c++) s += q[at.qBase + c] * k[at.kvBase + j * d + c];
    s *= scale;
    if (p.softcap > 0) s = p.softcap * Math.tanh(s / p.softcap);
    scores[j] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  if (max === -Infinity) return { lo, hi, max, sum: 0 };
  for (let j = lo; j < hi; j++) sum += Math.exp(scores[j] - max);
  return { lo, hi, max, sum };
}

/**
 * Float64 CPU reference with exactly the kernels' semantics. Rows are flat indices into
 * [B, Hq, Nq]; the result holds D values per requested row, in that order.
 */
export function referenceRows(
  p: AttentionProblem,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  rows: ArrayLike<number>,
): Float64Array {
  const d = p.headDim;
  const out = new Float64Array(rows.length * d);
  const scores = new Float64Array(p.seqLenK);
  for (let r = 0; r < rows.length; r++) {
    const at = rowPlace(p, rows[r]);
    const { lo, hi, max, sum } = forwardRow(p, q, k, at, scores);
    // A row that sees no key outputs 0 (not NaN): the kernels follow the same rule.
    if (sum === 0) continue;
    for (let j = lo; j < hi; j++) {
      const w = Math.exp(scores[j] - max) / sum;
      for (let c = 0; c < d; c++) out[r * d + c] += w * v[at.kvBase + j * d + c];
    }
  }
  return out;
}

/** Half-open range [lo, hi) of keys that query row i of batch b may attend to (the hull with a neighbourhood). */
export { visibleKeyRange };

/**
 * Rows to check: all of them for small problems, otherwise an even spread that always includes
 * the first and last row of every (batch, head) corner where masks behave differently.
 */
export function sampleRows(p: AttentionProblem, budget = 4096): Uint32Array {
  const total = p.batch * p.heads * p.seqLenQ;
  // The reference costs Nk·D per row; keep a check under ~1e9 multiply-adds.
  const perRow = Math.max(1, p.seqLenK * p.headDim);
  const limit = Math.max(16, Math.min(budget, Math.floor(4e8 / perRow)));
  if (total <= limit) return Uint32Array.from({ length: total }, (_, r) => r);
  const picked = new Set<number>();
  const last = p.seqLenQ - 1;
  for (const b of [0, p.batch - 1]) {
    for (const h of [0, p.heads - 1]) {
      const base = (b * p.heads + h) * p.seqLenQ;
      picked.add(base);
      picked.add(base + last);
    }
  }
  const step = total / (limit - picked.size);
  for (let x = step / 2; x < total && picked.size < limit; x += step) picked.add(Math.floor(x));
  return Uint32Array.from([...picked].sort((a, b) => a - b));
}

/**
 * Max relative error: max |got − want| / max(max |want|, floor) — relative to the output's scale, as the report
 * states (`floor` guards a reference that is legitimately all zero).
 */
export function maxRelativeError(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-30): number {
  let maxAbsWant = 0;
  for (let i = 0; i < want.length; i++) maxAbsWant = Math.max(maxAbsWant, Math.abs(want[i]));
  const denom = Math.max(maxAbsWant, floor, 1e-30);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    // A non-finite output is a failure even where the reference is non-finite too: never averaged away,
    // never "equal" because both sides share a rule.
    if (!Number.isFinite(got[i])) return Number.NaN;
    const e = Math.abs(got[i] - want[i]);
    if (Number.isNaN(e)) return Number.NaN;
    if (e > worst) worst = e;
  }
  return worst / denom;
}
