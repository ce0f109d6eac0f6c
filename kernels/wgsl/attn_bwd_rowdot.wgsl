// Backward preprocessing (naive and flash): D_i = dO_i · O_i per query row. Mathematically D_i = Σ_j P_ij·dP_ij,
// the row term of the softmax's backward; computed from O it costs one pass over O and dO instead of over P.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> o: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> dout: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read_write> rowD: array<f32>;

const D4: u32 = HEAD_DIM / 4u;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.y * nwg.x * 64u + gid.x;
  if (row >= P.batch * P.heads * P.nq) { return; }
  var acc = vec4<f32>(0.0);
  for (var d = 0u; d < D4; d++) {
    acc = fma(vec4<f32>(o[row * D4 + d]), vec4<f32>(dout[row * D4 + d]), acc);
  }
  rowD[row] = acc.x + acc.y + acc.z + acc.w;
}
