// flash (tiled variant): fused online-softmax attention with register blocking, FlashAttention-2 style.
// Each thread owns a 4-row × 4-key block of the score tile S and 4 rows × (D/TX) columns of O, so every
// value loaded from workgroup memory feeds 4–16 FMAs instead of 4. Per K/V tile of BK keys:
//   load Kᵀ and V → S = Q·Kᵀ (Q rows read through L1) → row max across the TX threads of a row
//   → rescale O once → P = exp(S − m) into workgroup memory (reusing Kᵀ's space) → O += P·V.
// Row sums stay per thread (all share the row's max) and are reduced once at the end.
// Rows are packed per key/value head: a workgroup takes BQ consecutive (query head of the GQA group, query
// position) slots of one KV head, so the heads sharing K/V read the same tiles. For short queries (decode)
// the keys are also split over workgroups (wg.z); each split writes an unnormalised partial result and
// its (max, sum), and flash_combine_split.wgsl merges them.
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
const TX: u32 = BK / 4u;       // threads across the keys of a tile (and across O's columns)
const TY: u32 = BQ / 4u;       // threads across query rows
const THREADS: u32 = TX * TY;
// DP4 (from the host) is D4 rounded up to a multiple of TX: head dims such as 40, 72 or 80 pad V's rows in
// workgroup memory with zero columns, so every thread owns the same number of O columns; padded columns are
// computed on zeros and never written. DP4 = D4 for the head dims that are multiples of 4·TX (64, 128, …).
const TD4: u32 = DP4 / TX;     // vec4 columns of O per thread: d4 = c·TX + tx (interleaved: no bank conflicts)

