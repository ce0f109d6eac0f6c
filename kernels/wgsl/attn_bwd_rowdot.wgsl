// Backward preprocessing (naive and flash): D_i = dO_i · O_i per query row. Mathematically D_i = Σ_j P_ij·dP_ij,
// the row term of the softmax's backward; computed from O it costs one pass over O and dO instead of over P.
// Four invocations per row, each over every fourth vec4 column, so a subgroup reads 32-byte runs of 8 rows at a
// time (one invocation walking a whole row read one 8-byte piece of 32 rows); the four partial sums meet in
// workgroup memory.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> o: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> dout: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read_write> rowD: array<f32>;

const D4: u32 = HEAD_DIM / 4u;
const PARTS: u32 = 4u;
const ROWS_PER_GROUP: u32 = 64u / PARTS;

var<workgroup> partSums: array<f32, 64>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = (wg.y * nwg.x + wg.x) * ROWS_PER_GROUP + lid / PARTS;
  let part = lid % PARTS;
  let live = row < P.batch * P.heads * P.nq;
  var acc = vec4<f32>(0.0);
  for (var t = 0u; t < (D4 + PARTS - 1u) / PARTS; t++) {
    let c = part + PARTS * t;
    if (live && c < D4) {
      acc = fma(vec4<f32>(o[row * D4 + c]), vec4<f32>(dout[row * D4 + c]), acc);
    }
  }
  partSums[lid] = (acc.x + acc.y) + (acc.z + acc.w);
  workgroupBarrier();
  if (live && part == 0u) {
    rowD[row] = (partSums[lid] + partSums[lid + 1u]) + (partSums[lid + 2u] + partSums[lid + 3u]);
  }
}
