// naive pass 2: row-wise softmax of S in place. One thread per row; a row with no visible key becomes all 0.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.y * nwg.x * 64u + gid.x;
  if (row >= P.bhCount * P.nq) { return; }
  let base = row * P.nk;
  var m = MASKED;
  for (var j = 0u; j < P.nk; j++) { m = max(m, s[base + j]); }
  if (m <= MASKED) {
    for (var j = 0u; j < P.nk; j++) { s[base + j] = 0.0; }
    return;
  }
  var sum = 0.0;
  for (var j = 0u; j < P.nk; j++) {
    let e = exp(s[base + j] - m);
    s[base + j] = e;
    sum += e;
  }
  let inv = 1.0 / sum;
  for (var j = 0u; j < P.nk; j++) { s[base + j] *= inv; }
}
