// flash split-K, pass 2: merges the splits' partial results of each row. With M = max over splits of m_s,
// O = Σ exp(m_s − M)·acc_s / Σ exp(m_s − M)·l_s. A row no split saw has l = 0 everywhere and outputs 0.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> o: array<vec4<elem>>;

const D4: u32 = HEAD_DIM / 4u;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let item = gid.y * nwg.x * 64u + gid.x;
  let rows = P.batch * P.heads * P.nq;
  if (item >= rows * D4) { return; }
  let row = item / D4;
  let d4 = item % D4;
  var mMax = MASKED;
  for (var s = 0u; s < SPLITS; s++) { mMax = max(mMax, stats[s * rows + row].x); }
  var l = 0.0;
  var acc = vec4<f32>(0.0);
  for (var s = 0u; s < SPLITS; s++) {
    let st = stats[s * rows + row];
    let w = select(0.0, exp(st.x - mMax), st.y > 0.0);
    l += w * st.y;
    acc += w * partial[(s * rows + row) * D4 + d4];
  }
  // row is flat in [B, Hq, Nq]; O takes the problem's layout.
  let i = row % P.nq;
  let bh = row / P.nq;
  o[qRow(bh / P.heads, bh % P.heads, i) * D4 + d4] = vec4<elem>(select(vec4<f32>(0.0), acc / l, l > 0.0));
}