// Kᵀ as kp[d·TX + keyGroup] (4 keys per vec4) while S is computed, then P as kp[key·TY + rowGroup].
var<workgroup> kp: array<vec4<f32>, KP_VEC4>;
var<workgroup> vs: array<vec4<f32>, BK * DP4>;
var<workgroup> red: array<vec4<f32>, TY * TX>;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let bkv = wg.y;
  if (bkv >= P.batch * P.kvHeads) { return; }
  let b = bkv / P.kvHeads;
  let kvh = bkv % P.kvHeads;
  let group = P.heads / P.kvHeads;
  let slots = group * P.nq;
  let kvBase = kvRow(b, kvh, 0u) * D4;
  let kvStep = P.kvStrideN * D4;
  let tx = lid % TX;
  let ty = lid / TX;
  let slot0 = wg.x * BQ;
  let slotLast = min(slot0 + BQ, slots) - 1u;
  // My 4 rows: slot → (query head kvh·group + slot / nq, position slot % nq) → flat row of [B, Hq, Nq].
  var qrow: vec4<u32>;   // flat row of [B, Hq, Nq] (split partials)
  var qoff: vec4<u32>;   // where the row starts in Q and O, in vec4s (layout strides)
  var qpos: vec4<u32>;
  var lo: vec4<u32>;
  var hi: vec4<u32>;
  for (var r = 0u; r < 4u; r++) {
    let slot = min(slot0 + ty * 4u + r, slots - 1u);
    let i = slot % P.nq;
    qrow[r] = (b * P.heads + kvh * group + slot / P.nq) * P.nq + i;
    qoff[r] = qRow(b, kvh * group + slot / P.nq, i) * D4;
    qpos[r] = i;
    let range = visibleRange(b, i);
    lo[r] = range.x;
    hi[r] = range.y;
  }
  let rowsLive = slot0 + ty * 4u < slots;
  let q0 = qoff.x;
  let q1 = qoff.y;
  let q2 = qoff.z;
  let q3 = qoff.w;

  // The query positions of this block: its first and last slot's — or 0 and nq−1 when it spans two heads.
  // Keys any of them sees bound the loop; a K/V tile in which no pair is visible is skipped before it is loaded.
  let iFirst = select(slot0 % P.nq, 0u, slot0 / P.nq != slotLast / P.nq);
  let iLast = select(slotLast % P.nq, P.nq - 1u, slot0 / P.nq != slotLast / P.nq);
  let hull = rowsHull(b, iFirst, iLast);
  var kStart = hull.x;
  var kEnd = hull.y;
  if (P.splitKeys > 0u) {
    let splitLo = wg.z * P.splitKeys;
    let splitHi = splitLo + P.splitKeys;
    kStart = max(kStart, splitLo);
    kEnd = min(kEnd, splitHi);
    lo = max(lo, vec4<u32>(splitLo));
    hi = min(hi, vec4<u32>(splitHi));
  }

  var acc: array<vec4<f32>, 4u * TD4>;
  var m = vec4<f32>(MASKED);
  var l = vec4<f32>(0.0);

  let holes = rangeHasHoles();
  for (var t0 = (kStart / BK) * BK; t0 < kEnd; t0 += BK) {
    if (!tileVisible(b, iFirst, iLast, t0, min(t0 + BK, P.nk) - 1u)) { continue; }
    workgroupBarrier();
    // Kᵀ: each item reads 4 keys × one vec4 of dims (coalesced along D) and writes 4 transposed vec4s.
    for (var item = lid; item < TX * D4; item += THREADS) {
      let d4 = item % D4;
      let kg = item / D4;
      var kk: array<vec4<f32>, 4>;
      for (var e = 0u; e < 4u; e++) {
        let key = t0 + kg * 4u + e;
        if (key < P.nk) { kk[e] = vec4<f32>(k[kvBase + key * kvStep + d4]); }
      }
      for (var c = 0u; c < 4u; c++) {
        kp[(d4 * 4u + c) * TX + kg] = vec4<f32>(kk[0][c], kk[1][c], kk[2][c], kk[3][c]);
      }
    }
    for (var item = lid; item < BK * DP4; item += THREADS) {
      let key = t0 + item / DP4;
      let col = item % DP4;
      var vv = vec4<f32>(0.0);
      if (key < P.nk && col < D4) { vv = vec4<f32>(v[kvBase + key * kvStep + col]); }
      vs[item] = vv;
    }
    workgroupBarrier();

    // S block: s_r holds row r's scores for keys t0 + tx·4 + (0..3).
    var s0 = vec4<f32>(0.0);
    var s1 = vec4<f32>(0.0);
    var s2 = vec4<f32>(0.0);
    var s3 = vec4<f32>(0.0);
    // Threads whose rows lie past the last slot (decode: 7 live rows in a 64-row block) only help load tiles.
    if (rowsLive) {
    for (var d4 = 0u; d4 < D4; d4++) {
      let k0 = kp[(d4 * 4u + 0u) * TX + tx];
      let k1 = kp[(d4 * 4u + 1u) * TX + tx];
      let k2 = kp[(d4 * 4u + 2u) * TX + tx];
      let k3 = kp[(d4 * 4u + 3u) * TX + tx];
      let a = vec4<f32>(q[q0 + d4]);
      let bq = vec4<f32>(q[q1 + d4]);
      let c = vec4<f32>(q[q2 + d4]);
      let d = vec4<f32>(q[q3 + d4]);
      s0 = fma(vec4<f32>(a.x), k0, fma(vec4<f32>(a.y), k1, fma(vec4<f32>(a.z), k2, fma(vec4<f32>(a.w), k3, s0))));
      s1 = fma(vec4<f32>(bq.x), k0, fma(vec4<f32>(bq.y), k1, fma(vec4<f32>(bq.z), k2, fma(vec4<f32>(bq.w), k3, s1))));
      s2 = fma(vec4<f32>(c.x), k0, fma(vec4<f32>(c.y), k1, fma(vec4<f32>(c.z), k2, fma(vec4<f32>(c.w), k3, s2))));
      s3 = fma(vec4<f32>(d.x), k0, fma(vec4<f32>(d.y), k1, fma(vec4<f32>(d.z), k2, fma(vec4<f32>(d.w), k3, s3))));
    }
    }
    var s = array<vec4<f32>, 4>(s0, s1, s2, s3);
    var partMax = vec4<f32>(MASKED);
    let keyBase = t0 + tx * 4u;
    for (var r = 0u; r < 4u; r++) {
      var row = s[r];
      for (var c = 0u; c < 4u; c++) {
        let key = keyBase + c;
        var score = capScore(row[c] * P.scale);
        if (key < lo[r] || key >= hi[r] || !rowsLive) { score = MASKED; }
        row[c] = score;
      }
      if (holes) {
        // A 2-D neighbourhood leaves holes inside [lo, hi) (one uniform branch per tile): the rest of keyVisible.
        for (var c = 0u; c < 4u; c++) {
          if (!neighborVisible(qpos[r], keyBase + c)) { row[c] = MASKED; }
        }
      }
      s[r] = row;
      partMax[r] = max(max(row.x, row.y), max(row.z, row.w));
    }
    red[ty * TX + tx] = partMax;
    workgroupBarrier();   // also: every thread is done reading Kᵀ, so P may overwrite it

    var tileMax = vec4<f32>(MASKED);
    for (var t = 0u; t < TX; t++) { tileMax = max(tileMax, red[ty * TX + t]); }
    let mNew = max(m, tileMax);
    let correction = exp(m - mNew);
    m = mNew;
    l *= correction;
    for (var c = 0u; c < TD4; c++) {
      acc[c] *= correction.x;
      acc[TD4 + c] *= correction.y;
      acc[2u * TD4 + c] *= correction.z;
      acc[3u * TD4 + c] *= correction.w;
    }
    // A row with no visible key so far has m = MASKED; its masked scores must give p = 0, not exp(0).
    let live = mNew > vec4<f32>(MASKED);
    var pr: array<vec4<f32>, 4>;
    for (var r = 0u; r < 4u; r++) {
      pr[r] = select(vec4<f32>(0.0), exp(s[r] - vec4<f32>(mNew[r])), live[r]);
      l[r] += pr[r].x + pr[r].y + pr[r].z + pr[r].w;
    }
    for (var c = 0u; c < 4u; c++) {
      kp[(tx * 4u + c) * TY + ty] = vec4<f32>(pr[0][c], pr[1][c], pr[2][c], pr[3][c]);
    }
    workgroupBarrier();

    if (rowsLive) {
    for (var kk2 = 0u; kk2 < BK; kk2++) {
      let p4 = kp[kk2 * TY + ty];
      for (var c = 0u; c < TD4; c++) {
        let vv = vs[kk2 * DP4 + c * TX + tx];
        acc[c] = fma(vec4<f32>(p4.x), vv, acc[c]);
        acc[TD4 + c] = fma(vec4<f32>(p4.y), vv, acc[TD4 + c]);
        acc[2u * TD4 + c] = fma(vec4<f32>(p4.z), vv, acc[2u * TD4 + c]);
        acc[3u * TD4 + c] = fma(vec4<f32>(p4.w), vv, acc[3u * TD4 + c]);
      }
    }
    }
  }

  // Row sums: reduce the TX partial sums of each row once.
  workgroupBarrier();
  red[ty * TX + tx] = l;
  workgroupBarrier();
  var total = vec4<f32>(0.0);
  for (var t = 0u; t < TX; t++) { total += red[ty * TX + t]; }
  if (P.splitKeys > 0u) {
    // Unnormalised partial result of this split; flash_combine_split.wgsl rescales by the splits' maxima.
    let rows = P.batch * P.heads * P.nq;
    for (var r = 0u; r < 4u; r++) {
      if (slot0 + ty * 4u + r < slots) {
        let at = wg.z * rows + qrow[r];
        for (var c = 0u; c < TD4; c++) {
          if (c * TX + tx < D4) { partial[at * D4 + c * TX + tx] = acc[r * TD4 + c]; }
        }
        if (tx == 0u) { stats[at] = vec2<f32>(m[r], total[r]); }
      }
    }
    return;
  }
  // A row that sees no key outputs 0, as the reference does.
  let inv = select(vec4<f32>(0.0), vec4<f32>(1.0) / total, total > vec4<f32>(0.0));
  for (var r = 0u; r < 4u; r++) {
    if (slot0 + ty * 4u + r < slots) {
      let oBase = qoff[r];
      for (var c = 0u; c < TD4; c++) {
        if (c * TX + tx < D4) { o[oBase + c * TX + tx] = vec4<elem>(acc[r * TD4 + c] * inv[r]); }
      }
    }
  }
}
