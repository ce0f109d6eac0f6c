// The mask rule, one definition for every kernel (the float64 reference implements the same).
// Half-open range [lo, hi) of keys visible to query row i of batch b. Every kernel that includes it binds
// `kvLens` and `docBounds` (16-byte dummies when unused).
fn visibleRange(b: u32, i: u32) -> vec2<u32> {
  let pos = i32(i) + i32(P.nk) - i32(P.nq);
  var hi = i32(P.nk);
  if (P.useKvLens != 0u) { hi = min(hi, kvLens[b]); }
  if (P.causal != 0u || P.window > 0u) { hi = min(hi, pos + 1); }
  var lo = 0;
  if (P.window > 0u) { lo = max(0, pos - i32(P.window) + 1); }
  if (P.useDocs != 0u) {
    // Packed rows: only the query's own document. Its bounds never decrease along the row, so lo and hi
    // stay non-decreasing in i and the flash kernels' workgroup hull remains valid.
    let at = 2u * (b * P.nq + i);
    lo = max(lo, docBounds[at]);
    hi = min(hi, docBounds[at + 1u]);
  }
  hi = max(hi, lo);
  return vec2<u32>(u32(lo), u32(hi));
}

