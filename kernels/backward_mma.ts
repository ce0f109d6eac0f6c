/**
 * flash-mma training: FlashAttention-2's backward on the matrix units (16×16×16 f16 subgroup matrices, f32
 * results), beside flash-mma's forward.
 *
 * forward — flash-mma's own fused kernel, built with its log-sum-exp output (flash_mma.ts `mmaForwardPipeline`
 *   with `saveLse`): the forward keeps O and one f32 per query row, B·Hq·Nq. Decode-shaped problems run it too
 *   (not the decode path, which saves no statistics).
 * backward — D = rowsum(dO ⊙ O) (the pass naive and flash use), then two passes that recompute P tile by tile:
 *   dK/dV (flash_mma_bwd_dkv.wgsl: a workgroup per block of keys, the query tiles of every head of the GQA group
 *   looped inside, dK and dV in registers) and dQ (flash_mma_bwd_dq.wgsl: a workgroup per block of query slots).
 *   WGSL has no float atomics, so dQ has its own pass rather than FlashAttention-2's atomicAdd from the dK/dV
 *   workgroups: two more tile products (7 instead of 5), every element written once, deterministically. (dQ added
 *   from the dK/dV pass as 32-bit fixed point with integer atomicAdd was correct and deterministic but slower on the
 *   H200: ViT-3136 dK/dV + dQ 11.12 ms against 5.24 + 3.70 ms; BENCHMARKS.md, twentieth session.)
 *
 * One WGSL source per pass, two builds as the forward: the subgroup-matrix builtins (mma_bwd_native.wgsl) and a
 * plain-f16 stand-in with the same meaning (mma_bwd_emulated.wgsl) that checks the tiling and masking where there
 * are no matrix units (CI's lavapipe). Operands are f16 whatever the storage type (checked at the f16 tolerance).
 */
import dkvWgsl from './wgsl/flash_mma_bwd_dkv.wgsl';
import dqWgsl from './wgsl/flash_mma_bwd_dq.wgsl';
import commonWgsl from './wgsl/flash_mma_bwd_common.wgsl';
import bwdBindingsWgsl from './wgsl/bwd_bindings.wgsl';
import mmaBwdNativeWgsl from './wgsl/mma_bwd_native.wgsl';
import mmaBwdEmulatedWgsl from './wgsl/mma_bwd_emulated.wgsl';
import mmaStandInWgsl from './wgsl/mma_standin.wgsl';
import type { GpuContext } from './device';
import { TrainKernel, requireTraining, rowDBuffer, rowdotPass, rowdotPipeline } from './backward_shared';
import { MMA_ORDERS, MmaBuild, f16x4Store, flashMmaEmulatedKernel, flashMmaKernel, mmaForwardPipeline, mmaForwardWorkgroups, mmaOrder, orderNote, pRowPad, planMma } from './flash_mma';
import mmaOrderWgsl from './wgsl/mma_order.wgsl';
import { KernelPass, bindGroup, packParams, uniformBuffer } from './kernel';
import { AttentionProblem, ProblemError } from './problem';
import { PipelineCache, assembleShader, expandSections } from './shader';
import { formatBytes } from './units';

export type MmaBackwardPassName = 'dkv' | 'dq';

/** Tiles of one backward pass. */
export interface MmaBackwardTiles {
  /** Subgroups per workgroup; each owns 16 rows (keys in the dK/dV pass, query slots in the dQ pass). */
  subgroups: number;
  /** Rows of each streamed tile (query rows in the dK/dV pass, keys in the dQ pass). */
  tileRows: number;
  /** Head dim padded to the 16-wide matrix tiles. */
  paddedDim: number;
  threads: number;
  workgroupBytes: number;
  /** WGSL constants: NSG, BT, DP and the padded row strides AS (f16 tiles), SS (f32 products), PS (f16 P/dS). */
  consts: Record<string, number>;
  /** The next tile's loads are issued before this tile is computed, into registers (vec4 loads per thread and tensor). */
  prefetch: boolean;
  /** How the element-wise steps between the products are built (see `elementwiseSteps`). */
  elementwise: MmaBwdElementwise;
  /** The tile loop is pipelined (see `pipeFor`). */
  pipe: boolean;
}

export interface MmaBackwardPlan {
  dkv: MmaBackwardTiles;
  dq: MmaBackwardTiles;
}

