// flash-mma: FlashAttention-2 on the matrix units. S = Q·Kᵀ and O += P·V are 16×16×16 f16 multiplies with f32
// results (subgroup matrices); the online softmax runs on plain invocations between them.
//
// Work partitioning (FlashAttention-2): a workgroup owns BQ = RPS·NSG consecutive (GQA group × query) slots of
// one KV head, so the query heads sharing K/V read each K/V tile once; each subgroup owns RPS = 16·RB of those rows
// (RB 16-row blocks, each K/V fragment it loads serving all of them) for the whole key loop, keeping its Q fragments
// and its O accumulators in registers. Per K/V tile of BK keys:
//   load K and V (f16, zero-padded to DP columns) → S = Q·Kᵀ per subgroup, stored to workgroup memory →
//   mask, scale, softcap, row max (two invocations per row; one with two row blocks) → P = exp2(S·log2 e − m) as
//   f16 → O += P·V.
// Whole tiles in which no (row, key) pair of the workgroup is visible (causal upper triangle, outside the window
// or the 2-D neighbourhood, past the key length, other documents) are never loaded. Rows are addressed through
// qRow/kvRow (params.wgsl): bhsd and bshd are the same kernel with other strides.
//
// Rescaling is lazy: O is only rescaled when a row's maximum grows by more than RESCALE_LOG (then P ≤ e^8
// fits f16 and O, l keep the same reference max, which is exact: O and l are both sums of exp(s − m_ref)).
// The accumulators are opaque, so a rescale goes through workgroup memory; with a first tile that sets the
// reference it is rare. O += P·V is written in both branches of the rescale test: with the products after the
// branch, the driver kept the accumulators in two sets of registers and copied all of them on every tile.
//
// The matrix operations are the functions of the prelude that shader.ts puts first: the subgroup-matrix
// builtins on adapters that have them, or a plain-f16 stand-in with the same meaning (mma_emulated.wgsl) so the
// tiling and masking can be checked on adapters without matrix units.
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<elem>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<elem>>;
@group(0) @binding(4) var<storage, read> kvLens: array<i32>;
@group(0) @binding(5) var<storage, read_write> o: array<vec4<elem>>;
@group(0) @binding(6) var<storage, read> docBounds: array<i32>;

const D4: u32 = HEAD_DIM / 4u;
const THREADS: u32 = 32u * NSG;
const RPS: u32 = 16u * RB;         // query rows per subgroup: RB 16-row blocks (flash_mma.ts `rowBlocks`)
const BQ: u32 = RPS * NSG;
const LPR: u32 = 2u / RB;          // lanes per row in the softmax: 2 (each half the keys) with one row block, 1 with two
const DC: u32 = DP / 16u;          // 16-wide column blocks of the head dim
const KC: u32 = BK / 16u;          // 16-key blocks of a tile
const HALF: u32 = BK / LPR;        // keys per invocation in the softmax
// Scores, maxima and the reference max are kept in base 2 (score·scale·log2 e, one multiply where there is no
// softcap), so P = exp2(s − m); the log-sum-exp saved for the backward is converted back to the natural log.
const LOG2E: f32 = 1.4426950408889634;
const LN2: f32 = 0.6931471805599453;
const RESCALE_LOG: f32 = 8.0 * LOG2E;   // e^8 in base 2: P ≤ e^8 still fits f16
// SUBGROUP_SYNC = 1: a subgroup's own S rows and row statistics are exchanged without a workgroup barrier,
// relying on the 32 invocations of a subgroup executing the matrix store and the loads after it in step.

