// Matrix-unit decode prelude, stand-in build (after mma_standin.wgsl, the matrix core the flash-mma stand-ins share):
// the names of decode_mma_native.wgsl with the same meaning. Every right operand lies in kt.
// The row reductions go through workgroup memory here (a subgroup may be narrower than a row's 8 invocations).
var<workgroup> red: array<f32, 128>;
fn rightAt(b: MatR, k: u32, n: u32) -> f16 { return kt[b.off + k * b.rs + n * b.cs]; }
fn loadQ(off: u32) -> MatL {
  var m: MatL;
  for (var kk = 0u; kk < mSixteen; kk++) { m.v[kk] = kt[rowAt(off, KS, kk)]; }
  return m;
}
fn loadKt(off: u32) -> MatR { return MatR(0u, off, 1u, KS); }
fn loadV(off: u32) -> MatR { return MatR(0u, off, KS, 1u); }
fn loadP(off: u32) -> MatL {
  var m: MatL;
  for (var kk = 0u; kk < mSixteen; kk++) { m.v[kk] = ps[rowAt(off, PS, kk)]; }
  return m;
}
fn storeAcc(off: u32, m: MatAcc) {
  for (var t = 0u; t < mEight; t++) { ss[accAt(off, SS, t)] = m.v[t]; }
}
fn loadAcc(off: u32) -> MatAcc {
  var m: MatAcc;
  for (var t = 0u; t < mEight; t++) { m.v[t] = ss[accAt(off, SS, t)]; }
  return m;
}
