// Key-parallel decode: few query rows per KV head (ROWS = GQA group × query length: one token per sequence, or a
// few speculative ones), many keys. Memory-bound: every K/V element is read once, by one workgroup, straight from
// memory into registers, and serves all ROWS query rows. One workgroup per (key split wg.x, batch × KV head wg.y)
// makes one pass over its at most SK keys with a plain softmax (the split's max and sum, no rescaling):
//   loads  every invocation issues its K loads (host-unrolled into named registers) before anything waits, so the
//          split's K is in flight at once; its V loads follow the score phase, in flight through the softmax (with
//          K and V both held from the start the pass took 149 registers, one workgroup per multiprocessor on the
//          H200; V after the scores 127, two: 55 against 70 µs for the Qwen2-7B decode step; 108 now); keys outside
//          the rows' visible range are not fetched (they read the nearest visible key, loaded anyway: their scores
//          are masked in phase B and their probabilities are exactly 0);
//   A      scores: 4 invocations per key (each a quarter of the column units: 4 neighbours read one or two 32-byte sectors),
//          each invocation owning SK/64 keys; q is broadcast from workgroup memory, each q vec4 read once for all
//          of them; each invocation holds one partial dot product per (row, key) of its keys;
//   fold   the 4 partials of (row, key) become 2 in workgroup memory: parts p and p + 2 pair up, each of the two
//          handing the other half of their (row, key) items (one store each), then, after a barrier, adding the
//          partner's to its own (one load and one store each, in place);
//   B      per row: TPR invocations sum each score's 2 parts, mask, scale and cap it (the probabilities overwrite
//          the parts in place), take the max, then exp and the sum;
//   C      P·V: invocation (key slice ks, vec4 column cv) accumulates ROWS vec4s over the KPS keys of its slice
//          (consecutive invocations read consecutive vec4s of one V row); after a barrier (the probabilities' last
//          reads) the KS slices are summed through `scratch` in rounds of RG rows, whose invocations write the result.
// Workgroup memory: one `scratch` array holds q (phase A), the folded parts, then the probabilities in their place
// (fold, B, P·V) and the slice sums (C), kept within 16 KiB where the shape allows (decode.ts FAST_WORKGROUP_BYTES:
// three workgroups in the 48 KiB an H200 multiprocessor gives them, kernels/residency.ts); this pass's 4 partials per
// (row, key) as a vec4 beside q and separate scores took 22 512 bytes on the Qwen2-7B decode step (13 296 now).
// The parts lie beside q (PARTS_AT = ROWS · D4: written as phase A ends) or, where that would pass 16 KiB, over it
// (PARTS_AT = 0: written after a barrier that ends phase A's reads of q); decode.ts keyParallelShape decides.
// With key splits each workgroup writes its unnormalised partial result and (max, sum), which flash_combine_split.wgsl
// merges; without, it writes O. The masks (causal bottom-right, window, key lengths, packed documents, softcap,
// scale) come from mask.wgsl's visibleRange and params.wgsl's capScore, as in every kernel. No subgroup builtins.
// K/V are read as vec4<elem> (8-byte loads with f16 storage), a key row as D/4 of them.
// Host-generated sections (decode.ts keyParallelSections): //@LOADS, //@SCORES, //@VLOADS, //@FOLD, //@PV, //@REDUCE.
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
const PARTS: u32 = 4u;              // invocations per key in the score phase
const KPS: u32 = SK / KS;           // keys per V slice in the P·V phase (a multiple of 4)

