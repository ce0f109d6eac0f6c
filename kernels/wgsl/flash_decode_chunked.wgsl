// The chunked decode pass, kept for one A/B measurement against flash_decode.wgsl (ATTNPROF_DECODE=chunked).
// Key-parallel decode: few query rows per KV head (one token per sequence, or a few speculative ones), many keys.
// Memory-bound: every K/V element is read once, by one workgroup, and serves all ROWS query rows of the GQA group.
// The keys are split over workgroups (wg.x) so enough loads are in flight to fill the memory system; each split
// writes its unnormalised partial result and (max, sum), which flash_combine.wgsl merges (without splits the
// workgroup writes O itself). Per chunk of SK keys: stage K and V in workgroup memory (coalesced vec4 loads) →
// scores, one (row, key) per invocation → online softmax, TPR invocations per row → O += P·V, one (row, vec4 of
// columns) per invocation. Every inner loop runs over vec4s, so each invocation keeps 4 independent FMA chains.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<elem>>;
@group(0) @binding(4) var<storage, read> kvLens: array<i32>;
@group(0) @binding(5) var<storage, read_write> o: array<vec4<elem>>;
@group(0) @binding(6) var<storage, read_write> partial: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(8) var<storage, read> docBounds: array<i32>;

const D4: u32 = HEAD_DIM / 4u;
const KSTR: u32 = D4 + 1u;        // odd vec4 stride: the score loop reads one key row per invocation
const THREADS: u32 = 128u;
const TPR: u32 = THREADS / 16u;   // invocations per row in the softmax (ROWS ≤ 16)
const IPT: u32 = (ROWS * D4 + THREADS - 1u) / THREADS;

var<workgroup> qS: array<vec4<f32>, ROWS * D4>;
var<workgroup> kS: array<vec4<f32>, SK * KSTR>;
var<workgroup> vS: array<vec4<f32>, SK * D4>;
var<workgroup> pS: array<f32, ROWS * SK>;
var<workgroup> red: array<f32, ROWS * TPR>;
var<workgroup> mS: array<f32, ROWS>;
var<workgroup> lS: array<f32, ROWS>;
var<workgroup> corrS: array<f32, ROWS>;
var<workgroup> loS: array<u32, ROWS>;
var<workgroup> hiS: array<u32, ROWS>;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let bkv = wg.y;
  let b = bkv / P.kvHeads;
  let kvh = bkv % P.kvHeads;
  let group = P.heads / P.kvHeads;
  let kvBase = (b * P.kvHeads + kvh) * P.nk * D4;
  let rowBase = (b * P.heads + kvh * group) * P.nq;   // ROWS = group · nq consecutive rows of [B, Hq, Nq, D]
  var keyLo = 0u;
  var keyHi = P.nk;
  if (P.splitKeys > 0u) {
    keyLo = wg.x * P.splitKeys;
    keyHi = min(P.nk, keyLo + P.splitKeys);
  }
  for (var item = lid; item < ROWS * D4; item += THREADS) { qS[item] = vec4<f32>(q[rowBase * D4 + item]); }
  if (lid < ROWS) {
    let range = visibleRange(b, lid % P.nq);
    loS[lid] = max(range.x, keyLo);
    hiS[lid] = min(range.y, keyHi);
    mS[lid] = MASKED;
    lS[lid] = 0.0;
  }
  // Keys any row sees: the range bounds never decrease with the position.
  let kStart = max(visibleRange(b, 0u).x, keyLo);
  let kEnd = min(visibleRange(b, P.nq - 1u).y, keyHi);
  var acc: array<vec4<f32>, IPT>;
  let sr = lid / TPR;     // my row in the softmax
  let part = lid % TPR;

  // The next chunk's loads are in flight (in registers, unrolled by decode.ts) while this chunk is computed.
  var t0 = (kStart / SK) * SK;
