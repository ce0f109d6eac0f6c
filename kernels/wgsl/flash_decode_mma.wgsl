// Decode on the matrix units, persistent: few query rows per KV head (ROWS = GQA group × query length ≤ 16, taken as
// one 16-row left operand), many keys. One workgroup of 4 subgroups per (key chunk wg.x, batch × KV head wg.y); the
// host sizes the chunks so the whole grid is one wave of resident workgroups (decode_mma.ts). Each workgroup walks
// its chunk in 32-key steps with an online softmax, the K and V of the next step (or two) in flight in registers:
//   loads  16-byte words (8 halves) straight from K and V into DEPTH register buffers per tensor (1, or 2 for
//          measuring), host-unrolled into named registers (//@LOADS); step s stages buffer s % DEPTH into the tile
//          `kt` and refills it with step s + DEPTH right after (no copies between buffers: a copy waits for the load
//          it copies); a loop trip is DEPTH steps, none of them guarded (a guarded step would merge each buffer's
//          two values at its end, a copy). Keys past the chunk's visible range read its last visible key and are
//          masked in the softmax. K and V are bound read-write (decode_mma.ts decodeMmaKvAccess) so that the driver
//          keeps each refill where it is issued;
//   S      subgroups 0 and 1 each take 16 of the step's keys: S = Q·Kᵀ over the head dim's 16-wide blocks, stored
//          to `ss`;
//   soft   8 invocations per row, 4 keys each: scale, cap and mask the scores, the row's max (//@ROWMAX), the
//          probabilities into `ps` (f16). The running max moves only when a row's max passes it by more than
//          LAZY (then O and the running sums are rescaled — through `ss`, all subgroups together, rarely after
//          the first steps); probabilities stay below e^LAZY;
//   P·V    subgroup w accumulates O's column blocks w, w + 4, … over the step's 32 keys (V staged in `kt` too).
// At the end each workgroup writes its chunk's unnormalised O rows and (max, sum) — the split-K layout of
// flash_combine_split.wgsl, which merges the chunks. Masks (causal bottom-right, window, key lengths, packed
// documents, softcap, scale) come from mask.wgsl's visibleRange and params.wgsl's capScore, as in every kernel.
// One source, two builds (flash_mma.ts): the subgroup-matrix builtins (decode_mma_native.wgsl) or the plain-f16
// stand-in (mma_standin.wgsl + decode_mma_emulated.wgsl) where the adapter has no matrix units.
// Host-generated sections (decode_mma.ts decodeMmaSections): //@LOADS, //@STEPS, //@ROWMAX, //@ROWSUM, //@QFRAGS, //@ACC, //@OUT,
// //@TRIP (keys per loop trip: a step per register buffer).
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> kvLens: array<i32>;
@group(0) @binding(6) var<storage, read_write> partial: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(8) var<storage, read> docBounds: array<i32>;

const D8: u32 = HEAD_DIM / 8u;      // 16-byte words per key row
const D4: u32 = HEAD_DIM / 4u;
const STEP: u32 = 32u;              // keys per step
const WORDS: u32 = STEP * D8;       // 16-byte words of one step's K (or V)
const KS: u32 = HEAD_DIM + 8u;      // f16 row stride of kt (16-byte rows)
const SS: u32 = 68u;                // f32 row stride of ss: a step's 32 scores, or 4 subgroups' 16 columns of O
const PS: u32 = 40u;                // f16 row stride of ps
//@TRIP
const LAZY: f32 = 8.0;              // how far a row's max may pass the running max before O is rescaled

// Every workgroup variable a multiple of 16 bytes (mma_native.wgsl: ldmatrix needs the tiles 16-byte aligned).
var<workgroup> kt: array<f16, STEP * KS>;       // Q's 16 rows before the loop, then each step's K, then its V
var<workgroup> ss: array<f32, 16u * SS>;
var<workgroup> ps: array<f16, 16u * PS>;
var<workgroup> corr: array<f32, 16>;            // each row's rescale factor of the step
var<workgroup> rangeS: array<vec2<u32>, 16>;    // each row's visible keys
var<workgroup> flag: array<atomic<u32>, 4>;     // [0]: some row rescales this step

