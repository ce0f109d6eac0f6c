// flash-mma backward prelude, stand-in build for adapters without subgroup matrices (CI's lavapipe): the same
// names as mma_bwd_native.wgsl with the same meaning, in plain f16/f32 code, for checking tiling, indexing and
// masking. Products are f16×f16 in f32, sums in f32, as on the matrix units. As in the forward's stand-in
// (mma_emulated.wgsl): invocation `lane` of a subgroup holds, of a product S = A·B, the eight results
// S[lane / 2][(lane % 2)·8 ..] and the whole row A[lane / 2][..]; a right operand B is where it lies in workgroup
// memory (xa or xb, offset, row and column strides), read when the product is computed — every right operand of the
// passes is loaded in the product's own statement. No exchange between invocations, so no barriers and no scratch:
// the plan is the native build's. (With the operands exchanged through workgroup memory, one barrier per product,
// a software driver took about three minutes per test to compile the passes from a cold shader cache.)
struct MatL { v: array<f16, 16> }
// src: 0 xa, 1 xb; element (k, n) at off + k·rs + n·cs.
struct MatR { src: u32, off: u32, rs: u32, cs: u32 }
struct MatAcc { v: array<f32, 8> }

var<private> mLane: u32;
// Loop bounds of 8, 16 and 128 that the compiler cannot see as constants: the software driver inlines every call,
// and loops with constant bounds are unrolled at each of the passes' dozens of call sites (measured on lavapipe:
// 73 s → 14 s to compile the dQ pass).
var<private> mEight: u32;
var<private> mSixteen: u32;
var<private> mProducts: u32;

// Which lane of its subgroup this invocation is (the native build needs nothing).
fn matrixInit(lid: u32) {
  mLane = lid % 32u;
  // P.nq is never 2³² − 1, but only at run time.
  let never = P.nq == 0xffffffffu;
  mEight = select(8u, 9u, never);
  mSixteen = select(16u, 17u, never);
  mProducts = select(128u, 129u, never);
}

// v where ok, else zeros. (The native prelude selects two 32-bit words instead, for the H200's driver; lavapipe compiled
// the backward passes with that form several times slower.)
fn halvesIf(v: vec4<f16>, ok: bool) -> vec4<f16> {
  return select(vec4<f16>(0.0), v, ok);
}

fn zeroAcc() -> MatAcc { return MatAcc(); }

fn rightAt(b: MatR, k: u32, n: u32) -> f16 {
  let at = b.off + k * b.rs + n * b.cs;
  if (b.src == 0u) { return xa[at]; }
  return xb[at];
}

fn mma(a: MatL, b: MatR, c: MatAcc) -> MatAcc {
  var out = c;
  let j0 = (mLane % 2u) * 8u;
  for (var e = 0u; e < mProducts; e++) {
    let t = e / 16u;
    let kk = e % 16u;
    out.v[t] += f32(a.v[kk]) * f32(rightAt(b, kk, j0 + t));
  }
  return out;
}

// My row of a left operand at `off` (row-major), all 16 columns.
fn rowAt(off: u32, stride: u32, kk: u32) -> u32 { return off + (mLane / 2u) * stride + kk; }
// My element t of a result tile at `off` (row-major): (lane / 2, (lane % 2)·8 + t).
fn accAt(off: u32, stride: u32, t: u32) -> u32 { return off + (mLane / 2u) * stride + (mLane % 2u) * 8u + t; }

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
