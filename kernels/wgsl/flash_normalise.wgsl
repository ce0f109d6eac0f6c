// flash split-K with one split, pass 2: the training forward's normalising pass. The forward ran as one key split
// and wrote each row's unnormalised f32 result and (max, sum); this writes O = acc / sum, or 0 for a row that saw
// no key (sum 0). One invocation per (row, vec4 column), no workgroup memory, no barriers. More splits take the
// split-parallel combine pass (flash_combine_split.wgsl).
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> o: array<vec4<elem>>;

const D4: u32 = HEAD_DIM / 4u;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let item = (wg.y * nwg.x + wg.x) * THREADS + lid;
  let rows = P.batch * P.heads * P.nq;
  let row = item / D4;
  let c = item % D4;
  if (row >= rows) { return; }
  let l = stats[row].y;
  let acc = partial[row * D4 + c];
  // row is flat in [B, Hq, Nq]; O takes the problem's layout.
  let i = row % P.nq;
  let bh = row / P.nq;
  o[qRow(bh / P.heads, bh % P.heads, i) * D4 + c] = vec4<elem>(select(vec4<f32>(0.0), acc / l, l > 0.0));
}
