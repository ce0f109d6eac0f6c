// naive pass 1: S = scale·QKᵀ (softcapped, masked) materialised in a GPU buffer. One thread per score.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read> kvLens: array<i32>;
@group(0) @binding(4) var<storage, read_write> s: array<f32>;
@group(0) @binding(5) var<storage, read> docBounds: array<i32>;

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
  let qBase = qRow(b, h, i) * D4;
  let kBase = kvRow(b, kvh, j) * D4;
  var acc = vec4<f32>(0.0);
  for (var d = 0u; d < D4; d++) {
    acc = fma(vec4<f32>(q[qBase + d]), vec4<f32>(k[kBase + d]), acc);
  }
  var score = capScore((acc.x + acc.y + acc.z + acc.w) * P.scale);
  if (!keyVisible(b, i, j)) { score = MASKED; }
  s[(local * P.nq + i) * P.nk + j] = score;
}
