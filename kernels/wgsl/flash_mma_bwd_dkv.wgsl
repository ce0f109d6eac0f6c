// flash-mma backward, pass 1 of 2: dK and dV (see flash_mma_bwd_common.wgsl for the shape both passes share).
// A workgroup owns FR = 16·NSG keys of one key/value head, 16 per subgroup, and keeps their K and V fragments
// and dK, dV accumulators in registers while it walks the query tiles (BT rows) of every query head of the GQA
// group — the group's sum needs no second pass and no atomics, and K/V are never repeated. Per query tile:
//   Sᵀ = K·Qᵀ → Pᵀ → dV += Pᵀ·dO → dPᵀ = V·dOᵀ → dSᵀ → dK += dSᵀ·Q   (dK scaled once at the end).
// Query tiles whose rows see none of the workgroup's keys are never loaded (by the key hull of the tile's rows,
// mask.wgsl's rowsHull). The next visible
// tile's Q and dO are loaded into registers while this one is computed (where that takes few registers; see
// backward_mma.ts), and so are its rows' log-sum-exp, D and visible keys (always: four registers per column). The matrix code is unrolled by
// backward_mma.ts (one variable per fragment and accumulator, constant offsets).
@group(0) @binding(9) var<storage, read_write> dk: array<vec4<elem>>;
@group(0) @binding(10) var<storage, read_write> dv: array<vec4<elem>>;

// Per row of the query tile (a column of Sᵀ): its visible keys [lo, hi) (as bits), log-sum-exp and D, one vec4 in the
// padding of st's rows (st's products fill columns [0, BT) only), at colAt(x).
@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  matrixInit(lid);
  let blk = blockOrder(wg, nwg, FR, P.nk, false);   // mma_order.wgsl
  let bkv = blk.y;
  let b = bkv / P.kvHeads;
  let kvh = bkv % P.kvHeads;
  let group = P.heads / P.kvHeads;
  let kvFirst = bkv * P.nk;          // K/V rows of this head
  let t0 = blk.x * FR;
  let sg = lid / 32u;
  let lane = lid % 32u;
  let r = lane / 2u;                 // my key within the subgroup's 16
  let h = lane % 2u;                 // my half of the tile's query columns (see the element-wise steps in common)
  let cb = h * HALF;
  let key = t0 + sg * 16u + r;
  let sBase = (sg * 16u + r) * SS;
  let pBase = (sg * 16u + r) * PS;
  let sgS = sg * 16u * SS;
  let sgP = sg * 16u * PS;
  let holes = rangeHasHoles();       // a 2-D neighbourhood: keys inside a row's [lo, hi) may still be masked

  // The first visible query tile's loads (and its columns' metadata) are issued before the fragments are staged,
  // so the two global latencies overlap. The loop walks (head of the group g, query tile qt) as two counters, not one
  // tile index split by divisions: a query tile's visibility depends on its rows only, so every head of the group sees
  // the same tiles, from the first visible one (qtFirst).
  let qTiles = (P.nq + BT - 1u) / BT;
  let headRows = (b * P.heads + kvh * group) * P.nq;   // the group's first query row
  let qtFirst = nextQt(b, t0, qTiles, 0u);
  var g = select(group, 0u, qtFirst < qTiles);          // g == group: no (more) tiles
  var qt = qtFirst;
  let first0 = headRows + g * P.nq + qt * BT;
  let valid0 = select(0u, min(BT, P.nq - min(qt * BT, P.nq)), g < group);
//@PREFETCH
//@COLPREFETCH

  padTiles(lid);
  // K and V rows of the workgroup's keys into xa and xb (STAGE: backward_mma.ts, every load before the first store).
  let stageFirst = kvFirst + t0;
  let stageValid = select(0u, P.nk - t0, t0 < P.nk);
//@STAGE
  workgroupBarrier();
//@FRAGS

