// flash-mma backward prelude, stand-in build (after mma_standin.wgsl, the matrix core it shares with the forward's
// stand-in): the names of mma_bwd_native.wgsl with the same meaning. Right operands: src 0 xa, 1 xb.
fn rightAt(b: MatR, k: u32, n: u32) -> f16 {
  let at = b.off + k * b.rs + n * b.cs;
  if (b.src == 0u) { return xa[at]; }
  return xb[at];
}

fn leftA(off: u32, stride: u32) -> MatL {
  var m: MatL;
  for (var kk = 0u; kk < mSixteen; kk++) { m.v[kk] = xa[rowAt(off, stride, kk)]; }
  return m;
}
fn leftB(off: u32, stride: u32) -> MatL {
  var m: MatL;
  for (var kk = 0u; kk < mSixteen; kk++) { m.v[kk] = xb[rowAt(off, stride, kk)]; }
  return m;
}
// Transposed right operands: element (k, n) at n·stride + k (column-major); the others row-major.
fn rightAT(off: u32, stride: u32) -> MatR { return MatR(0u, off, 1u, stride); }
fn rightBT(off: u32, stride: u32) -> MatR { return MatR(1u, off, 1u, stride); }
fn rightA(off: u32, stride: u32) -> MatR { return MatR(0u, off, stride, 1u); }
fn rightB(off: u32, stride: u32) -> MatR { return MatR(1u, off, stride, 1u); }
fn leftP(off: u32, stride: u32) -> MatL {
  var m: MatL;
  for (var kk = 0u; kk < mSixteen; kk++) { m.v[kk] = pt[rowAt(off, stride, kk)]; }
  return m;
}
fn storeAcc(off: u32, m: MatAcc, stride: u32) {
  for (var t = 0u; t < mEight; t++) { st[accAt(off, stride, t)] = m.v[t]; }
}
