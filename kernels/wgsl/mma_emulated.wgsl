// flash-mma prelude, stand-in build for adapters without subgroup matrices (CI's lavapipe): the same names as
// mma_native.wgsl with the same meaning, in plain f16/f32 code. A matrix is spread over the 32 invocations of its
// subgroup as on the matrix units: invocation `lane` holds elements lane·8 .. lane·8 + 7 of the row-major 16×16
// tile. A product exchanges its operands through one workgroup slot per subgroup, between two barriers: every
// matrix call of the forward sits in control flow uniform across the workgroup (the stand-in build addresses a
// subgroup's blocks with computed offsets, not the native build's switch over the subgroup). Products are f16×f16
// in f32, sums in f32, as on the matrix units. For checking tiling, indexing and masking only.
//
// (Every invocation holding whole 16×16 tiles, as this build first did, took a software driver minutes per
// pipeline to compile at the larger head dims: CI's head-dim tier alone ran about an hour from a cold shader cache.)
struct MatL { v: array<f16, 8> }
struct MatR { v: array<f16, 8> }
struct MatAcc { v: array<f32, 8> }

// One slot per subgroup: a 16×16 left operand, then a 16×16 right one.
var<workgroup> mmaAB: array<f16, NSG * 512u>;
var<private> mSg: u32;
var<private> mLane: u32;
// Loop bounds of 8 and 128 that the compiler cannot see as constants: the software driver inlines every call, and
// loops with constant bounds would be unrolled at each of the forward's call sites (as in mma_bwd_emulated.wgsl).
var<private> mEight: u32;
var<private> mProducts: u32;

// Which subgroup and lane this invocation is (the native build needs nothing).
fn matrixInit(lid: u32) {
  mSg = lid / 32u;
  mLane = lid % 32u;
  // P.nq is never 2³² − 1, but only at run time.
  mEight = select(8u, 9u, P.nq == 0xffffffffu);
  mProducts = select(128u, 129u, P.nq == 0xffffffffu);
}

// v where ok, else zeros. (The native prelude selects two 32-bit words instead, for the H200's driver; a plain select
// is what a software driver compiles fastest.)
fn halvesIf(v: vec4<f16>, ok: bool) -> vec4<f16> {
  return select(vec4<f16>(0.0), v, ok);
}

fn zeroAcc() -> MatAcc { return MatAcc(); }

fn mma(a: MatL, b: MatR, c: MatAcc) -> MatAcc {
  let base = mSg * 512u;
  workgroupBarrier();   // every invocation has read the slot's previous operands
  for (var t = 0u; t < mEight; t++) {
    mmaAB[base + mLane * 8u + t] = a.v[t];
    mmaAB[base + 256u + mLane * 8u + t] = b.v[t];
  }
  workgroupBarrier();
  var out = c;
  let i = mLane / 2u;
  let j0 = (mLane % 2u) * 8u;
  for (var e = 0u; e < mProducts; e++) {
    let t = e / 16u;
    let kk = e % 16u;
    out.v[t] += f32(mmaAB[base + i * 16u + kk]) * f32(mmaAB[base + 256u + kk * 16u + j0 + t]);
  }
  return out;
}

// My element t of a tile at `off`: (row, column) = ((lane·8 + t) / 16, (lane·8 + t) % 16); row-major reads
// row·stride + column, column-major column·stride + row.
fn rowMajorAt(off: u32, stride: u32, t: u32) -> u32 { return off + (mLane / 2u) * stride + (mLane % 2u) * 8u + t; }
fn colMajorAt(off: u32, stride: u32, t: u32) -> u32 { return off + ((mLane % 2u) * 8u + t) * stride + mLane / 2u; }

// P (and Q before the key loop) from ps, row-major.
fn loadP(off: u32, stride: u32) -> MatL {
  var m: MatL;
  for (var t = 0u; t < mEight; t++) { m.v[t] = ps[rowMajorAt(off, stride, t)]; }
  return m;
}
// Kᵀ from the K tile ([key][d]): column-major.
fn loadKt(off: u32, stride: u32) -> MatR {
  var m: MatR;
  for (var t = 0u; t < mEight; t++) { m.v[t] = kt[colMajorAt(off, stride, t)]; }
  return m;
}
// V from the transposed tile ([d][key]): column-major.
fn loadV(off: u32, stride: u32) -> MatR {
  var m: MatR;
  for (var t = 0u; t < mEight; t++) { m.v[t] = vt[colMajorAt(off, stride, t)]; }
  return m;
}
// V from the tile as it lies ([key][d]): row-major.
fn loadVrow(off: u32, stride: u32) -> MatR {
  var m: MatR;
  for (var t = 0u; t < mEight; t++) { m.v[t] = vt[rowMajorAt(off, stride, t)]; }
  return m;
}
fn storeS(off: u32, m: MatAcc, stride: u32) {
  for (var t = 0u; t < mEight; t++) { ss[rowMajorAt(off, stride, t)] = m.v[t]; }
}
fn loadS(off: u32, stride: u32) -> MatAcc {
  var m: MatAcc;
  for (var t = 0u; t < mEight; t++) { m.v[t] = ss[rowMajorAt(off, stride, t)]; }
  return m;
}
