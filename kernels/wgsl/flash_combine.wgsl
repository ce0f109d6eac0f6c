// flash split-K, pass 2: merges the splits' partial results of each row. With M = max over splits of m_s,
// O = Σ exp(m_s − M)·acc_s / Σ exp(m_s − M)·l_s; a split with l_s = 0 saw no key of the row and is skipped (its
// partial, which the decode pass may not have written, is loaded but not used), and a row no split saw outputs 0. One workgroup per row: invocation (split group sg, vec4
// column c) merges the splits sg, sg + SG, … with a running max (all its loads are independent of each other),
// then split group 0 merges the SG results through workgroup memory.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> o: array<vec4<elem>>;

const D4: u32 = HEAD_DIM / 4u;
const PER_GROUP: u32 = (SPLITS + SG - 1u) / SG;

var<workgroup> groupM: array<f32, SG>;
var<workgroup> groupL: array<f32, SG>;
var<workgroup> groupAcc: array<vec4<f32>, SG * D4>;

@compute @workgroup_size(SG * D4, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wg.y * nwg.x + wg.x;
  let rows = P.batch * P.heads * P.nq;
  if (row >= rows) { return; }
  let sg = lid / D4;
  let c = lid % D4;
  var m = MASKED;
  var l = 0.0;
  var acc = vec4<f32>(0.0);
  for (var t = 0u; t < PER_GROUP; t++) {
    let s = sg + t * SG;
    if (s < SPLITS) {
      let st = stats[s * rows + row];
      let part = partial[(s * rows + row) * D4 + c];
      if (st.y > 0.0) {
        let mNew = max(m, st.x);
        let keep = exp(m - mNew);
        let w = exp(st.x - mNew);
        acc = acc * keep + part * w;
        l = l * keep + st.y * w;
        m = mNew;
      }
    }
  }
  groupAcc[lid] = acc;
  if (c == 0u) {
    groupM[sg] = m;
    groupL[sg] = l;
  }
  workgroupBarrier();
  if (sg == 0u) {
    var mMax = MASKED;
    for (var g = 0u; g < SG; g++) { mMax = max(mMax, groupM[g]); }
    var lt = 0.0;
    var at = vec4<f32>(0.0);
    for (var g = 0u; g < SG; g++) {
      let w = select(0.0, exp(groupM[g] - mMax), groupL[g] > 0.0);
      lt += w * groupL[g];
      at += w * groupAcc[g * D4 + c];
    }
    // row is flat in [B, Hq, Nq]; O takes the problem's layout.
    let i = row % P.nq;
    let bh = row / P.nq;
    o[qRow(bh / P.heads, bh % P.heads, i) * D4 + c] = vec4<elem>(select(vec4<f32>(0.0), at / lt, lt > 0.0));
  }
}