// q at [0, ROWS·D4) in phase A. The folded parts from PARTS_AT: (row r, local key lk) at vec4 PARTS_AT + (r·SK + lk)/2,
// lanes 2·(lk % 2) + (0, 1) (parts 0 + 2 and 1 + 3); phase B writes row r's scores, then probabilities, of keys
// 4g … 4g + 3 over the parts of keys 4g, 4g + 1 (pAt). Phase C: the slices' sums of RG rows at [0, RG·KS·D4).
var<workgroup> scratch: array<vec4<f32>, SCRATCH>;
var<workgroup> redM: array<f32, ROWS * TPR>;
var<workgroup> redL: array<f32, ROWS * TPR>;
var<workgroup> rangeS: array<vec2<u32>, ROWS>;
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
    // No row sees a key of this split: the combine pass skips a split whose sum is 0 (its partial is not used).
    if (P.splitKeys > 0u) {
      for (var r = lid; r < ROWS; r += THREADS) { stats[wg.x * rows + rowBase + r] = vec2<f32>(MASKED, 0.0); }
    } else {
      for (var item = lid; item < ROWS * D4; item += THREADS) { o[rowBase * D4 + item] = vec4<elem>(0.0); }
    }
    return;
  }
  let last = kEnd - 1u;
  // Phase A: this invocation scores the keys keyLo + kq + a·(THREADS / 4), columns part + 4·c.
  let part = lid % PARTS;
  let kq = lid / PARTS;
  // Phase C: slice ks holds the keys keyLo + ks·KPS + t, vec4 column cv (invocations from KS·D4 on have no slice).
  let cv = lid % D4;
  let ks = lid / D4;
  let hasSlice = lid < KS * D4;
//@LOADS
  for (var item = lid; item < ROWS * D4; item += THREADS) { scratch[item] = vec4<f32>(q[rowBase * D4 + item]); }
  if (lid < ROWS) { rangeS[lid] = visibleRange(b, lid % P.nq); }
  workgroupBarrier();

//@SCORES
//@VLOADS
  workgroupBarrier();
//@FOLD
  workgroupBarrier();

  // Phase B: TPR invocations per row, each over every TPR-th group of 4 keys.
  let sr = lid / TPR;
  let sp = lid % TPR;
  if (sr < ROWS) {
    let range = rangeS[sr];
    let lo = max(range.x, kStart);
    let hi = min(range.y, kEnd);
    var mx = MASKED;
    for (var g = sp; g < SK / 4u; g += TPR) {
      let at = pAt(sr, g);
      let p01 = scratch[at];
      let p23 = scratch[at + 1u];
      let j = keyLo + 4u * g;
      let s = vec4<f32>(score(p01.x + p01.y, j, lo, hi), score(p01.z + p01.w, j + 1u, lo, hi),
                        score(p23.x + p23.y, j + 2u, lo, hi), score(p23.z + p23.w, j + 3u, lo, hi));
      scratch[at] = s;   // in place: no other invocation reads these parts
      mx = max(mx, max(max(s.x, s.y), max(s.z, s.w)));
    }
    redM[sr * TPR + sp] = mx;
  }
  workgroupBarrier();
  if (sr < ROWS) {
    var m = MASKED;
    for (var t = 0u; t < TPR; t++) { m = max(m, redM[sr * TPR + t]); }
    var sum = 0.0;
    for (var g = sp; g < SK / 4u; g += TPR) {
      let s = scratch[pAt(sr, g)];
      let p = select(vec4<f32>(0.0), exp(s - vec4<f32>(m)), s > vec4<f32>(MASKED));
      scratch[pAt(sr, g)] = p;
      sum += (p.x + p.y) + (p.z + p.w);
    }
    redL[sr * TPR + sp] = sum;
  }
  workgroupBarrier();
  if (lid < ROWS) {
    var m = MASKED;
    var l = 0.0;
    for (var t = 0u; t < TPR; t++) {
      m = max(m, redM[lid * TPR + t]);
      l += redL[lid * TPR + t];
    }
    rowStat[lid] = vec2<f32>(m, l);
  }

//@PV
//@REDUCE
}

// Where row r's scores, then probabilities, of the local keys 4g … 4g + 3 lie (a vec4, over the parts of keys 4g
// and 4g + 1; the parts of keys 4g + 2 and 4g + 3 follow it).
fn pAt(r: u32, g: u32) -> u32 {
  return PARTS_AT + r * (SK / 2u) + 2u * g;
}

// The score of `key` from its dot product: scaled and capped; MASKED outside the row's visible keys [lo, hi) within
// the split.
fn score(qk: f32, key: u32, lo: u32, hi: u32) -> f32 {
  return select(MASKED, capScore(qk * P.scale), key >= lo && key < hi);
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