function passBytes(dp: number, nsg: number, bt: number, pass: MmaBackwardPassName, pipe = false, pPad = 8): { bytes: number; consts: Record<string, number> } {
  const as = dp + 8; // rows padded as the forward's: unpadded rows cost the matrix loads most of their speed
  const fr = 16 * nsg;
  // st's rows are padded by 4 f32 (banks); the dK/dV pass keeps its query columns' metadata (visible keys, lse, D:
  // one vec4 each) in that padding (flash_mma_bwd_dkv.wgsl colAt), a vec4 more per row where the tile has more
  // columns than the workgroup has rows. Separate arrays cost 576 B and put the 2 × 32 tiles (16 384 B without them)
  // past 16 KiB, where a pass runs far slower on the H200 (BENCHMARKS.md, seventeenth session).
  const ss = bt + (pass === 'dkv' ? 4 * Math.ceil(bt / fr) : 4);
  const ps = bt + pPad; // pt's rows (P, then dS): flash_mma.ts pRowPad
  // xa (one tile, two where the loop is pipelined) and xb (f16), st (f32), pt (f16). (The stand-in build needs nothing
  // more: mma_bwd_emulated.wgsl.)
  const xaTiles = pipe ? 2 : 1;
  const bytes = (xaTiles + 1) * bt * as * 2 + fr * ss * 4 + fr * ps * 2;
  return { bytes, consts: { NSG: nsg, BT: bt, DP: dp, AS: as, SS: ss, PS: ps, XA_TILES: xaTiles, PIPE: pipe ? 1 : 0 } };
}

/**
 * Whether the backward passes load the next streamed tile into registers while this one computes (prefetch), or
 * each tile at the top of the iteration that stores it. Off by default: on the H200 (BENCHMARKS.md, tenth session,
 * same call) the ViT-3136 training step took 19.56 / 19.59 ms without against 20.47 / 20.50 ms with it (dK dV 9.03
 * against 9.72 ms, dQ 5.68 against 5.90 ms), ViT-196 3.180 / 3.186 against 3.294 / 3.296 ms: the registers the
 * prefetch holds (both passes run at 223–255 registers) cost more occupancy than its latency hiding gives back.
 * From head dim 128 (over 8 loads per thread and tensor) it never fitted without spills. `ATTNPROF_MMA_BWD_PREFETCH=1`
 * forces it on for both passes, `=dkv` or `=dq` for one, for sweeps; a pipelined pass (`pipeFor`: the dQ pass by default)
 * already loads its next tile early and takes no prefetch.
 */
function prefetchFor(pass: MmaBackwardPassName): boolean {
  const env = typeof process !== 'undefined' ? process.env.ATTNPROF_MMA_BWD_PREFETCH : undefined;
  return env === '1' || env === pass;
}

/** Global loads of one streamed tile per thread and tensor (vec4 items, an upper bound: D/4 ≤ DP/4). */
function tileLoads(consts: Record<string, number>): number {
  return Math.ceil((consts.BT * (consts.DP / 4)) / (32 * consts.NSG));
}

/**
 * The element-wise steps between the products (P, then dS; flash_mma_bwd_common.wgsl), each lane over HALF = BT/2
 * contiguous columns of its row, unrolled with one register per column and the per-element mask skipped where the
 * lane's whole half is visible:
 *   unrolled — P kept in registers (f16 pairs: HALF/2 more live registers) from the P step to the dS step;
 *   reread   — the dS step reads P back from workgroup memory instead, where the pairs would take more than
 *              PAIRS_MAX_REGS registers (query tiles wider than 64, forced by ATTNPROF_MMA_BWD_TILES).
 * `ATTNPROF_MMA_BWD_ELEMENTWISE=unrolled|reread` forces one for both passes, for sweeps.
 */
export type MmaBwdElementwise = 'unrolled' | 'reread';
const PAIRS_MAX_REGS = 16;

function elementwiseFor(bt: number): MmaBwdElementwise {
  const env = typeof process !== 'undefined' ? process.env.ATTNPROF_MMA_BWD_ELEMENTWISE : undefined;
  if (env === 'reread' || env === 'unrolled') return env;
  return bt / 4 > PAIRS_MAX_REGS ? 'reread' : 'unrolled';
}

/**
 * Whether a backward pass runs its tile loop pipelined (flash_mma_bwd_dkv.wgsl, flash_mma_bwd_dq.wgsl):
 *   not pipelined — each tile stored at the top of its iteration between two barriers (every subgroup done with the
 *                   previous tile, then the new one published): six barriers per tile;
 *   pipelined     — two tiles of A (the tensor the first and the last product read), the next one's loads issued at the
 *                   top of this iteration and stored into the other tile after the P step; the next tile of B loaded
 *                   and stored after the barrier that ends this tile's reads of B (and, in the dK/dV pass, the next
 *                   columns' metadata after the one that ends the dS step): four barriers per tile, each store
 *                   published by barriers the tile has anyway.
 * Neither pass is pipelined by default. On the H200 the pipelined dQ pass at 8 × 16 ran ViT-3136's in 3.18–3.19 against
 * 3.20–3.22 ms unpipelined (BENCHMARKS.md, twenty-third session), but the 4 × 16 tiles with P's rows unpadded
 * (`pRowPad`: 11 776 bytes, 4 workgroups per SM) ran it in 3.04 ms unpipelined, and pipelined (a second K tile: 14 080
 * bytes, 3 per SM) in 4.0 ms (twenty-fourth session); the dK/dV pass lost too (5.08 against 4.53 ms; 167 registers,
 * its occupancy unchanged). `ATTNPROF_MMA_BWD_PIPE=0|1` forces it off or on for both passes, `=dq` or `=dkv` on for
 * that one only, for sweeps.
 */
