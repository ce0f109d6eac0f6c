// flash-mma backward: what its two passes (flash_mma_bwd_dkv.wgsl, flash_mma_bwd_dq.wgsl) share — bindings 0–8,
// the workgroup tiles and the row loads. Both passes have one shape (FlashAttention-2's backward on 16×16×16
// f16 matrices with f32 results). Each subgroup keeps 16 rows of two tensors X and Y as f16 fragments in
// registers for the whole pass and streams tiles of BT rows of two others, A and B, through xa and xb; per tile:
//   S' = X·Aᵀ → P' = exp(softcap(scale·S') − lse) → dP' = Y·Bᵀ → dS' = P' ⊙ (dP' − D) ⊙ softcap slope
//   accX += dS'·A
// dK/dV pass: X = K, Y = V, A = Q, B = dO (so S' = Sᵀ, dP' = dPᵀ), and also accY += P'·B (dV += Pᵀ·dO).
// dQ pass:    X = Q, Y = dO, A = K, B = V.
// The matrices are opaque, so S' and dP' go through st (f32) for the element-wise steps and P', dS' come back
// from pt (f16) as left operands. P' is kept only in f16: the softcap slope 1 − (c/C)² is recovered from it, as
// c = lse + ln P' (exact up to P's f16 rounding, and where P' rounds to 0 the gradient term is 0 anyway).
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<elem>>;
@group(0) @binding(4) var<storage, read> dout: array<vec4<elem>>;
@group(0) @binding(5) var<storage, read> kvLens: array<i32>;
@group(0) @binding(6) var<storage, read> docBounds: array<i32>;
@group(0) @binding(7) var<storage, read> lse: array<f32>;        // per query row, saved by the forward
@group(0) @binding(8) var<storage, read> rowD: array<f32>;       // D = rowsum(dO ⊙ O) per query row

const D4: u32 = HEAD_DIM / 4u;
const THREADS: u32 = 32u * NSG;
const FR: u32 = 16u * NSG;      // fragment rows of the workgroup: 16 per subgroup
const HALF: u32 = BT / 2u;      // tile columns per invocation in the element-wise steps (two per row)
const QC: u32 = BT / 16u;

var<workgroup> xa: array<f16, BT * AS>;   // tile of A, [row][d] (zero-padded to DP columns); X's rows before the loop
var<workgroup> xb: array<f16, BT * AS>;   // tile of B; Y's rows before the loop
var<workgroup> st: array<f32, FR * SS>;   // per subgroup: S', then dP' (16 × BT); the accumulators at the end
var<workgroup> pt: array<f16, FR * PS>;   // per subgroup: P', then dS' (16 × BT)

// Head-dim padding of xa and xb: zero once, never written again.
fn padTiles(lid: u32) {
  for (var item = lid; item < BT * DP; item += THREADS) {
    if (item % DP >= HEAD_DIM) {
      xa[(item / DP) * AS + item % DP] = f16(0.0);
      xb[(item / DP) * AS + item % DP] = f16(0.0);
    }
  }
}

// One vec4 of rows [first, first + valid) of a tensor (0 q, 1 k, 2 v, 3 dO) at `item` = row·D4 + column/4 of a
// block of `limit` rows; zero past the valid rows (a branch-free load: the index is clamped, the value selected).
fn rowLoad(which: u32, first: u32, valid: u32, item: u32, limit: u32) -> vec4<f16> {
  let rr = item / D4;
  let ok = item < limit * D4 && rr < valid;
  let at = select(0u, (first + rr) * D4 + item % D4, ok);
  var val: vec4<elem>;
  switch (which) {
    case 0u: { val = q[at]; }
    case 1u: { val = k[at]; }
    case 2u: { val = v[at]; }
    default: { val = dout[at]; }
  }
  return select(vec4<f16>(0.0), vec4<f16>(val), ok);
}

fn rowStore(item: u32, a: vec4<f16>, b: vec4<f16>, limit: u32) {
  if (item < limit * D4) {
    let at = (item / D4) * AS + (item % D4) * 4u;
    xa[at] = a.x; xa[at + 1u] = a.y; xa[at + 2u] = a.z; xa[at + 3u] = a.w;
    xb[at] = b.x; xb[at + 1u] = b.y; xb[at + 2u] = b.z; xb[at + 3u] = b.w;
  }
}

// X's and Y's rows [first, first + valid) into xa and xb, before the loop (once per workgroup: a plain loop).
fn stageFragments(lid: u32, whichX: u32, whichY: u32, first: u32, valid: u32) {
  for (var item = lid; item < FR * D4; item += THREADS) {
    rowStore(item, rowLoad(whichX, first, valid, item, FR), rowLoad(whichY, first, valid, item, FR), FR);
  }
}

// d softcap(x)/dx = 1 − tanh² = 1 − (c/C)², with the capped score c = lse + ln p recovered from P.
fn capSlope(p: f32, lseRow: f32) -> f32 {
  if (P.softcap > 0.0) {
    let t = clamp((lseRow + log(p)) / P.softcap, -1.0, 1.0);
    return 1.0 - t * t;
  }
  return 1.0;
}