//@PROLOGUE
  loop {
    if (g >= group) { break; }
    let i0 = qt * BT;
    let rows0 = headRows + g * P.nq;
    let firstNow = rows0 + i0;              // this tile's rows (read here when not prefetched)
    let validNow = min(BT, P.nq - i0);
//@TOP
    // The next visible tile: further along this head, else the next head's first.
    var ng = g;
    var nqt = nextQt(b, t0, qTiles, qt + 1u);
    if (nqt >= qTiles) { ng = g + 1u; nqt = qtFirst; }
    let more = ng < group;
    let first = headRows + min(ng, group - 1u) * P.nq + nqt * BT;
    let valid = select(0u, min(BT, P.nq - nqt * BT), more);
    if (more) {
//@NEXT
//@COLNEXT
    }

    // Sᵀ = K·Qᵀ for my subgroup's 16 keys, into st.
//@SCORES
    workgroupBarrier();
    // Pᵀ = exp(softcap(scale·Sᵀ) − lse) of my key and HALF query columns (backward_mma.ts `elementwiseSteps`); when
    // every column of my half sees my key (without holes the bounds never decrease along the query rows, so its
    // first and last columns decide), no per-element mask.
    let cl = colAt(cb + HALF - 1u);
    let full = !holes && key >= bitcast<u32>(st[cl]) && key < min(bitcast<u32>(st[colAt(cb) + 1u]), bitcast<u32>(st[cl + 1u]));
//@PSTEP
//@STOREA
    workgroupBarrier();
    // dV += Pᵀ·dO; dPᵀ = V·dOᵀ into st.
//@DV
//@DP
    workgroupBarrier();
//@STOREB
    // dSᵀ = Pᵀ ⊙ (dPᵀ − D) ⊙ softcap slope, over P's f16 values (a masked element's P is 0, so is its dS).
//@DSSTEP
    workgroupBarrier();
//@STOREMETA
    // dK += dSᵀ·Q.
//@DX
//@FLIP
    g = ng;
    qt = nqt;
  }

  // dK = scale · accX, dV = accY, through st in rounds of QC column blocks.
  workgroupBarrier();
//@OUTPUT
}

// The first query tile at or after `start` whose rows see any of keys [t0, t0 + FR) (the same for every head of the
// group); qTiles when none.
fn nextQt(b: u32, t0: u32, qTiles: u32, start: u32) -> u32 {
  var qt = start;
  loop {
    if (qt >= qTiles) { break; }
    let i0 = qt * BT;
    let hull = rowsHull(b, i0, min(i0 + BT, P.nq) - 1u);
    if (hull.x < hull.y && hull.x < t0 + FR && hull.y > t0) { break; }
    qt++;
  }
  return qt;
}

// Column x of the query tile from row i0 of the head whose first row is `rows` (live: there is such a tile): its visible
// keys [lo, hi) as bits, log-sum-exp and D; a column past the rows (or of no tile) sees no key. Loaded into registers a
// tile ahead (backward_mma.ts), stored at the top of the tile's iteration (or, pipelined, after the previous tile's dS step).
fn colLoad(b: u32, rows: u32, i0: u32, live0: bool, x: u32) -> vec4<f32> {
  let i = i0 + x;
  let live = live0 && i < P.nq;
  let ii = min(i, P.nq - 1u);
  let range = visibleRange(b, ii);
  let row = select(0u, rows + ii, live);
  return vec4<f32>(bitcast<f32>(select(0u, range.x, live)), bitcast<f32>(select(0u, range.y, live)), lse[row], rowD[row]);
}

// Where column x's metadata sits in st: slot L of the row padding (row L mod FR, vec4 L / FR of its padding). The second
// half's columns are rotated by one slot (column HALF + j in slot HALF + (j + 1) mod HALF), so that the two halves' lanes,
// which read their column t at the same time, read rows (HALF + 1)·SS words apart: other banks.
fn colAt(x: u32) -> u32 {
  let l = select(x, HALF + (x + 1u) % HALF, x >= HALF);
  return (l % FR) * SS + BT + 4u * (l / FR);
}

// One output round: my key's row of width 16·n stored in st, my half of it, from head-dim column c0.
fn writeRound(isV: bool, sBase: u32, h: u32, width: u32, c0: u32, key: u32, kvFirst: u32) {
  if (key >= P.nk) { return; }
  let f = select(P.scale, 1.0, isV);
  for (var t4 = 0u; t4 < width / 8u; t4++) {
    let c = h * (width / 2u) + t4 * 4u;
    let d = c0 + c;
    if (d < HEAD_DIM) {
      let at = ((kvFirst + key) * HEAD_DIM + d) / 4u;
      let val = vec4<elem>(vec4<f32>(st[sBase + c], st[sBase + c + 1u], st[sBase + c + 2u], st[sBase + c + 3u]) * f);
      if (isV) { dv[at] = val; } else { dk[at] = val; }
    }
  }
}
