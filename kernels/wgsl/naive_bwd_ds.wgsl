// naive backward pass 1: dS = P ⊙ (dO·Vᵀ − D) materialised like P (one thread per score), times the softcap's
// slope 1 − tanh² when there is one (recomputed from q·k: the forward kept only P). Masked scores have P = 0,
// so their dS is 0 without a mask test; so is every score of a row that sees no key.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<elem>>;
@group(0) @binding(4) var<storage, read> dout: array<vec4<elem>>;
@group(0) @binding(5) var<storage, read> probs: array<f32>;
@group(0) @binding(6) var<storage, read> rowD: array<f32>;
@group(0) @binding(7) var<storage, read_write> ds: array<f32>;

const D4: u32 = HEAD_DIM / 4u;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let i = gid.y;
  let local = gid.z;
  if (j >= P.nk || i >= P.nq || local >= P.bhCount) { return; }
  let bh = P.bhOffset + local;
  let b = bh / P.heads;
  let h = bh % P.heads;
  let kvh = h / (P.heads / P.kvHeads);
  let qBase = (bh * P.nq + i) * D4;
  let kBase = ((b * P.kvHeads + kvh) * P.nk + j) * D4;
  let at = (local * P.nq + i) * P.nk + j;
  let pij = probs[at];
  var dp = vec4<f32>(0.0);
  var qk = vec4<f32>(0.0);
  for (var d = 0u; d < D4; d++) {
    dp = fma(vec4<f32>(dout[qBase + d]), vec4<f32>(v[kBase + d]), dp);
    if (P.softcap > 0.0) { qk = fma(vec4<f32>(q[qBase + d]), vec4<f32>(k[kBase + d]), qk); }
  }
  var slope = 1.0;
  if (P.softcap > 0.0) {
    let t = capScore((qk.x + qk.y + qk.z + qk.w) * P.scale) / P.softcap;
    slope = 1.0 - t * t;
  }
  ds[at] = pij * (dp.x + dp.y + dp.z + dp.w - rowD[bh * P.nq + i]) * slope;
}
