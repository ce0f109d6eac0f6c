// flash split-K, pass 2, flat: the training forward's normalising pass (SPLITS = 1) takes it; more splits take the
// split-parallel pass (flash_combine_split.wgsl), though this one merges any number. One invocation per (row, vec4 column), no workgroup memory, no barriers. Each invocation walks the splits in
// host-unrolled groups: a group's (max, sum) pairs — the same 8 bytes for the D/4 invocations of a row, served by the
// cache — and partials are all loaded before the first is used (one memory latency per group, not one per split),
// then merged into running sums kept relative to the largest max seen so far (rescaled when a group raises it):
//   O = Σ exp(m_s − M)·acc_s / Σ exp(m_s − M)·l_s,   M = the max over the splits that saw a key of the row (l_s > 0),
// 0 for a row no split saw (a split with l_s = 0 is weighted 0; its partial, which the decode pass may not have
// written, is loaded but not used). With SPLITS = 1 it is the normalising pass O = acc / l.
// Host-generated section (decode.ts combineSections): //@MERGE.
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
  var mMax = MASKED;
  var lt = 0.0;
  var at = vec4<f32>(0.0);
//@MERGE
  // row is flat in [B, Hq, Nq]; O takes the problem's layout.
  let i = row % P.nq;
  let bh = row / P.nq;
  o[qRow(bh / P.heads, bh % P.heads, i) * D4 + c] = vec4<elem>(select(vec4<f32>(0.0), at / lt, lt > 0.0));
}
