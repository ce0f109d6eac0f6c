// flash-mma backward prelude, stand-in build for adapters without subgroup matrices (CI's lavapipe): the same
// names as mma_bwd_native.wgsl with the same meaning, in plain f16/f32 code. A matrix is spread over the 32
// invocations of its subgroup as on the matrix units: invocation `lane` holds elements lane·8 .. lane·8 + 7 of
// the row-major 16×16 tile. A product exchanges the operands through a small workgroup scratch per subgroup,
// with barriers: every matrix call of the backward passes sits in control flow uniform across the workgroup.
// Products are f16×f16 in f32, sums in f32, as on the matrix units. (Unlike mma_emulated.wgsl, where every
// invocation holds whole tiles, the passes' dozens of fragments and accumulators stay small enough here for a
// software driver to compile.) For checking tiling, indexing and masking only.
struct MatL { v: array<f16, 8> }
struct MatR { v: array<f16, 8> }
struct MatAcc { v: array<f32, 8> }

// Two scratch slots per subgroup, used by alternate products: a product writes its slot, waits at one barrier,
// reads it; the next product writes the other slot, and the one after that rewrites this slot only after every
// invocation has passed the next product's barrier, i.e. has finished reading it.
var<workgroup> mmaA: array<f16, NSG * 512u>;
var<workgroup> mmaB: array<f16, NSG * 512u>;
var<private> mSg: u32;
var<private> mLane: u32;
var<private> mCall: u32;
// Loop bounds of 8 and 128 that the compiler cannot see as constants: the software driver inlines every call,
// and loops with constant bounds are unrolled at each of the passes' dozens of call sites (measured on lavapipe:
// 73 s → 14 s to compile the dQ pass).
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

// v where ok, else zeros. (The native prelude selects two 32-bit words instead, for the H200's driver; lavapipe compiled
// the backward passes with that form several times slower.)
fn halvesIf(v: vec4<f16>, ok: bool) -> vec4<f16> {
  return select(vec4<f16>(0.0), v, ok);
}

fn zeroAcc() -> MatAcc { return MatAcc(); }

fn mma(a: MatL, b: MatR, c: MatAcc) -> MatAcc {
  let base = (mSg * 2u + (mCall & 1u)) * 256u;
  mCall++;
  for (var t = 0u; t < mEight; t++) {
    mmaA[base + mLane * 8u + t] = a.v[t];
    mmaB[base + mLane * 8u + t] = b.v[t];
  }
  workgroupBarrier();
  var out = c;
  let i = mLane / 2u;
  let j0 = (mLane % 2u) * 8u;
  for (var e = 0u; e < mProducts; e++) {
    let t = e / 16u;
    let kk = e % 16u;
    out.v[t] += f32(mmaA[base + i * 16u + kk]) * f32(mmaB[base + kk * 16u + j0 + t]);
  }
  return out;
}

// My element t of a tile at `off`: (row, column) = ((lane·8 + t) / 16, (lane·8 + t) % 16); row-major reads
// row·stride + column, column-major column·stride + row.
fn rowMajorAt(off: u32, stride: u32, t: u32) -> u32 { return off + (mLane / 2u) * stride + (mLane % 2u) * 8u + t; }
fn colMajorAt(off: u32, stride: u32, t: u32) -> u32 { return off + ((mLane % 2u) * 8u + t) * stride + mLane / 2u; }

fn leftA(off: u32, stride: u32) -> MatL {
  var m: MatL;
  for (var t = 0u; t < mEight; t++) { m.v[t] = xa[rowMajorAt(off, stride, t)]; }
  return m;
}
fn leftB(off: u32, stride: u32) -> MatL {
  var m: MatL;
  for (var t = 0u; t < mEight; t++) { m.v[t] = xb[rowMajorAt(off, stride, t)]; }
  return m;
}
fn rightAT(off: u32, stride: u32) -> MatR {
  var m: MatR;
  for (var t = 0u; t < mEight; t++) { m.v[t] = xa[colMajorAt(off, stride, t)]; }
  return m;
}
fn rightBT(off: u32, stride: u32) -> MatR {
  var m: MatR;
  for (var t = 0u; t < mEight; t++) { m.v[t] = xb[colMajorAt(off, stride, t)]; }
  return m;
}
fn rightA(off: u32, stride: u32) -> MatR {
  var m: MatR;
  for (var t = 0u; t < mEight; t++) { m.v[t] = xa[rowMajorAt(off, stride, t)]; }
  return m;
}
fn rightB(off: u32, stride: u32) -> MatR {
  var m: MatR;
  for (var t = 0u; t < mEight; t++) { m.v[t] = xb[rowMajorAt(off, stride, t)]; }
  return m;
}
fn leftP(off: u32, stride: u32) -> MatL {
  var m: MatL;
  for (var t = 0u; t < mEight; t++) { m.v[t] = pt[rowMajorAt(off, stride, t)]; }
  return m;
}
fn storeAcc(off: u32, m: MatAcc, stride: u32) {
  for (var t = 0u; t < mEight; t++) { st[rowMajorAt(off, stride, t)] = m.v[t]; }
}
