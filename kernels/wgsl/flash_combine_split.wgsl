// flash split-K, pass 2 with SPLITS > 1 (the decode path's and the split tiled kernel's): the splits of a row are
// merged in parallel, not walked by one invocation. A workgroup holds RPW rows; each row has GROUPS × D4
// invocations: invocation (g, c) merges the splits g, g + GROUPS, … (PER of them, host-unrolled, every load issued
// before the first is used) of vec4 column c into (m_g, l_g, a_g), relative to its own max m_g; one workgroup
// barrier later, the GROUPS results of each (row, column) are merged by invocation (0, c):
//   O = Σ exp(m_g − M)·a_g / Σ exp(m_g − M)·l_g,   M = the max over the groups that saw a key of the row.
// A split counts where it saw a key (l_s > 0); a row no split saw is written as 0. A split that saw no key may
// not have written its partial (the decode pass writes only its statistics): its partial is loaded but not used.
// The flat pass it replaced walked all the splits of a row in one invocation: 32 splits took 12.3 µs on the H200
// for the Qwen2-7B decode step against 9.3–9.8 µs (BENCHMARKS.md, eighth session).
// Host-generated section (decode.ts splitCombineSections): //@MERGE.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> o: array<vec4<elem>>;

const D4: u32 = HEAD_DIM / 4u;
const ROW_THREADS: u32 = GROUPS * D4;

var<workgroup> partS: array<vec4<f32>, RPW * GROUPS * D4>;  // a_g of (row rr, group g, column c) at invocation lid
var<workgroup> statS: array<vec2<f32>, RPW * GROUPS>;       // (m_g, l_g) of (row rr, group g)

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rr = lid / ROW_THREADS;
  let g = (lid / D4) % GROUPS;
  let c = lid % D4;
  let rows = P.batch * P.heads * P.nq;
  let flat = (wg.y * nwg.x + wg.x) * RPW + rr;
  // Invocations of rows past the last still reach the barrier; they read the last row and write nothing.
  let row = min(flat, rows - 1u);
  var mLoc = MASKED;
  var l = 0.0;
  var a = vec4<f32>(0.0);
//@MERGE
  partS[lid] = a;
  if (c == 0u) { statS[lid / D4] = vec2<f32>(mLoc, l); }
  workgroupBarrier();
  if (g != 0u || flat >= rows) { return; }
  var mMax = MASKED;
  for (var h = 0u; h < GROUPS; h++) { mMax = max(mMax, statS[rr * GROUPS + h].x); }
  var lt = 0.0;
  var at = vec4<f32>(0.0);
  for (var h = 0u; h < GROUPS; h++) {
    let st = statS[rr * GROUPS + h];
    let w = select(0.0, exp(st.x - mMax), st.x > MASKED);
    lt = fma(w, st.y, lt);
    at = fma(vec4<f32>(w), partS[(rr * GROUPS + h) * D4 + c], at);
  }
  // row is flat in [B, Hq, Nq]; O takes the problem's layout.
  let i = row % P.nq;
  let bh = row / P.nq;
  o[qRow(bh / P.heads, bh % P.heads, i) * D4 + c] = vec4<elem>(select(vec4<f32>(0.0), at / lt, lt > 0.0));
}
