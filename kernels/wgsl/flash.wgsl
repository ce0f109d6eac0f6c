// flash: fused online-softmax attention (FlashAttention-2 style). One query row per thread, BQ rows per
// workgroup; K/V tiles of BK keys staged in workgroup memory; scores for a whole tile first, then one
// rescale of the running accumulator per tile. S is never materialised.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<elem>>;
@group(0) @binding(4) var<storage, read> kvLens: array<i32>;
@group(0) @binding(5) var<storage, read_write> o: array<vec4<elem>>;
@group(0) @binding(6) var<storage, read> docBounds: array<i32>;

const D4: u32 = HEAD_DIM / 4u;

var<workgroup> kTile: array<vec4<f32>, BK * D4>;
var<workgroup> vTile: array<vec4<f32>, BK * D4>;

@compute @workgroup_size(BQ, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let bh = wg.y + wg.z * 65535u;
  if (bh >= P.batch * P.heads) { return; }
  let b = bh / P.heads;
  let h = bh % P.heads;
  let kvh = h / (P.heads / P.kvHeads);
  let row0 = wg.x * BQ;
  let i = min(row0 + lid, P.nq - 1u);
  let inBounds = row0 + lid < P.nq;
  let qBase = qRow(b, h, i) * D4;
  let kvBase = kvRow(b, kvh, 0u) * D4;
  let kvStep = P.kvStrideN * D4;

  var qr: array<vec4<f32>, D4>;
  var acc: array<vec4<f32>, D4>;
  for (var d = 0u; d < D4; d++) {
    qr[d] = vec4<f32>(q[qBase + d]) * P.scale;
    acc[d] = vec4<f32>(0.0);
  }
  var m = MASKED;
  var l = 0.0;
  let range = visibleRange(b, i);
  let holes = rangeHasHoles();

  // Keys any row of this workgroup can see; within them, a K/V tile in which no (row, key) pair is visible
  // is skipped before it is loaded (the same decision for every thread: it depends only on the workgroup).
  let rowLast = min(row0 + BQ, P.nq) - 1u;
  let hull = rowsHull(b, row0, rowLast);
  for (var t0 = (hull.x / BK) * BK; t0 < hull.y; t0 += BK) {
    if (!tileVisible(b, row0, rowLast, t0, min(t0 + BK, P.nk) - 1u)) { continue; }
    workgroupBarrier();
    for (var x = lid; x < BK * D4; x += BQ) {
      let j = t0 + x / D4;
      var kv = vec4<f32>(0.0);
      var vv = vec4<f32>(0.0);
      if (j < P.nk) {
        let at = kvBase + j * kvStep + x % D4;
        kv = vec4<f32>(k[at]);
        vv = vec4<f32>(v[at]);
      }
      kTile[x] = kv;
      vTile[x] = vv;
    }
    workgroupBarrier();

    var sc: array<f32, BK>;
    var tileMax = MASKED;
    for (var jj = 0u; jj < BK; jj++) {
      var dotv = vec4<f32>(0.0);
      for (var d = 0u; d < D4; d++) {
        dotv = fma(qr[d], kTile[jj * D4 + d], dotv);
      }
      var score = capScore(dotv.x + dotv.y + dotv.z + dotv.w);
      let j = t0 + jj;
      if (j < range.x || j >= range.y || (holes && !neighborVisible(i, j))) { score = MASKED; }
      sc[jj] = score;
      tileMax = max(tileMax, score);
    }
    if (tileMax > MASKED) {
      let mNew = max(m, tileMax);
      let correction = exp(m - mNew);
      l *= correction;
      for (var d = 0u; d < D4; d++) { acc[d] *= correction; }
      for (var jj = 0u; jj < BK; jj++) {
        let p = exp(sc[jj] - mNew);
        l += p;
        for (var d = 0u; d < D4; d++) {
          acc[d] = fma(vec4<f32>(p), vTile[jj * D4 + d], acc[d]);
        }
      }
      m = mNew;
    }
  }
  if (inBounds) {
    // A row that sees no key outputs 0, as the reference does.
    let inv = select(0.0, 1.0 / l, l > 0.0);
    let oBase = qRow(b, h, i) * D4;
    for (var d = 0u; d < D4; d++) { o[oBase + d] = vec4<elem>(acc[d] * inv); }
  }
}
