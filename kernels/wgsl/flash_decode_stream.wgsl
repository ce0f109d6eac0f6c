// Key-parallel decode, streaming variant (ATTNPROF_DECODE_VARIANT=stream; decode.ts plans it). Same work split as
// flash_decode.wgsl — one workgroup per (key split wg.x, batch × KV head wg.y), ROWS query rows sharing every K/V
// element — but a split is NB blocks of SK keys that the workgroup walks one after the other, so fewer, longer-lived
// workgroups keep the memory system busy:
//   loads     the first visible block's K and V go into named registers (host-unrolled, as in the one-shot pass);
//   per block A  scores of the block in registers → `scratch` (4 invocations per key, q broadcast from qS);
//             then the NEXT block's K/V loads are issued into a second set of registers: they are in flight while
//             this block goes through the softmax and P·V phases;
//             B1 per row, TPR invocations: mask, scale, cap → pS, the block's partial max → redM;
//             B2 the row's new running max m' = max(m, block max) (every invocation of the row holds m), α = e^(m−m'),
//                probabilities e^(s−m') → pS, each invocation's running sum l_part = l_part·α + Σp; α → alphaS;
//             C  P·V: invocation (key slice ks, column unit cv) rescales its ROWS accumulators by α and adds its
//                slice's p·v; then the prefetched registers become the current ones.
//   end       the rows' sums (Σ l_part) and maxima → rowStat, then the slices are reduced as in the one-shot pass.
// Keys outside the rows' visible range are not fetched (they read the nearest visible key and count as zero);
// blocks before the first visible key are not walked. The masks come from mask.wgsl's visibleRange and
// params.wgsl's capScore. No subgroup builtins. K/V are read as `kvec` (vec4<elem>, or vec4<u32> = 8 f16 per load
// with the `wide` loads, unpacked with unpack2x16float); KU = D/4 or D/8 such units per key row.
// Host-generated sections (decode.ts keyParallelSections): //@LOADS, //@ACC, //@SCORES, //@PREFETCH, //@PV,
// //@SWAP, //@REDUCE.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> k: array<kvec>;
@group(0) @binding(3) var<storage, read> v: array<kvec>;
@group(0) @binding(4) var<storage, read> kvLens: array<i32>;
@group(0) @binding(5) var<storage, read_write> o: array<vec4<elem>>;
@group(0) @binding(6) var<storage, read_write> partial: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(8) var<storage, read> docBounds: array<i32>;

const D4: u32 = HEAD_DIM / 4u;
const PARTS: u32 = 4u;              // invocations per key in the score phase
const KPS: u32 = SK / KS;           // keys per V slice in the P·V phase (a multiple of 4)

var<workgroup> qS: array<vec4<f32>, ROWS * D4>;
// Phase A/B: the 4 partial scores of (row, key) at row·SK + key. End: the slices' sums of RG rows.
var<workgroup> scratch: array<vec4<f32>, SCRATCH>;
var<workgroup> pS: array<vec4<f32>, ROWS * SK / 4u>;   // scores, then probabilities: [row][key / 4]
var<workgroup> redM: array<f32, ROWS * TPR>;
var<workgroup> redL: array<f32, ROWS * TPR>;
var<workgroup> rangeS: array<vec2<u32>, ROWS>;
var<workgroup> alphaS: array<f32, ROWS>;                // this block's rescale factor of each row
var<workgroup> rowM: array<f32, ROWS>;
var<workgroup> rowStat: array<vec2<f32>, ROWS>;         // (max, sum) of each row over the split

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let bkv = wg.y;
  let b = bkv / P.kvHeads;
  let kvh = bkv % P.kvHeads;
  let group = P.heads / P.kvHeads;
  let kvBase = (b * P.kvHeads + kvh) * P.nk;          // first key row of this KV head
  let rowBase = (b * P.heads + kvh * group) * P.nq;   // ROWS = group · nq consecutive rows of [B, Hq, Nq, D]
  let rows = P.batch * P.heads * P.nq;
  var keyLo = 0u;
  var keyHi = P.nk;
  if (P.splitKeys > 0u) {
    keyLo = wg.x * P.splitKeys;
    keyHi = min(P.nk, keyLo + P.splitKeys);
  }
  // Keys any row sees: the range bounds never decrease with the position.
  let kStart = max(visibleRange(b, 0u).x, keyLo);
  let kEnd = min(visibleRange(b, P.nq - 1u).y, keyHi);
  if (kStart >= kEnd) {
    // No row sees a key of this split: the combine pass skips a split whose sum is 0 (its partial is not read).
    if (P.splitKeys > 0u) {
      for (var r = lid; r < ROWS; r += THREADS) { stats[wg.x * rows + rowBase + r] = vec2<f32>(MASKED, 0.0); }
    } else {
      for (var item = lid; item < ROWS * D4; item += THREADS) { o[rowBase * D4 + item] = vec4<elem>(0.0); }
    }
    return;
  }
  let last = kEnd - 1u;
  // Phase A: this invocation scores the keys blo + kq + a·(THREADS / 4), column units part + 4·c.
  let part = lid % PARTS;
  let kq = lid / PARTS;
  // Phase C: slice ks holds the keys blo + ks·KPS + t, column unit cv (invocations from KS·KU on have no slice).
  let cv = lid % KU;
  let ks = lid / KU;
  let hasSlice = lid < KS * KU;
  // Phase B: TPR invocations per row.
  let sr = lid / TPR;
  let sp = lid % TPR;
  // The first block holding a visible key.
  let first = keyLo + ((kStart - keyLo) / SK) * SK;
  var blo = first;
