// flash training forward, statistics pass: the softmax max m and sum l of every query row, for head dims whose
// tiled forward (which writes them as it goes) does not fit the adapter's workgroup memory. The rows forward then
// computes O and this pass recomputes the scores QKᵀ once more (no P·V): one query row per thread, K tiles of BK
// keys staged in workgroup memory, online max and rescaled sum as in the forward.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read> kvLens: array<i32>;
@group(0) @binding(4) var<storage, read> docBounds: array<i32>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec2<f32>>;

const D4: u32 = HEAD_DIM / 4u;

var<workgroup> kTile: array<vec4<f32>, BK * D4>;

@compute @workgroup_size(BQ, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let bh = wg.y + wg.z * 65535u;
  if (bh >= P.batch * P.heads) { return; }
  let b = bh / P.heads;
  let h = bh % P.heads;
  let kvBase = (b * P.kvHeads + h / (P.heads / P.kvHeads)) * P.nk * D4;
  let row0 = wg.x * BQ;
  let i = min(row0 + lid, P.nq - 1u);
  let qBase = (bh * P.nq + i) * D4;
  var qr: array<vec4<f32>, D4>;
  for (var d = 0u; d < D4; d++) { qr[d] = vec4<f32>(q[qBase + d]) * P.scale; }
  var m = MASKED;
  var l = 0.0;
  let range = visibleRange(b, i);
  let holes = rangeHasHoles();
  let hull = rowsHull(b, row0, min(row0 + BQ, P.nq) - 1u);
  let kEnd = hull.y;
  for (var t0 = (hull.x / BK) * BK; t0 < kEnd; t0 += BK) {
    workgroupBarrier();
    for (var x = lid; x < BK * D4; x += BQ) {
      let j = t0 + x / D4;
      var kv = vec4<f32>(0.0);
      if (j < P.nk) { kv = vec4<f32>(k[kvBase + j * D4 + x % D4]); }
      kTile[x] = kv;
    }
    workgroupBarrier();
    for (var jj = 0u; jj < BK; jj++) {
      let j = t0 + jj;
      if (j < range.x || j >= range.y || (holes && !neighborVisible(i, j))) { continue; }
      var dotv = vec4<f32>(0.0);
      for (var d = 0u; d < D4; d++) { dotv = fma(qr[d], kTile[jj * D4 + d], dotv); }
      let s = capScore(dotv.x + dotv.y + dotv.z + dotv.w);
      let mNew = max(m, s);
      l = l * exp(m - mNew) + exp(s - mNew);
      m = mNew;
    }
  }
  if (row0 + lid < P.nq) { stats[bh * P.nq + i] = vec2<f32>(m, l); }
}