function pipeFor(pass: MmaBackwardPassName): boolean {
  const env = typeof process !== 'undefined' ? process.env.ATTNPROF_MMA_BWD_PIPE : undefined;
  if (env === '0' || env === '1') return env === '1';
  if (env === 'dq' || env === 'dkv') return env === pass;
  return false;
}

/** `ATTNPROF_MMA_BWD_TILES=NSG,BT[,NSG,BT]`: force the (dK/dV[, dQ]) tiles, for sweeps on a GPU. */
function envTiles(): [number, number][] | undefined {
  const env = typeof process !== 'undefined' ? process.env.ATTNPROF_MMA_BWD_TILES : undefined;
  if (!env) return undefined;
  const n = env.split(',').map(Number);
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < n.length; i += 2) if (n[i] > 0 && n[i + 1] > 0 && n[i + 1] % 16 === 0) pairs.push([n[i], n[i + 1]]);
  return pairs.length ? pairs : undefined;
}

function planPass(dp: number, ctx: GpuContext, pass: MmaBackwardPassName, forced?: [number, number]): MmaBackwardTiles | undefined {
  const limit = ctx.adapter.limits.maxComputeWorkgroupStorageSize;
  // Subgroups (rows that share each streamed tile) and tile lengths (barriers per row) that fit; the subgroups'
  // fragments are staged through the tiles, in rounds of BT rows where 16·NSG > BT (unrollMmaBackward). A
  // multiprocessor of the H200 gives its workgroups 48 KiB of workgroup memory and 64 K registers (kernels/residency.ts).
  // Both passes take 4 subgroups × 16-row tiles first: at D = 64 they take 12.5 KB and (SASS) 166 registers in the
  // dK/dV pass, 131 in the dQ pass, so 3 workgroups × 4 subgroups run per SM where 4 × 32 tiles (23.5 KB, dK/dV at 255
  // registers) ran 2 × 4: ViT-3136 dK/dV 5.26 against 5.42 ms, dQ 3.72 against 3.77 ms (BENCHMARKS.md, nineteenth
  // session). 4 × 32 took the eighteenth session's dK/dV from 6.50 ms (2 × 32, 16 KiB: 3 × 2 per SM) to 5.39 ms; a
  // single subgroup on 16-row tiles pays the same barriers per row for a quarter of the rows (1 × 16: dK/dV 7.85 ms),
  // and 4 × 64 (45 KB) runs one workgroup per SM (dK/dV 7.56 ms, seventeenth session).
  // The dQ pass at 8 × 16 (twice the query rows share each K/V tile) ran ViT-3136's dQ in 3.20 against 3.28–3.32 ms at
  // 4 × 16 with the same padded P rows (BENCHMARKS.md, twenty-second session), but at head dims up to 64 its 4 × 16 tiles
  // drop P's row pad (`pRowPad`) and run 4 workgroups per SM: 3.04 against 3.18 ms (twenty-fourth session). The
  // dK/dV pass lost at 8 × 16 (6.80 against 4.51 ms; 4 × 32 4.58, 2 × 32 5.57; twenty-second session).
  const preferred: [number, number][] = [[4, 16], [4, 32], [2, 32], [4, 64]];
  const candidates: [number, number][] = forced ? [forced] : [...preferred, [2, 64], [1, 32], [1, 16]];
  // A pipelined pass needs a second tile of A; where that does not fit, the tiles run unpipelined.
  const pipes = pipeFor(pass) ? [true, false] : [false];
  for (const [nsg, bt, pipe] of candidates.flatMap(([n, t]) => pipes.map((x) => [n, t, x] as const))) {
    const pad = pRowPad(pass, dp, 32 * nsg, (x) => passBytes(dp, nsg, bt, pass, pipe, x).bytes);
    const { bytes, consts } = passBytes(dp, nsg, bt, pass, pipe, pad);
    if (bytes <= limit && 32 * nsg <= ctx.adapter.limits.maxComputeInvocationsPerWorkgroup) {
      return {
        subgroups: nsg,
        tileRows: bt,
        paddedDim: dp,
        threads: 32 * nsg,
        workgroupBytes: bytes,
        consts: { ...consts, ORDER: MMA_ORDERS.indexOf(mmaOrder()) },
        prefetch: !pipe && prefetchFor(pass),
        elementwise: elementwiseFor(bt),
        pipe,
      };
    }
  }
  return undefined;
}

/** Tiles of both backward passes within the adapter's workgroup storage (the same for both builds), or undefined where none fit. */
export function planMmaBackward(p: Pick<AttentionProblem, 'headDim'> & Partial<Pick<AttentionProblem, 'seqLenQ' | 'seqLenK'>>, ctx: GpuContext): MmaBackwardPlan | undefined {
  const dp = Math.ceil(p.headDim / 16) * 16;
  const forced = envTiles();
  const dkv = planPass(dp, ctx, 'dkv', forced?.[0]);
  const dq = planPass(dp, ctx, 'dq', forced?.[1] ?? forced?.[0]);
  return dkv && dq ? { dkv, dq } : undefined;
}