var<workgroup> kt: array<f16, BK * KS>;          // K tile, [key][d], row stride KS
var<workgroup> vt: array<f16, BK * VS>;          // V tile, [key][d], row stride VS
var<workgroup> ss: array<f32, BQ * SS>;   // per subgroup: S (RPS × BK), or O blocks when rescaling/writing
var<workgroup> ps: array<f16, BQ * PS>;   // per subgroup: P (RPS × BK); Q (RPS × DP) before the loop
var<workgroup> rowStat: array<f32, ROWSTAT>;     // the two halves' tile maxima (then sums) of each row; 4 unused floats where SHUFFLE = 1
// Some row's maximum grew past the reference this tile (element 0). 16 bytes: every workgroup variable is a multiple of
// 16 bytes, so each lies 16-byte aligned, as the native build's ldmatrix loads need (mma_native.wgsl).
var<workgroup> rescale: array<atomic<u32>, 4>;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  matrixInit(lid);
  let group = P.heads / P.kvHeads;
  let slots = group * P.nq;
  let blk = blockOrder(wg, nwg, BQ, P.nq, true);   // mma_order.wgsl
  let bkv = blk.y;
  let b = bkv / P.kvHeads;
  let kvh = bkv % P.kvHeads;
  let kvBase = kvRow(b, kvh, 0u) * D4;
  let kvStep = P.kvStrideN * D4;
  let sg = lid / 32u;
  let lane = lid % 32u;
  let r = lane / LPR;             // my row within the subgroup's RPS
  let h = lane % LPR;             // my half of the keys where a row has two lanes (0 where it has one)
  let row = sg * RPS + r;         // my row within the workgroup
  let slot0 = blk.x * BQ;
  let slot = slot0 + row;
  let rowLive = slot < slots;
  // SKIP_DEAD = 1: whether any of my subgroup's RPS rows is live (a block's last subgroups may hold only padding).
  let sgLive = SKIP_DEAD == 0u || slot0 + sg * RPS < slots;
  let mySlot = min(slot, slots - 1u);
  let i = mySlot % P.nq;
  let orow = qRow(b, kvh * group + mySlot / P.nq, i);
  let range = visibleRange(b, i);
  let lo = range.x;
  let hi = select(range.x, range.y, rowLive);
  let holes = rangeHasHoles();
  let scale2 = P.scale * LOG2E;
  // FUSED_EXP = 1 with no softcap and a positive scale: the tile keeps its scores unscaled and multiplies by `mul` in the
  // exponent's fma (and once for the tile maximum); otherwise the scores are scaled as read and `mul` is 1.
  let rawScores = FUSED_EXP == 1u && P.softcap <= 0.0 && P.scale > 1e-20;
  let mul = select(1.0, scale2, rawScores);

  // Query rows of the workgroup (a block spanning two heads covers every query position) and their key hull.
  let slotLast = min(slot0 + BQ, slots) - 1u;
  let spans = slot0 / P.nq != slotLast / P.nq;
  let iFirst = select(slot0 % P.nq, 0u, spans);
  let iLast = select(slotLast % P.nq, P.nq - 1u, spans);
  let hull = rowsHull(b, iFirst, iLast);
  let kEnd = hull.y;

  // K/V tiles, invisible ones skipped: the next tile's loads are in flight (in registers) while this tile is
  // computed — the first tile's already while Q is staged.
  var t0 = nextTile(b, iFirst, iLast, hull, (hull.x / BK) * BK, kEnd);
//@PREFETCH

  // Stage Q (f16, zero-padded to DP columns) through ps and keep 16×DP of it per subgroup in registers. Every
  // load of an invocation is issued before the first store (unrolled by flash_mma.ts): global memory latency is
  // paid once, not once per item.
//@QSTAGE
  // Head-dim padding of the K/V tiles stays zero for the whole loop.
  for (var item = lid; item < BK * DP; item += THREADS) {
    if (item % DP >= HEAD_DIM) {
      kt[(item / DP) * KS + item % DP] = f16(0.0);
      vt[(item / DP) * VS + item % DP] = f16(0.0);
    }
  }
  workgroupBarrier();
  // The matrix code below is unrolled by flash_mma.ts: constant indices (no arrays of matrices, which would live in
  // local memory), and a subgroup's own blocks of ss and ps addressed in a switch over the subgroup, each case with
  // literal offsets.
//@QLOAD

  var m = MASKED;     // the row's reference maximum
  var l = 0.0;        // my half's sum of exp(s − m)
  let sBase = row * SS;
  let pBase = row * PS;

  while (t0 < kEnd) {
    let nt = nextTile(b, iFirst, iLast, hull, t0 + BK, kEnd);
//@LOADKV
    // SPLIT_KV = 1: K goes in first (every subgroup read the previous K tile before the last tile's barrier after its
    // scores) and V after the barrier below (the previous tile's P·V may read vt until then), so no barrier at the top
    // of the iteration; the barriers before P·V publish V. With V_LATE (flash_mma.ts `vLate`) V is stored after the
    // softmax instead (//@STOREV_LATE), its loads in flight through the scores. (The last tile's workgroupUniformLoad
    // is done with `rescale` before its second barrier.) SPLIT_KV = 0: a barrier at the top, then K and V.
//@TOPSYNC
    if (lid == 0u) { atomicStore(&rescale[0], 0u); }
//@STOREK
    workgroupBarrier();   // K stored; every subgroup is done with the previous tile's V and P (and with Q in ps)
//@STOREV
    if (nt < kEnd) {
      let t0 = nt;
//@NEXTKV
    }

    // S = Q·Kᵀ for my subgroup's RPS rows, into ss. A subgroup none of whose rows is live (`sgLive`) skips the scores,
    // the softmax and P·V (its rows are never written); it still loads and stores its share of the tiles and meets
    // every barrier.
    if (sgLive) {
//@SCORES
    }
    if (SUBGROUP_SYNC == 0u) { workgroupBarrier(); }
//@STOREV_MID

    // Mask, scale, softcap; my half's maximum. My HALF keys (cb = h·HALF onwards) stay in registers (sv0…, unrolled
    // by flash_mma.ts); a row that sees every key of the tile (no hole in its range) skips the per-key mask.
    let cb = h * HALF;
    let full = !holes && lo <= t0 && t0 + BK <= hi;
    var corr = 1.0;
    var mx = MASKED;
//@SVARS
    if (sgLive) {
//@SMAX
//@TILESTORE
    }
//@TILESYNC
    if (sgLive) {
//@TILEMAX
      if (tileMax > MASKED && (m == MASKED || tileMax > m + RESCALE_LOG)) {
        if (m > MASKED) {
          corr = exp2(m - tileMax);
          atomicStore(&rescale[0], 1u);
        }
        m = tileMax;
      }
      l *= corr;
//@SEXP
    }
//@STOREV_LATE
    if (workgroupUniformLoad(&rescale[0]) != 0u) {
      // Some row's maximum grew past the reference: O ← diag(corr)·O through ss, BK columns at a time (both lanes
      // of a row hold its corr), then O += P·V.
//@RESCALE
      if (sgLive) {
//@PV
      }
    } else if (sgLive) {
      // O += P·V.
//@PV
    }
    t0 = nt;
  }

  // Row sums of both halves, then O / l written BK columns at a time (a row that sees no key outputs 0).
  workgroupBarrier();