// Eight halves of a 16-byte word into kt at `at` (a multiple of 8: the driver merges the stores).
fn stage(at: u32, w: vec4<u32>) {
  let a = bitcast<vec2<f16>>(w.x);
  let b = bitcast<vec2<f16>>(w.y);
  let c = bitcast<vec2<f16>>(w.z);
  let d = bitcast<vec2<f16>>(w.w);
  kt[at] = a.x; kt[at + 1u] = a.y; kt[at + 2u] = b.x; kt[at + 3u] = b.y;
  kt[at + 4u] = c.x; kt[at + 5u] = c.y; kt[at + 6u] = d.x; kt[at + 7u] = d.y;
}

@compute @workgroup_size(128, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  matrixInit(lid);
  let chunk = wg.x;
  let pair = wg.y;
  let b = pair / P.kvHeads;
  let kvh = pair % P.kvHeads;
  let group = P.heads / P.kvHeads;
  let rows = group * P.nq;                              // ≤ 16
  let rowBase = (b * P.heads + kvh * group) * P.nq;     // the rows of [B, Hq, Nq, D] this KV head serves
  let allRows = P.batch * P.heads * P.nq;
  let keyLo = chunk * P.splitKeys;
  let keyHi = min(P.nk, keyLo + P.splitKeys);
  // Keys any row sees: the range bounds never decrease with the position.
  let kStart = max(visibleRange(b, 0u).x, keyLo);
  let kEnd = min(visibleRange(b, P.nq - 1u).y, keyHi);
  if (kStart >= kEnd) {
    // No row sees a key of this chunk: the combine pass skips a chunk whose sum is 0.
    if (lid < rows) { stats[chunk * allRows + rowBase + lid] = vec2<f32>(MASKED, 0.0); }
    return;
  }
  let last = kEnd - 1u;
  let w = lid / 32u;
  // Q's rows into kt (rows past ROWS zero), each row's visible keys, P's rows past ROWS zero.
  for (var item = lid; item < 16u * D8; item += 128u) {
    let r = item / D8;
    var word = vec4<u32>(0u);
    if (r < rows) { word = q[qRow(b, kvh * group + r / P.nq, r % P.nq) * D8 + item % D8]; }
    stage(r * KS + (item % D8) * 8u, word);
  }
  if (lid < 16u) { rangeS[lid] = visibleRange(b, lid % P.nq); }
  for (var i = lid; i < 16u * PS; i += 128u) { ps[i] = f16(0.0); }
  workgroupBarrier();
//@QFRAGS
  workgroupBarrier();
  // Softmax invocations: row r, keys j … j + 3 of the step.
  let r = lid / 8u;
  let j = (lid % 8u) * 4u;
  let range = rangeS[r];
  let lo = max(range.x, kStart);
  let hi = select(lo, min(range.y, kEnd), r < rows);
  var m = MASKED;   // the row's running max (natural-log units, after scale and cap)
  var l = 0.0;      // this invocation's part of the row's running sum
//@ACC
//@LOADS
  for (var t0 = kStart; t0 < kEnd; t0 += TRIP) {
//@STEPS
  }
//@ROWSUM
  if (r < rows && (lid % 8u) == 0u) { stats[chunk * allRows + rowBase + r] = vec2<f32>(m, total); }
//@OUT
}

// The 16-byte word `item` of the step whose first key is `key0`, clamped to the chunk's last visible key.
fn kvWord(b: u32, kvh: u32, key0: u32, item: u32, last: u32) -> u32 {
  return kvRow(b, kvh, min(key0 + item / D8, last)) * D8 + item % D8;
}

// The score of `key` from its dot product: scaled and capped; MASKED outside the row's visible keys [lo, hi).
fn score(qk: f32, key: u32, lo: u32, hi: u32) -> f32 {
  return select(MASKED, capScore(qk * P.scale), key >= lo && key < hi);
}
