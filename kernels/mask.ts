/**
 * The mask rule on the host: a line-for-line port of wgsl/mask.wgsl (the float64 reference, the visible-pair
 * count and the block-skipping count use it, so they agree with the kernels by construction). The semantics of
 * each mask kind are stated once, on `AttentionProblem` in problem.ts.
 */
/** The 2-D neighbourhood's parameters (its meaning: `AttentionProblem.neighborhood` in problem.ts). */
export interface NeighborhoodMask {
  radius: number;
  rows: number;
  cols: number;
}

/** What the mask rule reads of an attention problem (an `AttentionProblem` is one). */
export interface MaskedProblem {
  seqLenQ: number;
  seqLenK: number;
  causal: boolean;
  window: number;
  kvLens?: Int32Array;
  docBounds?: Int32Array;
  neighborhood?: NeighborhoodMask;
}

/** Tokens before the patch grid (class/register tokens): they see every key and every query sees them. */
export function gridStart(p: MaskedProblem): number {
  const g = p.neighborhood;
  return g ? p.seqLenK - g.rows * g.cols : 0;
}

/** Half-open [lo, hi) of the keys visible to query row i of batch b; exact for contiguous masks, the hull with a neighbourhood. */
export function visibleKeyRange(p: MaskedProblem, b: number, i: number): [number, number] {
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
  const g = p.neighborhood;
  if (g) {
    const start = gridStart(p);
    if (pos >= start) {
      const r = Math.floor((pos - start) / g.cols);
      if (start === 0) lo = Math.max(lo, Math.max(0, r - g.radius + 1) * g.cols);
      hi = Math.min(hi, start + Math.min(g.rows, r + g.radius) * g.cols);
    }
  }
  return [lo, Math.max(lo, hi)];
}

/** True when keys inside visibleKeyRange may still be masked (a neighbourhood leaves holes in each row). */
export function rangeHasHoles(p: MaskedProblem): boolean {
  return p.neighborhood !== undefined;
}

/** The neighbourhood rule alone: class/register tokens see and are seen by all; patches within radius in both axes. */
export function neighborVisible(p: MaskedProblem, i: number, j: number): boolean {
  const g = p.neighborhood;
  if (!g) return true;
  const start = gridStart(p);
  const pos = i + p.seqLenK - p.seqLenQ;
  if (pos < start || j < start) return true;
  const a = pos - start;
  const c = j - start;
  return Math.abs(Math.floor(a / g.cols) - Math.floor(c / g.cols)) < g.radius && Math.abs((a % g.cols) - (c % g.cols)) < g.radius;
}

/** The exact rule: does query row i of batch b see key j? */
export function keyVisible(p: MaskedProblem, b: number, i: number, j: number): boolean {
  const [lo, hi] = visibleKeyRange(p, b, i);
  return j >= lo && j < hi && neighborVisible(p, i, j);
}

/** [lo, hi) covering every key that any of the query rows i0..i1 sees (the loop bounds of a query tile). */
export function rowsHull(p: MaskedProblem, b: number, i0: number, i1: number): [number, number] {
  // Contiguous masks: lo and hi never decrease with the row (document bounds included), so the first and last
  // rows span the hull. The neighbourhood's bounds also never decrease over patch rows; a class token row sees all.
  const lo = visibleKeyRange(p, b, i0)[0];
  let hi = visibleKeyRange(p, b, i1)[1];
  if (p.neighborhood && i0 + p.seqLenK - p.seqLenQ < gridStart(p)) hi = contiguousRange(p, b, i1)[1];
  return [lo, Math.max(lo, hi)];
}

function contiguousRange(p: MaskedProblem, b: number, i: number): [number, number] {
  return visibleKeyRange({ ...p, neighborhood: undefined }, b, i);
}

/**
 * False only when no pair of query rows [i0, i1] × keys [j0, j1] (inclusive) is visible: the tile is skipped.
 * Exact for one mask kind at a time; when several combine it may say true for a tile in which none is visible.
 */
export function tileVisible(p: MaskedProblem, b: number, i0: number, i1: number, j0: number, j1: number): boolean {
  const [lo, hi] = rowsHull(p, b, i0, i1);
  if (lo > j1 || hi <= j0 || lo >= hi) return false;
  const g = p.neighborhood;
  if (!g) return true;
  const start = gridStart(p);
  const shift = p.seqLenK - p.seqLenQ;
  if (i0 + shift < start || j0 < start) return true;
  const qs = segments(i0 + shift - start, i1 + shift - start, g.cols);
  const ks = segments(j0 - start, j1 - start, g.cols);
  for (const a of qs) {
    for (const c of ks) {
      const rowGap = Math.max(0, a[0] - c[1], c[0] - a[1]);
      const colGap = Math.max(0, a[2] - c[3], c[2] - a[3]);
      if (rowGap < g.radius && colGap < g.radius) return true;
    }
  }
  return false;
}

/** Patches p0..p1 of a grid `cols` wide as at most 3 rectangles [row0, row1, col0, col1]. */
function segments(p0: number, p1: number, cols: number): [number, number, number, number][] {
  const r0 = Math.floor(p0 / cols);
  const r1 = Math.floor(p1 / cols);
  if (r0 === r1) return [[r0, r0, p0 % cols, p1 % cols]];
  const out: [number, number, number, number][] = [[r0, r0, p0 % cols, cols - 1], [r1, r1, 0, p1 % cols]];
  if (r1 > r0 + 1) out.push([r0 + 1, r1 - 1, 0, cols - 1]);
  return out;
}

/** Keys query row i of batch b sees (the exact count, in O(radius) per row). */
export function visibleKeyCount(p: MaskedProblem, b: number, i: number): number {
  const [lo, hi] = visibleKeyRange(p, b, i);
  const g = p.neighborhood;
  if (!g || hi <= lo) return Math.max(0, hi - lo);
  const start = gridStart(p);
  const pos = i + p.seqLenK - p.seqLenQ;
  if (pos < start) return hi - lo;
  const overlap = (a0: number, a1: number) => Math.max(0, Math.min(hi, a1) - Math.max(lo, a0));
  let n = overlap(0, start);
  const r = Math.floor((pos - start) / g.cols);
  const c = (pos - start) % g.cols;
  const c0 = Math.max(0, c - g.radius + 1);
  const c1 = Math.min(g.cols, c + g.radius);
  for (let rr = Math.max(0, r - g.radius + 1); rr < Math.min(g.rows, r + g.radius); rr++) {
    n += overlap(start + rr * g.cols + c0, start + rr * g.cols + c1);
  }
  return n;
}