//@PREFETCH
  for (; t0 < kEnd; t0 += SK) {
    workgroupBarrier();
//@STOREKV
    workgroupBarrier();
    if (t0 + SK < kEnd) {
      let t0 = t0 + SK;
//@NEXTKV
    }
    for (var item = lid; item < ROWS * SK; item += THREADS) {
      let r = item / SK;
      let j = item % SK;
      let key = t0 + j;
      var s = MASKED;
      if (key >= loS[r] && key < hiS[r]) {
        var d4v = vec4<f32>(0.0);
        for (var c4 = 0u; c4 < D4; c4++) { d4v = fma(qS[r * D4 + c4], kS[j * KSTR + c4], d4v); }
        s = capScore((d4v.x + d4v.y + d4v.z + d4v.w) * P.scale);
      }
      pS[item] = s;
    }
    workgroupBarrier();
    // Online softmax: TPR invocations per row, each over every TPR-th key of the chunk.
    var mx = MASKED;
    if (sr < ROWS) {
      for (var j = part; j < SK; j += TPR) { mx = max(mx, pS[sr * SK + j]); }
      red[sr * TPR + part] = mx;
    }
    workgroupBarrier();
    var mNew = MASKED;
    var sum = 0.0;
    if (sr < ROWS) {
      mNew = mS[sr];
      for (var t = 0u; t < TPR; t++) { mNew = max(mNew, red[sr * TPR + t]); }
      for (var j = part; j < SK; j += TPR) {
        let s = pS[sr * SK + j];
        let p = select(0.0, exp(s - mNew), s > MASKED);
        pS[sr * SK + j] = p;
        sum += p;
      }
    }
    workgroupBarrier();
    if (sr < ROWS) { red[sr * TPR + part] = sum; }
    workgroupBarrier();
    if (sr < ROWS && part == 0u) {
      var total = 0.0;
      for (var t = 0u; t < TPR; t++) { total += red[sr * TPR + t]; }
      let corr = select(1.0, exp(mS[sr] - mNew), mS[sr] > MASKED);
      lS[sr] = lS[sr] * corr + total;
      mS[sr] = mNew;
      corrS[sr] = corr;
    }
    workgroupBarrier();
    for (var u = 0u; u < IPT; u++) {
      let item = lid + u * THREADS;
      if (item < ROWS * D4) {
        let r = item / D4;
        let c4 = item % D4;
        var a = acc[u] * corrS[r];
        for (var j = 0u; j < SK; j++) { a = fma(vec4<f32>(pS[r * SK + j]), vS[j * D4 + c4], a); }
        acc[u] = a;
      }
    }
  }
  workgroupBarrier();
  let rows = P.batch * P.heads * P.nq;
  for (var u = 0u; u < IPT; u++) {
    let item = lid + u * THREADS;
    if (item < ROWS * D4) {
      let r = item / D4;
      let c4 = item % D4;
      if (P.splitKeys > 0u) {
        let at = wg.x * rows + rowBase + r;
        partial[at * D4 + c4] = acc[u];
        if (c4 == 0u) { stats[at] = vec2<f32>(mS[r], lS[r]); }
      } else {
        let l = lS[r];
        o[(rowBase + r) * D4 + c4] = vec4<elem>(select(vec4<f32>(0.0), acc[u] / l, l > 0.0));
      }
    }
  }
}

// One vec4 of the K (or V) chunk at `item` = key·D4 + column/4; zero past the keys (a branch-free load).
fn chunkLoad(isV: bool, kvBase: u32, t0: u32, item: u32) -> vec4<f32> {
  let key = item / D4;
  let ok = item < SK * D4 && t0 + key < P.nk;
  let at = select(0u, kvBase + (t0 + key) * D4 + item % D4, ok);
  var val: vec4<elem>;
  if (isV) { val = v[at]; } else { val = k[at]; }
  return select(vec4<f32>(0.0), vec4<f32>(val), ok);
}

fn chunkStore(item: u32, kk: vec4<f32>, vv: vec4<f32>) {
  if (item < SK * D4) {
    kS[(item / D4) * KSTR + item % D4] = kk;
    vS[item] = vv;
  }
}
