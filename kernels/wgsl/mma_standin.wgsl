// The matrix core of both flash-mma stand-in preludes (mma_emulated.wgsl for the forward, mma_bwd_emulated.wgsl for
// the backward passes), for adapters without subgroup matrices (CI's lavapipe): plain f16/f32 code with the meaning
// of the native builtins, for checking tiling, indexing and masking. Products are f16×f16 in f32, sums in f32, as on
// the matrix units. Invocation `lane` of a subgroup holds, of a product S = A·B, the eight results
// S[lane / 2][(lane % 2)·8 ..] and the whole row A[lane / 2][..] (its pair lane holds the same row); a right operand
// B is a handle — which workgroup tile, offset, row and column strides — read where it lies when the product is
// computed (each prelude's `rightAt`): every right operand of the kernels is loaded in the product's own statement,
// so the tile is the one the native load reads. No exchange between invocations, so no barriers and no scratch: the
// plans are the native builds'. (Every invocation holding whole 16×16 tiles, as the forward's stand-in first did,
// took a software driver minutes per pipeline at the larger head dims; operands exchanged through workgroup memory,
// one barrier per product, about twice this core's compile time; BENCHMARKS.md, fifteenth session.)
struct MatL { v: array<f16, 16> }
// Element (k, n) of tile `src` at off + k·rs + n·cs.
struct MatR { src: u32, off: u32, rs: u32, cs: u32 }
struct MatAcc { v: array<f32, 8> }

var<private> mLane: u32;
// Loop bounds of 8, 16 and 128 that the compiler cannot see as constants: the software driver inlines every call,
// and loops with constant bounds are unrolled at each of the kernels' dozens of call sites (measured on lavapipe:
// 73 s → 14 s to compile the backward's dQ pass).
var<private> mEight: u32;
var<private> mSixteen: u32;
var<private> mProducts: u32;

// Which lane of its subgroup this invocation is (the native builds need nothing).
fn matrixInit(lid: u32) {
  mLane = lid % 32u;
  // P.nq is never 2³² − 1, but only at run time.
  let never = P.nq == 0xffffffffu;
  mEight = select(8u, 9u, never);
  mSixteen = select(16u, 17u, never);
  mProducts = select(128u, 129u, never);
}

// v where ok, else zeros. (The native preludes select two 32-bit words instead, for the H200's driver; the stand-ins
// keep the plain select, which is all a software driver needs.)
fn halvesIf(v: vec4<f16>, ok: bool) -> vec4<f16> {
  return select(vec4<f16>(0.0), v, ok);
}

fn zeroAcc() -> MatAcc { return MatAcc(); }

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

// Index of my row's column kk of a left operand at `off` (row-major).
fn rowAt(off: u32, stride: u32, kk: u32) -> u32 { return off + (mLane / 2u) * stride + kk; }
// Index of my element t of a result tile at `off` (row-major): (lane / 2, (lane % 2)·8 + t).
fn accAt(off: u32, stride: u32, t: u32) -> u32 { return off + (mLane / 2u) * stride + (mLane % 2u) * 8u + t; }