//@ROWSUM
  let inv = select(0.0, 1.0 / total, total > 0.0);
//@OUTPUT
  // Training builds only (kernels/backward_mma.ts): the row's natural log-sum-exp (m + log2 l)·ln 2 for the backward.
//@SAVE_LSE
}

// The first tile at or after t (a multiple of BK) in which some pair of rows [i0, i1] × its keys is visible. HULL_ONCE = 1:
// from the rows' hull computed once before the loop (flash_mma.ts `hullOnce`); 0: recomputed for every tile.
fn nextTile(b: u32, i0: u32, i1: u32, hull: vec2<u32>, t: u32, kEnd: u32) -> u32 {
  var n = t;
  if (HULL_ONCE == 1u) {
    while (n < kEnd && !tileVisibleIn(hull, b, i0, i1, n, min(n + BK, P.nk) - 1u)) { n += BK; }
  } else {
    while (n < kEnd && !tileVisible(b, i0, i1, n, min(n + BK, P.nk) - 1u)) { n += BK; }
  }
  return n;
}

// One vec4 of the K tile at `item` = key·D4 + column/4. CLAMP_KV = 1: a key past the last reads the last key (its
// scores are masked, so its probabilities are exactly 0 and its finite V row adds nothing) — one load and no selects;
// 0: zero past the keys (a branch-free load and a select of each half). Items past the tile (BK·D4 ≤ item) are never
// stored.
fn kTileLoad(kvBase: u32, kvStep: u32, t0: u32, item: u32) -> vec4<f16> {
  if (CLAMP_KV == 1u) { return vec4<f16>(k[kvBase + min(t0 + item / D4, P.nk - 1u) * kvStep + item % D4]); }
  let key = item / D4;
  let ok = item < BK * D4 && t0 + key < P.nk;
  let at = select(0u, kvBase + (t0 + key) * kvStep + item % D4, ok);
  return halvesIf(vec4<f16>(k[at]), ok);
}

// One vec4 of the V tile at `item` = key·D4 + column/4, from V as it lies in memory; past the keys as kTileLoad.
fn vTileLoad(kvBase: u32, kvStep: u32, t0: u32, item: u32) -> vec4<f16> {
  if (CLAMP_KV == 1u) { return vec4<f16>(v[kvBase + min(t0 + item / D4, P.nk - 1u) * kvStep + item % D4]); }
  let key = item / D4;
  let ok = item < BK * D4 && t0 + key < P.nk;
  let at = select(0u, kvBase + (t0 + key) * kvStep + item % D4, ok);
  return halvesIf(vec4<f16>(v[at]), ok);
}

// One vec4 of Q at `item` = workgroup row·(DP/4) + column/4 (zero past the rows and the head dim).
fn qLoad(b: u32, kvh: u32, group: u32, slot0: u32, slots: u32, item: u32) -> vec4<f16> {
  let rr = item / (DP / 4u);
  let c4 = item % (DP / 4u);
  let s = slot0 + rr;
  let ok = item < BQ * (DP / 4u) && s < slots && c4 < D4;
  let at = select(0u, qRow(b, kvh * group + s / P.nq, s % P.nq) * D4 + c4, ok);
  return halvesIf(vec4<f16>(q[at]), ok);
}

// The scalar halves of a rescale round and an output round over the BK columns of ss that hold O.
fn scaleRow(sBase: u32, h: u32, f: f32) {
  for (var t = 0u; t < HALF; t++) { ss[sBase + LPR * t + h] *= f; }
}

fn writeRow(sBase: u32, h: u32, c0: u32, orow: u32, inv: f32) {
  for (var t4 = 0u; t4 < HALF / 4u; t4++) {
    let c = h * HALF + t4 * 4u;
    let d = c0 + c;
    if (d < HEAD_DIM) {
      let at = sBase + c;
      o[orow * D4 + d / 4u] = vec4<elem>(vec4<f32>(ss[at], ss[at + 1u], ss[at + 2u], ss[at + 3u]) * inv);
    }
  }
}