//@LOADS
  for (var item = lid; item < ROWS * D4; item += THREADS) { qS[item] = vec4<f32>(q[rowBase * D4 + item]); }
  if (lid < ROWS) { rangeS[lid] = visibleRange(b, lid % P.nq); }
  workgroupBarrier();
  var range = vec2<u32>(0u, 0u);
  if (sr < ROWS) { range = rangeS[sr]; }
  let lo = max(range.x, kStart);
  let hi = min(range.y, kEnd);
  var m = MASKED;       // the row's running max (held by each of its TPR invocations)
  var lPart = 0.0;      // this invocation's share of the row's running sum
//@ACC
  loop {
//@SCORES
    let nlo = blo + SK;
//@PREFETCH
    workgroupBarrier();
    // B1: scores of the block, the block's partial max.
    if (sr < ROWS) {
      var mx = MASKED;
      for (var g = sp; g < SK / 4u; g += TPR) {
        let j = blo + 4u * g;
        let s = vec4<f32>(score(sr, 4u * g, j, lo, hi), score(sr, 4u * g + 1u, j + 1u, lo, hi),
                          score(sr, 4u * g + 2u, j + 2u, lo, hi), score(sr, 4u * g + 3u, j + 3u, lo, hi));
        pS[sr * (SK / 4u) + g] = s;
        mx = max(mx, max(max(s.x, s.y), max(s.z, s.w)));
      }
      redM[sr * TPR + sp] = mx;
    }
    workgroupBarrier();
    // B2: the running max, the rescale factor, the probabilities and the running sums.
    if (sr < ROWS) {
      var mb = MASKED;
      for (var t = 0u; t < TPR; t++) { mb = max(mb, redM[sr * TPR + t]); }
      let mNew = max(m, mb);
      let alpha = exp(m - mNew);
      var sum = 0.0;
      for (var g = sp; g < SK / 4u; g += TPR) {
        let s = pS[sr * (SK / 4u) + g];
        let p = select(vec4<f32>(0.0), exp(s - vec4<f32>(mNew)), s > vec4<f32>(MASKED));
        pS[sr * (SK / 4u) + g] = p;
        sum += (p.x + p.y) + (p.z + p.w);
      }
      lPart = lPart * alpha + sum;
      m = mNew;
      if (sp == 0u) { alphaS[sr] = alpha; }
    }
    workgroupBarrier();
//@PV
//@SWAP
    blo = nlo;
    if (blo >= kEnd) { break; }
  }
  if (sr < ROWS) {
    redL[sr * TPR + sp] = lPart;
    if (sp == 0u) { rowM[sr] = m; }
  }
  workgroupBarrier();
  if (lid < ROWS) {
    var l = 0.0;
    for (var t = 0u; t < TPR; t++) { l += redL[lid * TPR + t]; }
    rowStat[lid] = vec2<f32>(rowM[lid], l);
  }
//@REDUCE
}

// The score of (row r, local key lk = key − blo): its 4 partial dot products, scaled and capped; MASKED outside
// the row's visible keys [lo, hi) within the split.
fn score(r: u32, lk: u32, key: u32, lo: u32, hi: u32) -> f32 {
  let parts = scratch[r * SK + lk];
  let s = capScore(((parts.x + parts.y) + (parts.z + parts.w)) * P.scale);
  return select(MASKED, s, key >= lo && key < hi);
}

// Writes row r's vec4 column c of the split's result: the unnormalised partial and (max, sum), or O itself.
fn writeRow(splitId: u32, rowBase: u32, rows: u32, r: u32, c: u32, acc: vec4<f32>) {
  let st = rowStat[r];
  if (P.splitKeys > 0u) {
    let at = splitId * rows + rowBase + r;
    partial[at * D4 + c] = acc;
    if (c == 0u) { stats[at] = st; }
  } else {
    o[(rowBase + r) * D4 + c] = vec4<elem>(select(vec4<f32>(0.0), acc / st.y, st.y > 0.0));
  }
}