/**
 * The element-wise steps of a pass (sections PSTEP and DSSTEP of its WGSL; see `MmaBwdElementwise`). The dK/dV
 * pass's columns are query rows (their visible keys, lse and D from st's row padding), the dQ pass's are
 * keys of the lane's own query row (myLse, myD, lo, hi).
 */
export function elementwiseSteps(pass: MmaBackwardPassName, half: number, mode: MmaBwdElementwise, metaInRows = true): { PSTEP: string[]; DSSTEP: string[] } {
  const dkv = pass === 'dkv';
  const ts = Array.from({ length: half }, (_, t) => t);
  // Column metadata of the dK/dV pass (column cb + t's vec4 in st's row padding, flash_mma_bwd_dkv.wgsl colAt): where
  // the workgroup has a row per column, at mB + t·SS (the last column of the lane's half at mL), constant offsets from
  // two per-lane bases; otherwise through colAt.
  const last = half - 1;
  const meta = (t: number, k: number) => (dkv && !metaInRows ? `st[colAt(cb + ${t}u) + ${k}u]` : `st[${t === last ? 'mL' : `mB + ${t}u * SS`} + ${k}u]`);
  const [lse, d] = dkv ? [(t: number) => meta(t, 2), (t: number) => meta(t, 3)] : [() => 'myLse', () => 'myD'];
  // The mask rule of mask.wgsl's keyVisible: the row's range, then (2-D neighbourhood) the holes inside it.
  const visible = (t: number) =>
    dkv
      ? `key >= bitcast<u32>(${meta(t, 0)}) && key < bitcast<u32>(${meta(t, 1)}) && (!holes || neighborVisible(i0 + cb + ${t}u, key))`
      : `t0 + cb + ${t}u >= lo && t0 + cb + ${t}u < hi && (!holes || neighborVisible(qi, t0 + cb + ${t}u))`;
  const pairs = mode === 'unrolled';
  const pOf = (t: number) => (pairs ? `f32(pp${t >> 1}.${t & 1 ? 'y' : 'x'})` : `f32(pt[pBase + cb + ${t}u])`);
  // dS in pairs of columns, each pair one 32-bit store (one 16-bit store per column took twice the stores).
  const ds = (capped: boolean) =>
    ts
      .filter((t) => t % 2 === 0)
      .map((t) => {
        const one = (u: number) => `f16(select(0.0, p${u} * (st[sBase + cb + ${u}u] - ${d(u)})${capped ? ` * cappedSlope(p${u}, ${lse(u)})` : ''}, p${u} > 0.0))`;
        return `      { let p${t} = ${pOf(t)}; let p${t + 1} = ${pOf(t + 1)}; let d2 = vec2<f16>(${one(t)}, ${one(t + 1)}); pt[pBase + cb + ${t}u] = d2.x; pt[pBase + cb + ${t + 1}u] = d2.y; }`;
      });
  // One branch with the mask and one without, each element's P rounded (and paired or stored) as soon as it is
  // computed: the lane's HALF f32 values are never all live at once.
  // The softcap is branched on once for all the lane's columns (a branch per element cost the forward 6 %).
  const p = (t: number, masked: boolean, capped: boolean) => {
    const s = `st[sBase + cb + ${t}u] * P.scale`;
    const e = `exp(${capped ? `cappedScore(${s})` : s} - ${lse(t)})`;
    return masked ? `select(0.0, ${e}, ${visible(t)})` : e;
  };
  const pStep = (masked: boolean, capped: boolean) =>
    pairs
      ? ts.filter((t) => t % 2 === 0).map((t) => `        pp${t >> 1} = vec2<f16>(f16(${p(t, masked, capped)}), f16(${p(t + 1, masked, capped)}));`)
      : ts.map((t) => `        pt[pBase + cb + ${t}u] = f16(${p(t, masked, capped)});`);
  const byMask = (capped: boolean) => ['      if (full) {', ...pStep(false, capped), '      } else {', ...pStep(true, capped), '      }'];
  return {
    PSTEP: [
      ...(dkv && metaInRows ? ['    let mB = BT + h * (HALF + 1u) * SS;', '    let mL = BT + (HALF - 1u + h) * SS;'] : []),
      ...(pairs ? ts.filter((t) => t % 2 === 0).map((t) => `    var pp${t >> 1}: vec2<f16>;`) : []),
      '    if (P.softcap > 0.0) {',
      ...byMask(true),
      '    } else {',
      ...byMask(false),
      '    }',
      ...(pairs ? ts.filter((t) => t % 2 === 0).map((t) => `    pt[pBase + cb + ${t}u] = pp${t >> 1}.x; pt[pBase + cb + ${t + 1}u] = pp${t >> 1}.y;`) : []),
    ],
    DSSTEP: ['    if (P.softcap > 0.0) {', ...ds(true), '    } else {', ...ds(false), '    }'],
  };
}

/**
 * WGSL storing one vec4 of a streamed tile's rows of A and B (`item` = row·D4 + column/4) into xa and xb, inline in
 * the entry point so that the index, an expression of `lid`, is provably in range (flash_mma.ts `f16x4Store`).
 */
