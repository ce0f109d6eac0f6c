// The mask rule, one definition for every kernel (kernels/mask.ts is its line-for-line port on the host: the
// float64 reference, the visible-pair count and the block-skipping count use it). What each mask kind means is
// stated once, on `AttentionProblem` in kernels/problem.ts. Every kernel that includes this binds `kvLens` and
// `docBounds` (16-byte dummies when unused). Rows i are query positions in [0, nq); keys j in [0, nk).
//
// The API (call only these; the Params fields behind them may change):
//   visibleRange(b, i) -> vec2<u32>  [lo, hi) of the keys row i sees: exact for the contiguous masks (causal,
//                                     window, key lengths, documents), the hull when rangeHasHoles().
//   rangeHasHoles() -> bool           uniform: keys inside [lo, hi) may still be masked (2-D neighbourhood);
//                                     then test each key with keyVisible. False: [lo, hi) is exact.
//   keyVisible(b, i, j) -> bool       the exact rule for one (query, key) pair.
//   neighborVisible(i, j) -> bool     what keyVisible adds to j ∈ visibleRange(b, i) when rangeHasHoles(): a kernel
//                                     that already masked by [lo, hi) tests only this for the holes.
//   rowsHull(b, i0, i1) -> vec2<u32>  [lo, hi) covering every key any row i0..i1 sees: a query tile's loop bounds.
//   tileVisible(b, i0, i1, j0, j1) -> bool
//                                     false only when no pair of rows [i0, i1] × keys [j0, j1] (inclusive) is
//                                     visible: skip that K/V tile before loading it. Exact for one mask kind at a
//                                     time; may be true for an invisible tile when several kinds combine.
//   tileVisibleIn(hull, b, i0, i1, j0, j1) -> bool
//                                     the same with hull = rowsHull(b, i0, i1) computed by the caller: a loop over
//                                     the key tiles of one block of rows computes it once.
// All of them return values uniform across a workgroup when their arguments are (they read only P, kvLens and
// docBounds), so a tile skip may sit in front of workgroup barriers.

// Keys [lo, hi) row i sees under causal, window, key lengths and documents: lo and hi never decrease with i.
fn contiguousRange(b: u32, i: u32) -> vec2<i32> {
  let pos = i32(i) + i32(P.nk) - i32(P.nq);
  var hi = i32(P.nk);
  if (P.useKvLens != 0u) { hi = min(hi, kvLens[b]); }
  if (P.causal != 0u || P.window > 0u) { hi = min(hi, pos + 1); }
  var lo = 0;
  if (P.window > 0u) { lo = max(0, pos - i32(P.window) + 1); }
  if (P.useDocs != 0u) {
    // Packed rows: only the query's own document. Its bounds never decrease along the row, so lo and hi
    // stay non-decreasing in i and the hull of a block of rows is spanned by its first and last rows.
    let at = 2u * (b * P.nq + i);
    lo = max(lo, docBounds[at]);
    hi = min(hi, docBounds[at + 1u]);
  }
  return vec2<i32>(lo, hi);
}

fn rangeHasHoles() -> bool {
  return P.gridRadius > 0u;
}

// Tokens before the patch grid (class/register tokens).
fn gridStart() -> u32 {
  return P.nk - P.gridRows * P.gridCols;
}

fn visibleRange(b: u32, i: u32) -> vec2<u32> {
  let c = contiguousRange(b, i);
  var lo = c.x;
  var hi = c.y;
  if (rangeHasHoles()) {
    let start = gridStart();
    let pos = i + P.nk - P.nq;
    if (pos >= start) {
      let r = (pos - start) / P.gridCols;
      if (start == 0u) { lo = max(lo, i32(select(0u, r + 1u - P.gridRadius, r + 1u > P.gridRadius) * P.gridCols)); }
      hi = min(hi, i32(start + min(P.gridRows, r + P.gridRadius) * P.gridCols));
    }
  }
  hi = max(hi, lo);
  return vec2<u32>(u32(lo), u32(hi));
}

// The neighbourhood alone: class/register tokens see and are seen by all; patches within the radius in both axes.
fn neighborVisible(i: u32, j: u32) -> bool {
  let start = gridStart();
  let pos = i + P.nk - P.nq;
  if (pos < start || j < start) { return true; }
  let a = pos - start;
  let c = j - start;
  let dr = max(a / P.gridCols, c / P.gridCols) - min(a / P.gridCols, c / P.gridCols);
  let dc = max(a % P.gridCols, c % P.gridCols) - min(a % P.gridCols, c % P.gridCols);
  return dr < P.gridRadius && dc < P.gridRadius;
}

fn keyVisible(b: u32, i: u32, j: u32) -> bool {
  let range = visibleRange(b, i);
  return j >= range.x && j < range.y && (!rangeHasHoles() || neighborVisible(i, j));
}

fn rowsHull(b: u32, i0: u32, i1: u32) -> vec2<u32> {
  let lo = visibleRange(b, i0).x;
  var hi = visibleRange(b, i1).y;
  // A class-token row sees every key its contiguous masks allow; those bounds never decrease with the row.
  if (rangeHasHoles() && i0 + P.nk - P.nq < gridStart()) { hi = u32(max(contiguousRange(b, i1).y, 0)); }
  return vec2<u32>(lo, max(lo, hi));
}

// Patches p0..p1 of the grid as at most 3 rectangles (row0, row1, col0, col1); n says how many are real.
struct GridSegments {
  s: array<vec4<u32>, 3>,
  n: u32,
}

fn gridSegments(p0: u32, p1: u32) -> GridSegments {
  let w = P.gridCols;
  let r0 = p0 / w;
  let r1 = p1 / w;
  var out: GridSegments;
  if (r0 == r1) {
    out.s[0] = vec4<u32>(r0, r0, p0 % w, p1 % w);
    out.n = 1u;
    return out;
  }
  out.s[0] = vec4<u32>(r0, r0, p0 % w, w - 1u);
  out.s[1] = vec4<u32>(r1, r1, 0u, p1 % w);
  out.s[2] = vec4<u32>(r0 + 1u, r1 - 1u, 0u, w - 1u);
  out.n = select(2u, 3u, r1 > r0 + 1u);
  return out;
}

fn tileVisible(b: u32, i0: u32, i1: u32, j0: u32, j1: u32) -> bool {
  return tileVisibleIn(rowsHull(b, i0, i1), b, i0, i1, j0, j1);
}

fn tileVisibleIn(hull: vec2<u32>, b: u32, i0: u32, i1: u32, j0: u32, j1: u32) -> bool {
  if (hull.x > j1 || hull.y <= j0 || hull.x >= hull.y) { return false; }
  if (!rangeHasHoles()) { return true; }
  let start = gridStart();
  let shift = P.nk - P.nq;
  if (i0 + shift < start || j0 < start) { return true; }
  let qs = gridSegments(i0 + shift - start, i1 + shift - start);
  let ks = gridSegments(j0 - start, j1 - start);
  for (var x = 0u; x < qs.n; x++) {
    for (var y = 0u; y < ks.n; y++) {
      let a = qs.s[x];
      let c = ks.s[y];
      // Gap between two intervals: 0 when they overlap (u32: compare before subtracting).
      let rowGap = select(0u, select(c.x - a.y, a.x - c.y, a.x > c.y), a.x > c.y || c.x > a.y);
      let colGap = select(0u, select(c.z - a.w, a.z - c.w, a.z > c.w), a.z > c.w || c.z > a.w);
      if (rowGap < P.gridRadius && colGap < P.gridRadius) { return true; }
    }
  }
  return false;
}
