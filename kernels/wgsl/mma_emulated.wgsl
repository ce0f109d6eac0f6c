// flash-mma prelude, stand-in build (after mma_standin.wgsl, the matrix core it shares with the backward's stand-in):
// the names of mma_native.wgsl with the same meaning. Right operands: src 0 the K tile (kt), 1 the V tile (vt).
fn rightAt(b: MatR, k: u32, n: u32) -> f16 {
  let at = b.off + k * b.rs + n * b.cs;
  if (b.src == 0u) { return kt[at]; }
  return vt[at];
}

// P (and Q before the key loop) from ps, row-major: my row, all 16 columns.
fn loadP(off: u32, stride: u32) -> MatL {
  var m: MatL;
  for (var kk = 0u; kk < mSixteen; kk++) { m.v[kk] = ps[rowAt(off, stride, kk)]; }
  return m;
}
// Q from the K tile before the key loop, where the plan stages Q through it: row-major, my row.
fn loadQk(off: u32, stride: u32) -> MatL {
  var m: MatL;
  for (var kk = 0u; kk < mSixteen; kk++) { m.v[kk] = kt[rowAt(off, stride, kk)]; }
  return m;
}
// Kᵀ from the K tile ([key][d]): element (d, key) at key·stride + d, column-major.
fn loadKt(off: u32, stride: u32) -> MatR { return MatR(0u, off, 1u, stride); }
// V from the tile as it lies ([key][d]): row-major.
fn loadVrow(off: u32, stride: u32) -> MatR { return MatR(1u, off, stride, 1u); }
fn storeS(off: u32, m: MatAcc, stride: u32) {
  for (var t = 0u; t < mEight; t++) { ss[accAt(off, stride, t)] = m.v[t]; }
}
fn loadS(off: u32, stride: u32) -> MatAcc {
  var m: MatAcc;
  for (var t = 0u; t < mEight; t++) { m.v[t] = ss[accAt(off, stride, t)]; }
  return m;
}