function rowStore(item: string, a: string, b: string, limit: string, round?: number): string {
  if (round === undefined) {
    const at = '(item / D4) * AS + (item % D4) * 4u';
    return `{ let item = ${item}; if (item < ${limit} * D4) { ${f16x4Store('xa', at, '1u', a)} ${f16x4Store('xb', at, '1u', b)} } }`;
  }
  // Round `round` of a staging in rounds: only the rows round·BT … round·BT + BT − 1, into the tile's rows 0 … BT − 1.
  const at = `(item / D4 - ${round}u * BT) * AS + (item % D4) * 4u`;
  return `{ let item = ${item}; if (item < ${limit} * D4 && item / D4 / BT == ${round}u) { ${f16x4Store('xa', at, '1u', a)} ${f16x4Store('xb', at, '1u', b)} } }`;
}

/**
 * The matrix part of a backward pass, unrolled for DC = DP/16 head-dim blocks and QC = BT/16 tile blocks: each
 * fragment and accumulator is its own variable with constant offsets (an array of matrices indexed in a loop
 * would be kept in local memory), and every global load of a tile is issued before its first store.
 */
export function unrollMmaBackward(body: string, pass: MmaBackwardPassName, consts: Record<string, number>, prefetch = true, elementwise: MmaBwdElementwise = 'unrolled'): string {
  const { NSG, BT, DP, AS } = consts;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const dc = DP / 16;
  const qc = BT / 16;
  const threads = 32 * NSG;
  const loads = tileLoads(consts);
  const cols = Math.ceil(BT / threads);
  const item = (u: number) => `lid + ${u * threads}u`;
  // Tensors of the streamed tiles A and B (rowLoad's 0 q, 1 k, 2 v, 3 dO).
  const [wa, wb] = pass === 'dkv' ? [0, 3] : [1, 2];
  const dkv = pass === 'dkv';
  // Pipelined (consts.PIPE = 1; `pipeFor`), A's fragments are read from the tile of xa at abuf (0 or BT·AS), an offset added at run time: a branch on
  // the tile with literal offsets on each side ran the dQ pass slower on the H200 (ViT-3136 3.50 against 3.18 ms;
  // BENCHMARKS.md, twenty-third session).
  const pipe = consts.PIPE === 1;
  const aBase = pipe ? 'abuf + ' : '';
  const at = (j: number, c: number) => `${j * 16 * AS + c * 16}u`;
  const products = (frag: string, right: string, base: string) =>
    range(qc).map((j) => `    { var s = zeroAcc();${range(dc).map((c) => ` s = mma(${frag}${c}, ${right}(${base}${at(j, c)}, AS), s);`).join('')} storeAcc(sgS + ${j * 16}u, s, SS); }`);
  const accumulate = (acc: string, right: string, base: string) =>
    range(qc).map((j) => `    { let pf = leftP(sgP + ${j * 16}u, PS);${range(dc).map((c) => ` ${acc}${c} = mma(pf, ${right}(${base}${at(j, c)}, AS), ${acc}${c});`).join('')} }`);
  const rounds = range(Math.ceil(dc / qc)).map((r) => range(qc).map((j) => r * qc + j).filter((c) => c < dc));
  const tail = dkv ? 'key, kvFirst' : 'rowLive, qRowAt';
  const output = (acc: string, isV: boolean) =>
    rounds.flatMap((cols) => [
      ...cols.map((c, i) => `  storeAcc(sgS + ${i * 16}u, ${acc}${c}, SS);`),
      '  workgroupBarrier();',
      `  writeRound(${isV}, sBase, h, ${16 * cols.length}u, ${cols[0] * 16}u, ${tail});`,
      '  workgroupBarrier();',
    ]);
  // X's and Y's rows of the workgroup (K and V in the dK/dV pass, Q and dO in the dQ pass), staged once before the loop.
  const [wx, wy] = dkv ? [1, 2] : [0, 3];
  const fragLoads = Math.ceil((16 * NSG * (DP / 4)) / threads);
  const stageLoads = range(fragLoads).flatMap((u) => [
    `  let xr${u} = rowLoad(${wx}u, stageFirst, stageValid, ${item(u)}, FR);`,
    `  let yr${u} = rowLoad(${wy}u, stageFirst, stageValid, ${item(u)}, FR);`,
  ]);
  const accumulators = [...range(dc).map((c) => `  var accX${c} = zeroAcc();`), ...(dkv ? range(dc).map((c) => `  var accY${c} = zeroAcc();`) : [])];
  // With more rows in the workgroup (16·NSG) than a tile holds (BT), the rows are staged in rounds of BT, each round's
  // subgroups loading their fragments from the tile between two barriers (the WGSL's barrier ends the last round's
  // stores); the tiles are free until the loop's first store.
  const stageRounds = Math.ceil((16 * NSG) / BT);
  const roundFrags = (round: number) =>
    range(NSG)
      .filter((g) => Math.floor((16 * g) / BT) === round)
      .flatMap((g) => [
        `  if (sg == ${g}u) {`,
        ...range(dc).map((c) => `    xf${c} = leftA(${(16 * g - round * BT) * AS + c * 16}u, AS);`),
        ...range(dc).map((c) => `    yf${c} = leftB(${(16 * g - round * BT) * AS + c * 16}u, AS);`),
        '  }',
      ]);
  const staging =
    stageRounds === 1
      ? {
          STAGE: [...stageLoads, ...range(fragLoads).map((u) => `  ${rowStore(item(u), `xr${u}`, `yr${u}`, 'FR')}`)],
          FRAGS: [
            ...range(dc).map((c) => `  let xf${c} = leftA(sg * 16u * AS + ${c * 16}u, AS);`),
            ...range(dc).map((c) => `  let yf${c} = leftB(sg * 16u * AS + ${c * 16}u, AS);`),
            ...accumulators,
          ],
        }
      : {
          STAGE: [
            ...stageLoads,
            ...range(dc).flatMap((c) => [`  var xf${c}: MatL;`, `  var yf${c}: MatL;`]),
            ...range(stageRounds).flatMap((round) => [
              ...range(fragLoads).map((u) => `  ${rowStore(item(u), `xr${u}`, `yr${u}`, 'FR', round)}`),
              ...(round < stageRounds - 1 ? ['  workgroupBarrier();', ...roundFrags(round), '  workgroupBarrier();'] : []),
            ]),
          ],
          FRAGS: [...roundFrags(stageRounds - 1), ...accumulators],
        };
  // The stores of one streamed tile: both tensors at the top of the iteration (not pipelined), or each on its own into
  // the tile the pipelined loop fills next (A into the other of xa's two tiles, at nbuf).
  const storeTile = (a: string, b: string, indent: string) => range(loads).map((u) => `${indent}${rowStore(item(u), `${a}${u}`, `${b}${u}`, 'BT')}`);
  const storeOne = (arr: 'xa' | 'xb', v: string, base: string) =>
    range(loads).map((u) => `      { let item = ${item(u)}; if (item < BT * D4) { ${f16x4Store(arr, `${base}(item / D4) * AS + (item % D4) * 4u`, '1u', `${v}${u}`)} } }`);
  const loadsOf = (decl: string, which: number, v: string, first: string, valid: string, indent: string) =>
    range(loads).map((u) => `${indent}${decl}${v}${u} = rowLoad(${which}u, ${first}, ${valid}, ${item(u)}, BT);`);
  const colStore = (indent: string) =>
    range(cols).map(
      (u) =>
        `${indent}{ let x = ${item(u)}; if (x < BT) { let at = colAt(x); st[at] = cm${u}.x; st[at + 1u] = cm${u}.y; st[at + 2u] = cm${u}.z; st[at + 3u] = cm${u}.w; } }`,
    );
  const piped: Record<string, string[]> = {
    // The first tile's loads are issued before the rows are staged; stored after the fragments are loaded from the tiles.
    PREFETCH: [...loadsOf('var ', wa, 'ar', 'first0', 'valid0', '  '), ...loadsOf('let ', wb, 'br', 'first0', 'valid0', '  ')],
    PROLOGUE: [
      '  workgroupBarrier();   // every subgroup has its fragments from the staged rows',
      ...storeTile('ar', 'br', '  '),
      ...(dkv ? colStore('  ') : []),
      '  workgroupBarrier();',
      '  var abuf = 0u;         // the tile of xa this iteration reads (0 or BT·AS); the next is stored into the other',
    ],
    TOP: [],
    NEXT: loadsOf('', wa, 'ar', 'first', 'valid', '      '),
    // Every subgroup is past this tile's first barrier, so done with the tile before (the last reader of the other xa).
    STOREA: ['    if (more) {', '      let nbuf = BT * AS - abuf;', ...storeOne('xa', 'ar', 'nbuf + '), '    }'],
    // Every subgroup is done with this tile's B (its last product read it before the barrier above).
    STOREB: ['    if (more) {', ...loadsOf('let ', wb, 'bn', 'first', 'valid', '      '), ...storeOne('xb', 'bn', ''), '    }'],
    // Every subgroup is done with this tile's columns (the dS step read them before the barrier above).
    STOREMETA: dkv ? ['    if (more) {', ...colStore('      '), '    }'] : [],
    FLIP: ['    abuf = BT * AS - abuf;'],
  };
  const parts: Record<string, string[]> = {
    ...staging,
    // With prefetch, every load of a tile is issued before its first store (global latency paid once per tile, and
    // while the previous tile computes); without, a thread's loads of this tile are still all issued first.
    PREFETCH: prefetch
      ? range(loads).flatMap((u) => [
          `  var ar${u} = rowLoad(${wa}u, first0, valid0, ${item(u)}, BT);`,
          `  var br${u} = rowLoad(${wb}u, first0, valid0, ${item(u)}, BT);`,
        ])
      : [],
    PROLOGUE: [],
    TOP: [
      '    workgroupBarrier();   // every subgroup is done with the previous tile',
      ...(prefetch
        ? []
        : range(loads).flatMap((u) => [
            `    let ar${u} = rowLoad(${wa}u, firstNow, validNow, ${item(u)}, BT);`,
            `    let br${u} = rowLoad(${wb}u, firstNow, validNow, ${item(u)}, BT);`,
          ])),
      ...storeTile('ar', 'br', '    '),
      ...(dkv ? colStore('    ') : []),
      '    workgroupBarrier();',
    ],
    NEXT: prefetch
      ? range(loads).flatMap((u) => [
          `      ar${u} = rowLoad(${wa}u, first, valid, ${item(u)}, BT);`,
          `      br${u} = rowLoad(${wb}u, first, valid, ${item(u)}, BT);`,
        ])
      : [],
    STOREA: [],
    STOREB: [],
    STOREMETA: [],
    FLIP: [],
    // dK/dV: the next query tile's column metadata (colLoad: visible keys, lse, D), a tile ahead as Q and dO.
    COLPREFETCH: range(cols).map((u) => `  var cm${u} = colLoad(b, headRows + g * P.nq, qt * BT, g < group, ${item(u)});`),
    COLNEXT: range(cols).map((u) => `      cm${u} = colLoad(b, headRows + ng * P.nq, nqt * BT, true, ${item(u)});`),
    SCORES: products('xf', 'rightAT', aBase),
    DP: products('yf', 'rightBT', ''),
    DX: accumulate('accX', 'rightA', aBase),
    OUTPUT: [...output('accX', false), ...(dkv ? output('accY', true) : [])],
    ...elementwiseSteps(pass, BT / 2, elementwise, 16 * NSG >= BT),
    ...(pipe ? piped : {}),
  };
  if (dkv) parts.DV = accumulate('accY', 'rightB', '');
  return expandSections(body, parts);
}

