// flash split-K, pass 2, grouped variant (ATTNPROF_DECODE_VARIANT=grouped; the default is flash_combine_flat.wgsl):
// merges the splits' partial results of each row. With M = max over splits of m_s,
// O = Σ exp(m_s − M)·acc_s / Σ exp(m_s − M)·l_s; a split with l_s = 0 saw no key of the row and is skipped (its
// partial, which the decode pass may not have written, is loaded but not used), and a row no split saw outputs 0.
// With SPLITS = 1 it is the normalising pass O = acc / l (flash's training forward). A workgroup takes RPW rows;
// invocation (row, split group sg, vec4 column c) merges the splits sg, sg + SG, … with a running max (its loads
// do not wait on each other), then split group 0 merges the SG results through workgroup memory.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> o: array<vec4<elem>>;

const D4: u32 = HEAD_DIM / 4u;
const PER_GROUP: u32 = (SPLITS + SG - 1u) / SG;
const ROW_THREADS: u32 = SG * D4;

var<workgroup> groupM: array<f32, RPW * SG>;
var<workgroup> groupL: array<f32, RPW * SG>;
var<workgroup> groupAcc: array<vec4<f32>, RPW * SG * D4>;

@compute @workgroup_size(RPW * SG * D4, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = lid / ROW_THREADS;
  let sg = (lid % ROW_THREADS) / D4;
  let c = lid % D4;
  let row = (wg.y * nwg.x + wg.x) * RPW + rl;
  let rows = P.batch * P.heads * P.nq;
  let live = row < rows;
  var m = MASKED;
  var l = 0.0;
  var acc = vec4<f32>(0.0);
  for (var t = 0u; t < PER_GROUP; t++) {
    let s = sg + t * SG;
    if (live && s < SPLITS) {
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
  let g0 = rl * SG;
  groupAcc[lid] = acc;
  if (c == 0u) {
    groupM[g0 + sg] = m;
    groupL[g0 + sg] = l;
  }
  workgroupBarrier();
  if (live && sg == 0u) {
    var mMax = MASKED;
    for (var g = 0u; g < SG; g++) { mMax = max(mMax, groupM[g0 + g]); }
    var lt = 0.0;
    var at = vec4<f32>(0.0);
    for (var g = 0u; g < SG; g++) {
      let w = select(0.0, exp(groupM[g0 + g] - mMax), groupL[g0 + g] > 0.0);
      lt += w * groupL[g0 + g];
      at += w * groupAcc[(g0 + g) * D4 + c];
    }
    // row is flat in [B, Hq, Nq]; O takes the problem's layout.
    let i = row % P.nq;
    let bh = row / P.nq;
    o[qRow(bh / P.heads, bh % P.heads, i) * D4 + c] = vec4<elem>(select(vec4<f32>(0.0), at / lt, lt > 0.0));
  }
}
