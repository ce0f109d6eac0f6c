// flash-mma backward, pass 2 of 2: dQ = scale · dS·K (see flash_mma_bwd_common.wgsl for the shape both passes
// share). WGSL has no float atomics, so dQ is not accumulated by the dK/dV workgroups as FlashAttention-2's CUDA
// kernel does: this pass recomputes S and dP for its rows — two more tile products, but every dQ element is
// written once by its owner, deterministically, with no scratch.
// As the forward (flash_mma.wgsl), a workgroup owns FR = 16·NSG consecutive (GQA group × query) slots of one
// key/value head, so the query heads sharing K/V read each K/V tile once; each subgroup keeps 16 rows of Q and dO
// as fragments and their dQ accumulators in registers, and walks the K/V tiles (BT keys) inside the workgroup's
// visible key hull:
//   S = Q·Kᵀ → P → dP = dO·Vᵀ → dS → dQ += dS·K.
// The loop can be pipelined (backward_mma.ts pipeFor; off by default): two K tiles, the next one's loads issued at the top of
// the iteration and stored into the other after the P step, the next V tile loaded and stored after the barrier that
// ends the dP product: four barriers per tile instead of six.
@group(0) @binding(9) var<storage, read_write> dq: array<vec4<elem>>;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  matrixInit(lid);
  let group = P.heads / P.kvHeads;
  let slots = group * P.nq;
  let blk = blockOrder(wg, nwg, FR, P.nq, true);   // mma_order.wgsl
  let bkv = blk.y;
  let b = bkv / P.kvHeads;
  let kvh = bkv % P.kvHeads;
  let kvFirst = bkv * P.nk;
  // Slots of one KV head are consecutive rows of [B, Hq, Nq, D]: the group's query heads are adjacent.
  let rowBase = (b * P.heads + kvh * group) * P.nq;
  let sg = lid / 32u;
  let lane = lid % 32u;
  let r = lane / 2u;              // my row within the subgroup's 16
  let h = lane % 2u;              // my half of the tile's keys (see the element-wise steps in common)
  let cb = h * HALF;
  let slot0 = blk.x * FR;
  let slot = slot0 + sg * 16u + r;
  let rowLive = slot < slots;
  let qRowAt = rowBase + min(slot, slots - 1u);
  let qi = min(slot, slots - 1u) % P.nq;     // my query row
  let range = visibleRange(b, qi);
  let lo = range.x;
  let hi = select(range.x, range.y, rowLive);
  let myLse = lse[qRowAt];
  let myD = rowD[qRowAt];
  let sBase = (sg * 16u + r) * SS;
  let pBase = (sg * 16u + r) * PS;
  let sgS = sg * 16u * SS;
  let sgP = sg * 16u * PS;

  // Key hull of the workgroup (mask.wgsl's rowsHull; a block spanning two heads takes all).
  let slotLast = min(slot0 + FR, slots) - 1u;
  let spans = slot0 / P.nq != slotLast / P.nq;
  let hull = rowsHull(b, select(slot0 % P.nq, 0u, spans), select(slotLast % P.nq, P.nq - 1u, spans));
  let kStart = hull.x;
  let kEnd = hull.y;
  let holes = rangeHasHoles();                // a 2-D neighbourhood: keys inside [lo, hi) may still be masked

  // The first K/V tile's loads are issued before the fragments are staged, so the two global latencies overlap.
  var t0 = (kStart / BT) * BT;
  let first0 = kvFirst + t0;
  let valid0 = select(0u, min(BT, P.nk - t0), t0 < P.nk);
//@PREFETCH

  padTiles(lid);
  // Q and dO rows of the workgroup's slots into xa and xb (STAGE: backward_mma.ts, every load before the first store).
  let stageFirst = rowBase + slot0;
  let stageValid = slots - slot0;
//@STAGE
  workgroupBarrier();
//@FRAGS

//@PROLOGUE
  for (; t0 < kEnd; t0 += BT) {
    let firstNow = kvFirst + t0;            // this tile's keys (read here when not prefetched)
    let validNow = min(BT, P.nk - t0);
//@TOP
    let more = t0 + BT < kEnd;
    let first = kvFirst + t0 + BT;
    let valid = select(0u, min(BT, P.nk - min(t0 + BT, P.nk)), more);
    if (more) {
//@NEXT
    }

    // S = Q·Kᵀ for my subgroup's 16 rows, into st.
//@SCORES
    workgroupBarrier();
    // P = exp(softcap(scale·S) − lse) of my row and HALF keys (backward_mma.ts `elementwiseSteps`); when my row sees
    // every key of my half (and the mask has no holes), no per-element mask.
    let full = !holes && lo <= t0 + cb && t0 + cb + HALF <= hi;
//@PSTEP
//@STOREA
    workgroupBarrier();
    // dP = dO·Vᵀ into st.
//@DP
    workgroupBarrier();
//@STOREB
    // dS = P ⊙ (dP − D) ⊙ softcap slope, over P's f16 values (a masked element's P is 0, so is its dS).
//@DSSTEP
    workgroupBarrier();
    // dQ += dS·K.
//@DX
//@FLIP
  }

  // dQ = scale · accX, through st in rounds of QC column blocks (a row that sees no key writes 0).
  workgroupBarrier();
//@OUTPUT
}

// One output round: my row of width 16·n stored in st, my half of it, from head-dim column c0.
fn writeRound(isV: bool, sBase: u32, h: u32, width: u32, c0: u32, live: bool, qRow: u32) {
  if (!live) { return; }
  for (var t4 = 0u; t4 < width / 8u; t4++) {
    let c = h * (width / 2u) + t4 * 4u;
    let d = c0 + c;
    if (d < HEAD_DIM) {
      dq[(qRow * HEAD_DIM + d) / 4u] = vec4<elem>(vec4<f32>(st[sBase + c], st[sBase + c + 1u], st[sBase + c + 2u], st[sBase + c + 3u]) * P.scale);
    }
  }
}