/** The pipeline of one backward pass (`pass`) for its tiles, in the given build. */
export function mmaBackwardPipeline(cache: PipelineCache, p: AttentionProblem, pass: MmaBackwardPassName, tiles: MmaBackwardTiles, build: MmaBuild, name: string): Promise<GPUComputePipeline> {
  const native = build === 'native';
  const body = `${bwdBindingsWgsl}\n${unrollMmaBackward(pass === 'dkv' ? dkvWgsl : dqWgsl, pass, tiles.consts, tiles.prefetch, tiles.elementwise)}\n${commonWgsl}`;
  const code = assembleShader(body, {
    dtype: p.dtype,
    consts: { HEAD_DIM: p.headDim, ...tiles.consts },
    mask: true,
    enables: native ? ['f16', 'chromium_experimental_subgroup_matrix'] : ['f16'],
    // Matrix offsets depend on the subgroup index: uniform within each (32-wide) subgroup, which is all the
    // matrix operations need, not across the workgroup, which is all WGSL's analysis can prove.
    directives: native ? ['diagnostic(off, chromium.subgroup_matrix_uniformity)'] : [],
    prelude: `${native ? mmaBwdNativeWgsl : `${mmaStandInWgsl}\n${mmaBwdEmulatedWgsl}`}\n${mmaOrderWgsl}`,
  });
  const label = `${name} backward ${pass === 'dkv' ? 'dK dV' : 'dQ'}`;
  return cache.get(`${name}-bwd-${pass}:${p.dtype}:${p.headDim}:${tiles.subgroups}:${tiles.tileRows}${tiles.prefetch ? ':prefetch' : ''}${tiles.pipe ? ':pipe' : ''}:o${tiles.consts.ORDER}`, code, label);
}

