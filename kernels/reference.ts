import { AttentionProblem, effectiveScale } from './problem';

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
  const { heads, kvHeads, seqLenQ: nq, seqLenK: nk, headDim: d } = p;
  const group = heads / kvHeads;
  const scale = effectiveScale(p);
  const out = new Float64Array(rows.length * d);
  const scores = new Float64Array(nk);
  const acc = new Float64Array(d);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const i = row % nq;
    const bh = (row - i) / nq;
    const h = bh % heads;
    const b = (bh - h) / heads;
    const kvBase = (b * kvHeads + Math.floor(h / group)) * nk * d;
    const qBase = row * d;
    const [lo, hi] = visibleKeyRange(p, b, i);
    let max = -Infinity;
    for (let j = lo; j < hi; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += q[qBase + c] * k[kvBase + j * d + c];
      s *= scale;
      if (p.softcap > 0) s = p.softcap * Math.tanh(s / p.softcap);
      scores[j] = s;
      if (s > max) max = s;
    }
    acc.fill(0);
    let sum = 0;
    for (let j = lo; j < hi; j++) {
      const w = Math.exp(scores[j] - max);
      sum += w;
      for (let c = 0; c < d; c++) acc[c] += w * v[kvBase + j * d + c];
    }
    // A row that sees no key outputs 0 (not NaN): the kernels follow the same rule.
    for (let c = 0; c < d; c++) out[r * d + c] = sum > 0 ? acc[c] / sum : 0;
  }
  return out;
}

/** Half-open range [lo, hi) of keys that query row i of batch b may attend to. */
export function visibleKeyRange(p: AttentionProblem, b: number, i: number): [number, number] {
  const pos = i + p.seqLenK - p.seqLenQ;
  let hi = p.seqLenK;
  if (p.kvLens) hi = Math.min(hi, Math.max(0, p.kvLens[b]));
  if (p.causal || p.window > 0) hi = Math.min(hi, pos + 1);
  let lo = p.window > 0 ? Math.max(0, pos - p.window + 1) : 0;
  if (p.docBounds) {
    const at = 2 * (b * p.seqLenQ + i);
    lo = Math.max(lo, p.docBounds[at]);
    hi = Math.min(hi, p.docBounds[at + 1]);
  }
  return [lo, Math.max(lo, hi)];
}

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

/** Max relative error: max |got − want| / max(max |want|, tiny) — relative to the output's scale, as the report states. */
export function maxRelativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let maxAbsWant = 0;
  for (let i = 0; i < want.length; i++) maxAbsWant = Math.max(maxAbsWant, Math.abs(want[i]));
  const denom = Math.max(maxAbsWant, 1e-30);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (Number.isNaN(e)) return Number.NaN; // a NaN anywhere is a failure, never averaged away
    if (e > worst) worst = e;
  }
  return worst / denom;
}