const lseBuffer = (p: AttentionProblem) => ({ label: 'LSE: row log-sum-exp (saved for backward)', role: 'saved' as const, bytes: p.batch * p.heads * p.seqLenQ * 4 });

function makeMmaTrain(build: MmaBuild): TrainKernel {
  const forward = build === 'native' ? flashMmaKernel : flashMmaEmulatedKernel;
  const name = forward.name;
  return {
    name,
    description:
      build === 'native'
        ? 'forward keeps O and the row log-sum-exp; backward on the tensor cores recomputes P per tile (dK/dV pass, then dQ pass)'
        : 'flash-mma training with a plain-f16 stand-in for the matrix builtins (checks tiling and masking where there are no matrix units)',
    operandDtype: 'f16',
    supports: { neighborhood: true },
    ...(build === 'emulated' ? { internal: true } : {}),
    unavailable: (ctx) => forward.unavailable?.(ctx),

    check(ctx, p) {
      if (p.headDim % 8 !== 0) throw new ProblemError(`${name} needs a head dim that is a multiple of 8, got ${p.headDim}.`);
      const plan = planMmaBackward(p, ctx);
      if (!planMma(p, ctx, build) || !plan) {
        throw new ProblemError(`head dim ${p.headDim} needs more workgroup memory than this adapter has for ${name} training.`);
      }
      const maxDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
      const slots = (p.heads / p.kvHeads) * p.seqLenQ;
      // Forward and dQ: blocks of at least 16 query slots; dK/dV: blocks of 16·NSG keys.
      if (p.batch * p.kvHeads > maxDim || Math.ceil(slots / 16) > maxDim || Math.ceil(p.seqLenK / (16 * plan.dkv.subgroups)) > maxDim) {
        throw new ProblemError(`this shape needs more workgroups than the adapter dispatches per dimension (${maxDim}) for ${name} training.`);
      }
    },

    analyticScratch(_ctx, p) {
      return [lseBuffer(p), rowDBuffer(p)];
    },

    async prepare(ctx, alloc, cache, p, io) {
      const { dout, grads } = requireTraining(io);
      const fwd = planMma(p, ctx, build);
      const bwd = planMmaBackward(p, ctx);
      if (!fwd || !bwd) throw new ProblemError(`head dim ${p.headDim} does not fit ${name} training on this adapter.`);
      const [forwardPipe, rowdot, dkvPipe, dqPipe] = await Promise.all([
        mmaForwardPipeline(cache, p, fwd, build, true),
        rowdotPipeline(cache, p),
        mmaBackwardPipeline(cache, p, 'dkv', bwd.dkv, build, name),
        mmaBackwardPipeline(cache, p, 'dq', bwd.dq, build, name),
      ]);
      const lseInfo = lseBuffer(p);
      const lse = alloc.create(lseInfo.label, 'saved', lseInfo.bytes, GPUBufferUsage.STORAGE);
      const rowDInfo = rowDBuffer(p);
      const rowD = alloc.create(rowDInfo.label, 'scratch', rowDInfo.bytes, GPUBufferUsage.STORAGE);
      const params = uniformBuffer(ctx, alloc, 'params', packParams(p, 0, p.batch * p.heads));
      const slots = (p.heads / p.kvHeads) * p.seqLenQ;
      const pairs = p.batch * p.kvHeads;
      const passesBySet = io.sets.map((set, si): KernelPass[] => [
        {
          name: 'fused',
          step: 'forward',
          pipeline: forwardPipe,
          bindGroup: bindGroup(ctx, forwardPipe, `${name} train forward set ${si}`, [params, set.q, set.k, set.v, io.kvLens, io.out, io.docBounds, lse]),
          workgroups: mmaForwardWorkgroups(p, fwd),
        },
        rowdotPass(ctx, rowdot, p, params, io.out, dout[si], rowD, `set ${si}`),
        {
          name: 'dK dV',
          step: 'backward',
          pipeline: dkvPipe,
          bindGroup: bindGroup(ctx, dkvPipe, `${name} dK dV set ${si}`, [params, set.q, set.k, set.v, dout[si], io.kvLens, io.docBounds, lse, rowD, grads.dk, grads.dv]),
          workgroups: [Math.ceil(p.seqLenK / (16 * bwd.dkv.subgroups)), pairs, 1],
        },
        {
          name: 'dQ',
          step: 'backward',
          pipeline: dqPipe,
          bindGroup: bindGroup(ctx, dqPipe, `${name} dQ set ${si}`, [params, set.q, set.k, set.v, dout[si], io.kvLens, io.docBounds, lse, rowD, grads.dq]),
          workgroups: [Math.ceil(slots / (16 * bwd.dq.subgroups)), pairs, 1],
        },
      ]);
      const kind = build === 'native' ? 'tensor cores (16×16×16 f16→f32)' : 'plain-f16 stand-in for the matrix builtins';
      const notes = [
        `forward: ${fwd.subgroups} subgroups × ${16 * fwd.rowBlocks} query rows, ${fwd.keys}-key tiles; saves the row log-sum-exp (${formatBytes(lseInfo.bytes)}).`,
        `backward on the ${kind}, head dim padded to ${bwd.dkv.paddedDim}: dK/dV ${16 * bwd.dkv.subgroups} keys × ${bwd.dkv.tileRows}-row query tiles (${formatBytes(bwd.dkv.workgroupBytes)} of workgroup memory); dQ ${16 * bwd.dq.subgroups} query slots × ${bwd.dq.tileRows}-key tiles (${formatBytes(bwd.dq.workgroupBytes)}); dQ in its own pass (no float atomics in WGSL).`,
        `workgroups of both passes: ${orderNote(bwd.dkv.consts.ORDER)}.`,
        `next tile prefetched into registers: dK/dV ${bwd.dkv.prefetch ? 'yes' : 'no'}, dQ ${bwd.dq.prefetch ? 'yes' : 'no'}.`,
        `tile loop pipelined (the next tile stored while this one computes, four barriers per tile): dK/dV ${bwd.dkv.pipe ? 'yes' : 'no'}, dQ ${bwd.dq.pipe ? 'yes' : 'no'}.`,
        `element-wise steps unrolled per lane; P kept in registers for the dS step: dK/dV ${bwd.dkv.elementwise === 'unrolled' ? 'yes' : 'no (read back)'}, dQ ${bwd.dq.elementwise === 'unrolled' ? 'yes' : 'no (read back)'}.`,
      ];
      if (p.dtype === 'f32') notes.push('f32 inputs enter the matrix products rounded to f16, P and dS too (checked at the f16 tolerance).');
      return { passesFor: (set) => passesBySet[set % passesBySet.length], notes };
    },
  };
}

export const flashMmaTrain = makeMmaTrain('native');
export const flashMmaEmulatedTrain = makeMmaTrain('emulated');
