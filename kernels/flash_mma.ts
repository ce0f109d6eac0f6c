import flashMmaWgsl from './wgsl/flash_mma.wgsl';
import mmaNativeWgsl from './wgsl/mma_native.wgsl';
import mmaEmulatedWgsl from './wgsl/mma_emulated.wgsl';
import mmaStandInWgsl from './wgsl/mma_standin.wgsl';
import mmaOrderWgsl from './wgsl/mma_order.wgsl';
import { AttentionKernel, bindGroup, packParams, uniformBuffer } from './kernel';
import { formatBytes } from './units';
import { AttentionProblem, ProblemError } from './problem';
import type { GpuContext } from './device';
import { PipelineCache, assembleShader, expandSections } from './shader';
import { decodePath } from './decode';
import { decodeMmaPath } from './decode_mma';
import { residentWorkgroups } from './residency';
import type { MmaBuild } from './mma_build';

/**
 * flash-mma: FlashAttention-2 whose two matrix products run on the matrix units (tensor cores) through WGSL
 * subgroup matrices: 16×16×16 f16 tiles, f32 results, the online softmax in f32 between them. Inputs and output
 * are f32 or f16 in memory; Q, K, V enter the products as f16, so results carry f16 operand rounding (checked
 * at the f16 tolerance whatever the storage type).
 *
 * One WGSL source, two builds: `native` with the subgroup-matrix builtins, and `emulated`, where a plain-f16
 * stand-in of the same three operations lets adapters without matrix units (CI's lavapipe) check the tiling and
 * the masking. Only the native build is offered to users: on an adapter without matrix units the kernel is
 * refused with the reason. Short queries (decode) take their own pass: with f16 storage and head dims a multiple of
 * 16 up to 128, decode_mma.ts's pass on the matrix units (persistent workgroups in one wave walking their chunks of
 * keys, the GQA group's rows as one 16-row operand, each step's K/V staged from 16-byte loads issued a step ahead:
 * 36–38 µs on the H200's Qwen2-7B step, BENCHMARKS.md thirty-fourth session); otherwise, or with
 * `ATTNPROF_DECODE_MMA=0`, the key-parallel decode pass (decode.ts, 54 µs there). (Earlier decode passes on the matrix
 * units loaded their operands straight from storage, one 16-bit element at a time, and measured slower: twelfth and
 * twentieth sessions.)
 */
export type { MmaBuild };

export interface MmaPlan {
  /** Subgroups per workgroup; each owns 16 · rowBlocks query rows. */
  subgroups: number;
  /** 16-row blocks of queries per subgroup (`rowBlocks`): 1, or 2 with each K/V fragment serving both. */
  rowBlocks: number;
  /** Keys per K/V tile. */
  keys: number;
  /** Head dim padded to the 16-wide matrix tiles. */
  paddedDim: number;
  threads: number;
  workgroupBytes: number;
  consts: Record<string, number>;
}

export function mmaBytes(dp: number, nsg: number, bk: number, qViaK = false, shuffle = false, pPad = 8, kvShared = false, rb = 1): { bytes: number; consts: Record<string, number> } {
  const ks = dp + 8; // K rows padded: unpadded rows cost the matrix loads most of their speed
  // V staged as it lies ([key][d], rows padded like K's); P·V loads it row-major, which the H200's driver reads with
  // transposing matrix loads (ldmatrix .trans).
  const vs = dp + 8;
  const ss = bk + 4;
  // ps holds P (16 × BK per subgroup) and, unless Q is staged through the K tile (`qViaK`), Q (16 × DP) before the loop;
  // its rows padded by pPad (`pRowPad`).
  const ps = (qViaK ? bk : Math.max(bk, dp)) + pPad;
  const bq = 16 * rb * nsg;
  // With the row maxima and sums exchanged by subgroup shuffles, or not exchanged at all (two row blocks: one lane per
  // row), rowStat shrinks to one 16-byte unit (every workgroup variable a multiple of 16 bytes: mma_native.wgsl).
  const rowStat = shuffle || rb === 2 ? 4 : bq * 2;
  // kt, vt (none where V shares K's tile: `kvShared`), ss, ps, rowStat, rescale (16 bytes: flash_mma.wgsl)
  const bytes = bk * ks * 2 + (kvShared ? 0 : bk * vs * 2) + bq * ss * 4 + bq * ps * 2 + rowStat * 4 + 16;
  return {
    bytes,
    consts: { NSG: nsg, RB: rb, BK: bk, DP: dp, KS: ks, SS: ss, PS: ps, VS: vs, ROWSTAT: rowStat, SHUFFLE: shuffle ? 1 : 0, ...(qViaK ? { QVIA_K: 1 } : {}), ...(kvShared ? { KV_SHARED: 1 } : {}) },
  };
}

/**
 * The pad (f16 elements) of P's rows in workgroup memory (the forward's ps, the backward passes' pt, which also holds
 * dS): 8, which spreads the rows' matrix loads over the banks, unless dropping it lets a multiprocessor hold one
 * workgroup more (by memory: kernels/residency.ts) in a pass whose registers allow that workgroup too — the forward
 * and the dQ pass at head dims up to 64 (112 and 122 registers per invocation on the H200; the dK/dV pass's 165 keep it
 * at 3 × 4 subgroups; at D = 128 the forward, at 159 registers unpadded, does run 3 × 4, but lost to the padded 2 × 4:
 * Qwen2-7B prefill 1.240 / 1.240 against 1.184 ms, twenty-fifth session). On the H200 (BENCHMARKS.md, twenty-fourth
 * session) ViT-3136's 4 × 16 forward went from 12 832 to 11 808 bytes, 3 → 4 workgroups per SM, and ran in 2.32
 * against 2.55 ms for the 8 × 16 plan (ViT-196 371 against 410 µs); its dQ pass at 4 × 16 (11 776 bytes) in 3.04
 * against 3.18 ms; the Qwen2-7B prefill, whose residency does not change, lost (1.31 against 1.24 ms) and keeps it.
 * `ATTNPROF_MMA_P_PAD=0|1` forces it off or on in every pass.
 */
export function pRowPad(pass: 'fwd' | 'dq' | 'dkv', dp: number, threads: number, bytesWith: (pad: number) => number): number {
  const env = typeof process !== 'undefined' ? process.env.ATTNPROF_MMA_P_PAD : undefined;
  if (env === '0' || env === '1') return env === '1' ? 8 : 0;
  if (pass === 'dkv' || dp > 64) return 8;
  return residentWorkgroups(bytesWith(0), threads) > residentWorkgroups(bytesWith(8), threads) ? 0 : 8;
}

function envTiles(): [number, number] | undefined {
  const env = typeof process !== 'undefined' ? process.env.ATTNPROF_MMA_TILES : undefined;
  const [nsg, bk] = (env ?? '').split(',').map(Number);
  return nsg > 0 && bk > 0 && bk % 16 === 0 ? [nsg, bk] : undefined;
}

/** An on/off override from the environment (`1` or `0`), for A/B runs on a device; undefined when unset. */
function envFlag(name: string): boolean | undefined {
  const env = typeof process !== 'undefined' ? process.env[name] : undefined;
  return env === '1' ? true : env === '0' ? false : undefined;
}

/** Dispatch orders of the flash-mma workgroups (mma_order.wgsl's ORDER 0, 1, 2). */
export const MMA_ORDERS = ['launch', 'head', 'global'] as const;
export type MmaOrder = (typeof MMA_ORDERS)[number];

/** `ATTNPROF_MMA_ORDER` (forward and backward passes alike), or the default: heaviest first over the whole dispatch. */
export function mmaOrder(): MmaOrder {
  const env = typeof process !== 'undefined' ? process.env.ATTNPROF_MMA_ORDER : undefined;
  return MMA_ORDERS.find((o) => o === env) ?? 'global';
}

/** The report's words for a plan's ORDER constant. */
export function orderNote(order: number | undefined): string {
  if (order === 1) return "each head's blocks dispatched last first";
  if (order === 2) return 'blocks dispatched heaviest first under a causal mask (by rank of work over the whole dispatch)';
  return 'blocks dispatched in launch order';
}

/**
 * How the fused forward schedules its loads. The defaults are what measured fastest on the H200 (BENCHMARKS.md, tenth
 * and eleventh sessions); each is forced by an environment override for A/B runs on a device.
 * - `kvAhead` (`ATTNPROF_MMA_KV_AHEAD`): the next K/V tile's loads are issued a tile ahead (in flight in registers
 *   while this tile computes), or at the top of the iteration that stores them (held only across its first barrier).
 *   A tile ahead with 16-key tiles at head dims up to 64: with the loop as it is since the twenty-fifth session the
 *   D = 64 forward takes 113 registers a tile ahead against 114 (4 workgroups per SM either way), and the global loads'
 *   latency no longer sits in front of every tile's K stores — twenty-sixth session, same call: ViT-196 323.6 / 324.1
 *   against 353.1 / 353.2 µs, ViT-3136 1.987 / 1.986 against 2.160 / 2.167 ms. At D = 128 (179 against 166 registers)
 *   it loses (Qwen2-7B prefill 1.104 / 1.100 against 1.085 / 1.083 ms), as it did everywhere in earlier loops
 *   (fourteenth session, 118 registers: ViT-196 689 against 602 µs).
 * - `vLate` (`ATTNPROF_MMA_V_LATE`; with `splitKv` and per-iteration loads): a tile's V, loaded at the top of its
 *   iteration, is stored after the softmax instead of right after the first barrier, so its loads have the scores and
 *   the softmax to arrive in, and the barrier before P·V publishes it with P. On at head dims over 64 — twenty-sixth
 *   session, same call: Qwen2-7B prefill 1.043 / 1.050 against 1.085 / 1.083 ms (170 registers); at D = 64 it gains
 *   less than `kvAhead` (ViT-3136 2.091 / 2.093 ms), and the two together took 121 registers (3 workgroups per SM):
 *   ViT-3136 2.552 ms. Loading only K a tile ahead lost on every shape (ViT-3136 2.213 / 2.211 ms).
 * - `order` (`ATTNPROF_MMA_ORDER=launch|head|global`): which block each workgroup takes (mma_order.wgsl's
 *   blockOrder; the backward passes take the same). `head` dispatches each pair's query blocks last first (under a
 *   causal mask the last blocks see the most keys: Qwen2-7B prefill −1 to −2 % against launch order, tenth session);
 *   `global`, the default, orders the whole dispatch heaviest first under a causal mask: by rank of work, every
 *   pair's block of a rank together (Qwen2-7B prefill 1.257 / 1.253 against 1.375 ms `head`, 1.397 / 1.395 `launch`;
 *   BENCHMARKS.md, twenty-fourth session). Without a causal mask it is the launch order: starting each pair's partial
 *   last block after every full block (to fill the last wave) lost (ViT-3136 2.74 against 2.56 ms, ViT-196 439 against
 *   410 µs — a pair's blocks apart in time read its K/V from memory twice).
 * - `splitKv` (`ATTNPROF_MMA_SPLIT_KV`): a tile's K is stored as soon as it is loaded and its V after the barrier that
 *   follows (the previous tile's P·V reads vt until then), so an iteration has no barrier at its top; or both after a
 *   barrier at the top (which then also waits out the loads). With 16-key tiles ViT-3136 4.52 → 4.50 ms; with the
 *   32-key tiles at D = 128 the barrier at the top pays (Qwen2-7B prefill 2.18 against 2.30 ms).
 * - `hullOnce` (`ATTNPROF_MMA_HULL_ONCE`): the loop's tile-visibility test takes the block's key hull computed once
 *   before the loop instead of recomputing it (two visibleRange calls) for every tile. With 16-key tiles ViT-3136
 *   4.50 → 4.15 ms; at D = 128 (32-key tiles, 223 registers) it cost the Qwen2-7B prefill 1.95 → 2.18 ms
 *   (BENCHMARKS.md, thirteenth session), and with 16-key tiles at D = 128 (170 registers) 1.545 against 1.596 ms
 *   (eighteenth session). With the loop as it is since (twenty-fifth session) it pays at D = 128 too: 165 against 176
 *   registers, Qwen2-7B prefill 1.113 / 1.113 against 1.211 / 1.210 ms (same call). On with 16-key tiles.
 * - `clampKv` (`ATTNPROF_MMA_CLAMP_KV`): a tile's keys past the last read the last key again (their scores are masked,
 *   their probabilities exactly 0) instead of zeros: one load per vec4 and no selects of its halves. Twenty-fifth
 *   session, same call: ViT-196 360.4 / 360.1 against 370.7 / 370.3 µs, ViT-3136 2.237 / 2.230 against 2.309 / 2.300
 *   ms, Qwen2-7B prefill 1.211 / 1.210 against 1.247 / 1.246 ms.
 * - `fusedExp` (`ATTNPROF_MMA_FUSED_EXP`): with no softcap and a positive scale the scores stay unscaled through the
 *   row maximum (which commutes with the scale) and P = exp2(fma(s, scale·log2 e, −m)), a masked score underflowing
 *   to 0 with no select per probability. Twenty-fifth session, same call: ViT-196 347.4 / 349.5 against 360.4 / 360.5
 *   µs, ViT-3136 2.136 / 2.163 against 2.217 / 2.214 ms, Qwen2-7B prefill 1.086 against 1.105 / 1.115 ms.
 * - `qViaK` (`ATTNPROF_MMA_Q_VIA_K`): Q is staged before the loop through the K tile, BK rows (BK/16 subgroups) at a
 *   time, instead of through a P buffer widened to the head dim, so the workgroup needs less memory (ViT-3136: 13.3
 *   instead of 19.5 KB; Qwen2-7B prefill 32.3 instead of 44.5 KB) for NSG/(BK/16) rounds of two barriers before the
 *   loop. A multiprocessor of the H200 holds 48 KiB of workgroup memory for its resident workgroups (kernels/residency.ts):
 *   with Q via K, ViT-3136's 4 × 16 forward (13.3 KB) runs 3 workgroups per SM instead of 2 — 4.18 → 3.16 ms,
 *   ViT-196 608 → 501 µs (seventeenth session) — while the 32-key plan at D = 128 (one workgroup per SM either way,
 *   223 registers) only paid for the rounds (Qwen2-7B prefill 1.94 → 2.04 ms). On with 16-key tiles, which every
 *   default plan takes since the eighteenth session.
 */
export interface MmaSchedule {
  kvAhead: boolean;
  order: MmaOrder;
  splitKv: boolean;
  hullOnce: boolean;
  qViaK: boolean;
  shuffle: boolean;
  clampKv: boolean;
  fusedExp: boolean;
  vLate: boolean;
  kvShared: boolean;
  vMid: boolean;
}

/**
 * `kvShared` (`ATTNPROF_MMA_KV_SHARED`; with `vLate`): K and V are staged through one workgroup tile. V, stored late,
 * goes into K's tile after the barrier that ends the scores; the next tile's K waits at a barrier at the top of the
 * iteration until every subgroup is done with P·V — four barriers per tile instead of three, for a tile's worth of
 * workgroup memory less. On at padded head dims 80–128, where it is the memory that holds the forward to 2 workgroups
 * per SM: the Qwen2-7B prefill's 4 × 16 plan goes from 16 928 to 12 576 bytes, 3 workgroups per SM (168 registers allow
 * 3). On the H200, same call (BENCHMARKS.md, thirtieth session): Qwen2-7B prefill 922.6 / 949.5 against 1 043 / 1 044
 * µs, the packed-documents prefill 670.7 against 765.1 µs, ViT-3136 at D = 80 (4 × 16 shared, 11.0 KB, against 8 × 16,
 * 22.0 KB) 2.493 / 2.492 against 2.751 / 2.749 ms. With 8 × 16 tiles at D = 128 (20.8 KB, but one workgroup of 256 by
 * registers) 1.177 ms: the plan counts registers (`forwardRegisters`). With the shared tile V is stored right after the
 * scores' barrier rather than after the softmax (`vMid`, `ATTNPROF_MMA_V_MID=0|1`): Qwen2-7B prefill 928.5 / 928.1
 * against 946.7 / 949.3 µs, same call.
 *
 * One more schedule choice, `shuffle` (`ATTNPROF_MMA_SHUFFLE`; native build only, whose subgroups are the matrices' 32
 * invocations): the two lanes of a row exchange their halves' maxima (and, after the loop, sums) by subgroupShuffleXor
 * instead of through workgroup memory and a barrier. On the H200, same call (BENCHMARKS.md, twenty-third session):
 * ViT-196 409.8 / 408.7 against 418.9 / 416.0 µs, ViT-3136 2.548 / 2.562 against 2.610 / 2.629 ms, Qwen2-7B prefill
 * 1.373 / 1.374 against 1.387 / 1.383 ms. (The stand-in build keeps rowStat: its subgroups need not be 32 consecutive
 * invocations.) A loop with two K tiles, the next one stored after the scores' barrier instead of behind one of its own,
 * was slower there (ViT-3136 3.05 against 2.54 ms, with the tile's offset added at run time or branched on) and was not
 * kept.
 */
export function mmaSchedule(keys: number, paddedDim: number, build: MmaBuild = 'native'): MmaSchedule {
  // The loop of 16-key tiles, which the 32-key tiles of padded head dims 112–128 (`forwardKeys`) take too; other 32-key
  // tiles (forced by ATTNPROF_MMA_TILES) keep the loop they were measured with before (seventh to seventeenth sessions).
  const loop16 = keys === 16 || (keys === 32 && wideTileDim(paddedDim));
  const kvAhead = envFlag('ATTNPROF_MMA_KV_AHEAD') ?? (keys === 16 && paddedDim <= 64);
  const splitKv = envFlag('ATTNPROF_MMA_SPLIT_KV') ?? loop16;
  const vLate = (envFlag('ATTNPROF_MMA_V_LATE') ?? (loop16 && paddedDim > 64)) && splitKv && !kvAhead;
  const kvShared = vLate && (envFlag('ATTNPROF_MMA_KV_SHARED') ?? paddedDim <= 128);
  return {
    shuffle: build === 'native' && (envFlag('ATTNPROF_MMA_SHUFFLE') ?? true),
    kvAhead,
    order: mmaOrder(),
    splitKv,
    hullOnce: envFlag('ATTNPROF_MMA_HULL_ONCE') ?? loop16,
    qViaK: envFlag('ATTNPROF_MMA_Q_VIA_K') ?? loop16,
    clampKv: envFlag('ATTNPROF_MMA_CLAMP_KV') ?? true,
    fusedExp: envFlag('ATTNPROF_MMA_FUSED_EXP') ?? true,
    // Only with V stored apart from K (splitKv) and loaded in its own iteration (not kvAhead): the one place this is decided.
    vLate,
    kvShared,
    vMid: vLate && (envFlag('ATTNPROF_MMA_V_MID') ?? kvShared),
  };
}

/** Rows a dimension of `n` takes in blocks of `block`. */
export const paddedTo = (n: number, block: number): number => Math.ceil(n / block) * block;

/**
 * Whether a KV head's last block of 16·nsg query slots has subgroups that hold only padding rows: with SKIP_DEAD = 1
 * (flash_mma.wgsl `sgLive`) such a subgroup skips the scores, the softmax and P·V — it still stages its share of each
 * K/V tile and meets every barrier. The branches cost registers where no subgroup is ever dead, so the plan takes
 * them only where one is (`ATTNPROF_MMA_SKIP_DEAD=0|1` forces it). On the H200, same call (BENCHMARKS.md, twenty-
 * seventh session): ViT-196 (196 slots: the last of 4 blocks holds 4 live rows, 3 subgroups of padding) 312.8 / 312.7
 * against 326.0 / 324.8 µs, 120 against 113 registers; on shapes without padding subgroups the branches cost ViT-3136
 * 2.056 against 1.996 ms and the Qwen2-7B prefill 1.156 against 1.044 ms (174 against 170 registers).
 */
export function hasPaddingSubgroups(slots: number, nsg: number, rb = 1): boolean {
  return paddedTo(slots, 16 * rb) < paddedTo(slots, 16 * rb * nsg);
}

/** The report's note on a forward plan whose subgroups of padding rows skip their work (SKIP_DEAD = 1), for `slots` query slots per KV head. */
export function paddingSubgroupsNote(nsg: number, slots: number, rb = 1): string {
  const rows = 16 * rb;
  const dead = (paddedTo(slots, rows * nsg) - paddedTo(slots, rows)) / rows;
  return dead > 0
    ? `${slots} query slots per head: the last block of ${rows * nsg} holds ${slots % (rows * nsg)}, and its ${dead} subgroup${dead === 1 ? '' : 's'} of padding rows skip${dead === 1 ? 's' : ''} the products and the softmax.`
    : `${slots} query slots per head fill their blocks of ${rows * nsg} to the last subgroup: the padding-row skip, forced on (ATTNPROF_MMA_SKIP_DEAD=1), has nothing to skip.`;
}

/** Subgroups per workgroup the forward plans from (16-key tiles), scored by `tileScore`. */
export const FORWARD_SUBGROUPS = [1, 2, 4, 8];

/**
 * A forward plan's score: the subgroups a multiprocessor keeps resident with its workgroup memory (kernels/residency.ts,
 * 48 KiB per SM on the H200) times the share of its query rows that are not padding (the problem's query slots per KV
 * head against the slots rounded up to the workgroup's 16·NSG). On the H200, same call (BENCHMARKS.md, eighteenth
 * session): ViT-3136 8 × 16 (22.0 KB, 2 × 8 subgroups per SM) 3.067 against 4 × 16 (13.3 KB, 3 × 4) 3.193 ms;
 * ViT-196 8 × 16 (196 slots in 256 rows) 478.8 against 2 × 16 (5 × 2, 224 rows) 500.5 µs; the Qwen2-7B prefill
 * (D = 128) 4 × 16 (17.7 KB, 2 × 4) 1.609 against 4 × 32 (44.5 KB, 1 × 4) 1.953 ms. With P's rows unpadded (`pRowPad`),
 * 4 × 16 at D = 64 holds 4 × 4 and scores as 8 × 16 on ViT-196 (and above it on ViT-3136, 3136 rows in 49 whole blocks):
 * ViT-3136 2.32 against 2.55 ms, ViT-196 371 against 410 µs (twenty-fourth session).
 */
export function tileScore(workgroupBytes: number, nsg: number, slots?: number, registers?: number, rb = 1): number {
  const rows = 16 * rb * nsg;
  return residentWorkgroups(workgroupBytes, 32 * nsg, registers) * nsg * rb * (slots ? slots / paddedTo(slots, rows) : 1);
}

/**
 * Registers per invocation of the forward as the H200's driver compiles it (SASS, scripts/nvcache.py): 113–120 at
 * padded head dims up to 64 (BENCHMARKS.md, twenty-sixth and twenty-seventh sessions), 127 at 96 (D = 80) and 163–170
 * at 128 (168 with K and V sharing a tile; thirtieth session) — there three workgroups of 4 subgroups per SM at most,
 * one of 8. Wider heads take more (and spill); the model takes 168 for them too. A model of one driver, like
 * residency.ts's 48 KiB.
 */
export function forwardRegisters(paddedDim: number, keys = 16, rb = 1): number {
  // Two row blocks: twice the accumulators and Q fragments (the driver's counts: 185 at D = 64, 255 at D = 128 with 32-key tiles).
  if (rb === 2) return paddedDim <= 64 ? 185 : 255;
  if (keys === 32 && wideTileDim(paddedDim)) return 184;
  return paddedDim <= 64 ? 120 : paddedDim <= 96 ? 128 : 168;
}

/**
 * 16-row query blocks per subgroup: 1, or 2 (`ATTNPROF_MMA_ROW_BLOCKS=2`, for A/B runs), where each K fragment the
 * subgroup loads serves two score products and each V fragment two P·V products, and a row's softmax is one lane's (no
 * exchange) — FlashAttention-2's 32 rows per warp. Slower on the H200 at every shape tried, same call (BENCHMARKS.md,
 * thirty-first session): ViT-3136 2 × 32 rows (11.5 KiB, 4 per SM, 185 registers) 2.248 / 2.252 ms and 4 × 32 rows
 * (21 KiB, 2 per SM) 2.376 / 2.376 ms against 1.980 / 1.983 ms; ViT-196 435.8 against 314.5 µs; the Qwen2-7B prefill
 * 2 × 32 rows with 32-key tiles (255 registers) 1.218 / 1.215 ms against 881.5 / 880.3 µs. Half the warps per SM for the
 * same rows: the loop's latency is no longer hidden, and the saved fragment loads do not make up for it.
 */
export function forwardRowBlocks(): number {
  const env = typeof process !== 'undefined' ? process.env.ATTNPROF_MMA_ROW_BLOCKS : undefined;
  return env === '2' ? 2 : 1;
}

/** Padded head dims whose forward takes 32-key tiles (`forwardKeys`): 112 and 128. */
export const wideTileDim = (paddedDim: number): boolean => paddedDim > 96 && paddedDim <= 128;

/**
 * Keys per K/V tile of the forward: 32 at padded head dims 112–128 (K and V in one tile: 23 072 bytes at 4 × 32, 2
 * workgroups per SM by memory and by its 183 registers), 16 elsewhere and wherever documents are packed. At D = 128
 * the wider tile halves the barriers, the loop's bookkeeping and the K/V staging per key, and that outweighs a third
 * of the subgroups per SM (8 against 4 × 16's 12). On the H200, same calls (BENCHMARKS.md, thirty-first session):
 * Qwen2-7B prefill 877.0 / 879.9 and 884.4 / 882.6 µs against 906.7 / 923.4 and 930.7 / 895.0 µs; 8 × 32 967 µs, 2 × 32
 * 1.056 ms. Packed documents lose with it (665.1 / 666.1 against 655.1 / 655.6 µs: a tile straddling a document's
 * bound is computed whole, and a 32-key tile straddles twice as many keys), and so does D = 80 (4 × 32 2.918 / 2.939
 * against 2.524 / 2.525 ms: there 4 × 16 holds 4 workgroups per SM, not 3). `ATTNPROF_MMA_TILES` overrides it.
 */
export function forwardKeys(paddedDim: number, packed = false): number {
  return wideTileDim(paddedDim) && !packed ? 32 : 16;
}

/**
 * Tiles within the adapter's workgroup storage: the keys per tile `forwardKeys` takes and the subgroups per workgroup
 * (FORWARD_SUBGROUPS) of the highest `tileScore` (by workgroup memory and `forwardRegisters`), the fewer subgroups on a
 * tie unless the registers bind (then the more: same subgroups resident, each K/V tile staged for more rows). 16-key
 * tiles but at padded head dims 112–128: with Q staged through the K tile they take half the workgroup memory of 32-key
 * ones, and at D = 64 and 80 the workgroups per SM that this buys outweigh the products per barrier (BENCHMARKS.md,
 * seventh, twenty-fifth and thirty-first sessions). `ATTNPROF_MMA_TILES=NSG,BK` forces a plan, for sweeps on a GPU.
 */
export function planMma(
  p: Pick<AttentionProblem, 'headDim'> & Partial<Pick<AttentionProblem, 'batch' | 'heads' | 'kvHeads' | 'seqLenQ' | 'seqLenK' | 'causal' | 'docBounds'>>,
  ctx: GpuContext,
  build: MmaBuild = 'native',
): MmaPlan | undefined {
  const dp = Math.ceil(p.headDim / 16) * 16;
  const limit = ctx.adapter.limits.maxComputeWorkgroupStorageSize;
  const forced = envTiles();
  const slots = p.seqLenQ !== undefined && p.heads && p.kvHeads ? (p.heads / p.kvHeads) * p.seqLenQ : undefined;
  // 32-key tiles only where 4 subgroups of them fit the adapter's workgroup storage (fewer lost to 4 × 16: 2 × 32 1.056 ms).
  const wideFits = (): boolean => {
    const s = mmaSchedule(32, dp, build);
    return mmaBytes(dp, 4, 32, s.qViaK, s.shuffle, 8, s.kvShared).bytes <= limit;
  };
  const keys = forwardKeys(dp, p.docBounds !== undefined) === 32 && wideFits() ? 32 : 16;
  const candidates: [number, number][] = forced ? [forced] : FORWARD_SUBGROUPS.map((nsg) => [nsg, keys]);
  const rb = forwardRowBlocks();
  let best: { plan: MmaPlan; score: number } | undefined;
  for (const [nsg, bk] of candidates) {
    const schedule = mmaSchedule(bk, dp, build);
    const pad = pRowPad('fwd', dp, 32 * nsg, (x) => mmaBytes(dp, nsg, bk, schedule.qViaK, schedule.shuffle, x, schedule.kvShared, rb).bytes);
    const { bytes, consts } = mmaBytes(dp, nsg, bk, schedule.qViaK, schedule.shuffle, pad, schedule.kvShared, rb);
    if (bytes > limit || 32 * nsg > ctx.adapter.limits.maxComputeInvocationsPerWorkgroup) continue;
    const registers = forwardRegisters(dp, bk, rb);
    const score = tileScore(bytes, nsg, slots, registers, rb);
    // On a tie the fewer subgroups (more workgroups to spread), unless the registers, not the memory, hold this plan
    // back: then the same subgroups run either way, and more of them per workgroup stage each K/V tile once for more rows.
    const registersBind = residentWorkgroups(bytes, 32 * nsg, registers) < residentWorkgroups(bytes, 32 * nsg);
    if (best && (score < best.score || (score === best.score && !registersBind))) continue;
    const skipDead = envFlag('ATTNPROF_MMA_SKIP_DEAD') ?? (slots !== undefined && hasPaddingSubgroups(slots, nsg, rb));
    const flags = { KV_AHEAD: schedule.kvAhead ? 1 : 0, ORDER: MMA_ORDERS.indexOf(schedule.order), SPLIT_KV: schedule.splitKv ? 1 : 0, HULL_ONCE: schedule.hullOnce ? 1 : 0, CLAMP_KV: schedule.clampKv ? 1 : 0, FUSED_EXP: schedule.fusedExp ? 1 : 0, V_LATE: schedule.vLate ? 1 : 0, V_MID: schedule.vMid ? 1 : 0, SKIP_DEAD: skipDead ? 1 : 0 };
    best = { plan: { subgroups: nsg, rowBlocks: rb, keys: bk, paddedDim: dp, threads: 32 * nsg, workgroupBytes: bytes, consts: { ...consts, ...flags } }, score };
  }
  return best?.plan;
}

/** Why this adapter cannot run the native build, or undefined when it can. */
export function mmaUnavailableReason(ctx: GpuContext): string | undefined {
  if (!ctx.hasF16) return `this adapter (${ctx.adapter.description}) has no 'shader-f16'`;
  if (!ctx.hasSubgroupMatrix) {
    return `this adapter (${ctx.adapter.description}) offers no 16×16×16 f16→f32 subgroup matrices to WGSL${ctx.adapter.vendor.match(/nvidia/i) ? ' (is the f16 toggle off?)' : ''}`;
  }
  const sizes = ctx.adapter.subgroupSizes;
  if (sizes && (sizes[0] !== 32 || sizes[1] !== 32)) return `flash-mma needs 32-wide subgroups; this adapter's are ${sizes[0]}–${sizes[1]}`;
  return undefined;
}

/**
 * WGSL that stores the four f16 of `value` into the workgroup array `arr` from index `first`, `step` apart.
 * Written inline in the entry point, with the index an expression of `lid` and constants, so that Dawn's bounds
 * analysis can prove it in range and drop the per-store clamp (through a helper function's parameter it cannot:
 * the H200's SASS showed a clamp and a shift on every 16-bit staging store).
 */
export function f16x4Store(arr: string, first: string, step: string, value: string): string {
  const at = (e: number) => (e === 0 ? 'at' : `at + ${e === 1 ? '' : `${e}u * `}${step}`);
  return `{ let at = ${first}; ${['x', 'y', 'z', 'w'].map((c, e) => `${arr}[${at(e)}] = ${value}.${c};`).join(' ')} }`;
}

/**
 * The matrix part of flash_mma.wgsl, unrolled for DC = DP/16 column blocks and KC = BK/16 key blocks: each
 * fragment and accumulator is its own variable with constant offsets (an array of matrices indexed in a loop
 * would be kept in local memory, and constant offsets let Dawn skip the bounds predication of matrix loads).
 * The subgroup's own blocks of S, P and Q (offsets that depend on the subgroup index) are addressed in a
 * `switch` over the subgroup with a literal offset in each case: with the dynamic offset the H200's driver
 * addressed each element on its own, and the kernel took 182 registers instead of 169 (its SASS, BENCHMARKS.md).
 * The stand-in build (`build` 'emulated') takes the dynamic offset: the switch would repeat its inlined matrix code
 * once per subgroup for a software driver to compile.
 */
export function unrollMma(body: string, consts: Record<string, number>, saveLse = false, build: MmaBuild = 'native'): string {
  const { NSG: nsg, BK, DP, KS: ks, SS, PS, VS } = consts;
  // RB = 2: each subgroup owns two 16-row blocks (its fragments and accumulators qf…_1, acc…_1 beside qf…, acc…).
  const rb = consts.RB ?? 1;
  if (rb !== 1 && rb !== 2) throw new Error(`flash-mma: RB = ${rb} row blocks per subgroup (1 or 2)`);
  const qn = (c: number, b: number) => (b ? `qf${c}_${b}` : `qf${c}`);
  const an = (c: number, b: number) => (b ? `acc${c}_${b}` : `acc${c}`);
  const kvAhead = consts.KV_AHEAD !== 0;
  const splitKv = consts.SPLIT_KV === 1;
  const shuffle = consts.SHUFFLE === 1;
  const fusedExp = consts.FUSED_EXP === 1;
  // V_LATE comes from mmaSchedule, which sets it only with SPLIT_KV = 1 and KV_AHEAD = 0.
  const vLate = consts.V_LATE === 1;
  if (vLate && (!splitKv || kvAhead)) throw new Error('flash-mma: V_LATE needs SPLIT_KV = 1 and KV_AHEAD = 0 (mmaSchedule)');
  // KV_SHARED: V is stored into K's tile (mmaForwardPipeline renames vt to kt), so only after the scores' barrier (V_LATE),
  // and the next tile's K only after a barrier at the top that ends this tile's P·V.
  const kvShared = consts.KV_SHARED === 1;
  const vMid = consts.V_MID === 1;
  if (vMid && !vLate) throw new Error('flash-mma: V_MID needs V_LATE = 1 (mmaSchedule)');
  if (kvShared && !vLate) throw new Error('flash-mma: KV_SHARED needs V_LATE = 1 (mmaSchedule)');
  const dc = DP / 16;
  const kc = BK / 16;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const threads = 32 * nsg;
  const kvLoads = Math.ceil((kc * 16 * (dc * 16)) / 4 / threads); // K and V tiles: an upper bound (D4 ≤ DP/4)
  const qLoads = Math.ceil((16 * rb * nsg * dc * 4) / threads);
  const qViaK = consts.QVIA_K === 1;
  const rounds = range(Math.ceil(dc / kc)).map((r) => range(kc).map((j) => r * kc + j).filter((c) => c < dc));
  // `code(sgS, sgP)` once per subgroup, with that subgroup's offsets into ss and ps as literals (native), or once
  // with the offsets computed (stand-in).
  type SgOffset = number | string;
  const perSg = (indent: string, code: (sgS: SgOffset, sgP: SgOffset) => string[]): string[] =>
    build === 'emulated'
      ? [`${indent}{`, `${indent}  let sgS = sg * (${16 * rb}u * SS);`, `${indent}  let sgP = sg * (${16 * rb}u * PS);`, ...code('sgS', 'sgP').map((l) => `${indent}  ${l}`), `${indent}}`]
      : [
          `${indent}switch (sg) {`,
          ...range(nsg).flatMap((g) => [
            `${indent}  ${g === nsg - 1 ? `case ${g}u, default` : `case ${g}u`}: {`,
            ...code(g * 16 * rb * SS, g * 16 * rb * PS).map((l) => `${indent}    ${l}`),
            `${indent}  }`,
          ]),
          `${indent}}`,
        ];
  const at = (base: SgOffset, off: number) => (typeof base === 'number' ? `${base + off}u` : `${base} + ${off}u`);
  // Keys of a tile per lane in the softmax: half a row's BK with one row block (two lanes per row), all of them with two.
  const kpl = kc * 8 * rb;
  const scoreLines = (indent: string, expr: (t: number) => string) => range(kpl).map((t) => `${indent}sv${t} = ${expr(t)};`);
  // Stores (or loads) of the accumulators of the columns `cols` to (from) a subgroup's block of ss, both row blocks.
  const accRound = (indent: string, cols: number[], load: boolean) =>
    perSg(indent, (sg) => range(rb).flatMap((b) => cols.map((c, i) => (load ? `${an(c, b)} = loadS(${at(sg, b * 16 * SS + i * 16)}, SS);` : `storeS(${at(sg, b * 16 * SS + i * 16)}, ${an(c, b)}, SS);`))));
  const vStore = (u: number): string =>
    `    { let item = lid + ${u * threads}u; if (item < BK * D4) { ${f16x4Store('vt', '(item / D4) * VS + (item % D4) * 4u', '1u', `vr${u}`)} } }`;
  const parts: Record<string, string[]> = {
    // Q's loads all issued before the first store. qViaK: stored through the K tile (rows of KS), BK rows a round, each
    // round's subgroups loading their fragments from it between two barriers (kt is free until the loop's first K).
    QSTAGE: [
      ...range(qLoads).map((u) => `  let qv${u} = qLoad(b, kvh, group, slot0, slots, lid + ${u * threads}u);`),
      ...(qViaK
        ? [
            ...range(rb).flatMap((b) => range(dc).map((c) => `  var ${qn(c, b)}: MatL;`)),
            // Round r stages the workgroup's 16-row blocks r·KC … r·KC + KC − 1; block n is subgroup n / RB's row block n % RB.
            ...range(Math.ceil((nsg * rb) / kc)).flatMap((r) => [
              ...range(qLoads).map(
                (u) => `  { let item = lid + ${u * threads}u; if (item < BQ * (DP / 4u) && item / (DP / 4u) / BK == ${r}u) { ${f16x4Store('kt', '(item / (DP / 4u) - ' + r + 'u * BK) * KS + (item % (DP / 4u)) * 4u', '1u', `qv${u}`)} } }`,
              ),
              '  workgroupBarrier();',
              ...range(Math.min(kc, nsg * rb - r * kc)).flatMap((j) => {
                const n = r * kc + j;
                return [`  if (sg == ${Math.floor(n / rb)}u) {`, ...range(dc).map((c) => `    ${qn(c, n % rb)} = loadQk(${j * 16 * ks + c * 16}u, KS);`), '  }'];
              }),
              '  workgroupBarrier();',
            ]),
          ]
        : range(qLoads).map((u) => `  { let item = lid + ${u * threads}u; if (item < BQ * (DP / 4u)) { ${f16x4Store('ps', '(item / (DP / 4u)) * PS + (item % (DP / 4u)) * 4u', '1u', `qv${u}`)} } }`)),
    ],
    // kvAhead: the next tile's K/V loads are in flight in registers while this tile computes. Otherwise each tile's
    // loads are issued at the top of its iteration (LOADKV), before the barrier that waits for the previous tile.
    PREFETCH: kvAhead
      ? range(kvLoads).flatMap((u) => [
          `  var kr${u} = kTileLoad(kvBase, kvStep, t0, lid + ${u * threads}u);`,
          `  var vr${u} = vTileLoad(kvBase, kvStep, t0, lid + ${u * threads}u);`,
        ])
      : [],
    LOADKV: kvAhead
      ? []
      : range(kvLoads).flatMap((u) => [
          `    let kr${u} = kTileLoad(kvBase, kvStep, t0, lid + ${u * threads}u);`,
          `    let vr${u} = vTileLoad(kvBase, kvStep, t0, lid + ${u * threads}u);`,
        ]),
    // K as [key][d]; V from its rows as [key][d] too (four consecutive halves per vec4, as for K; P·V loads it
    // row-major, which the H200's driver reads with transposing matrix loads — ViT-196 −2 % against staging it
    // transposed with one 16-bit store per element, BENCHMARKS.md, twelfth session; with the constant strides of the
    // twenty-first session, ldmatrix .trans: ViT-3136 2.65 ms against 2.72 ms for a transposed f16 copy of V made by a
    // pass of its own and loaded column-major, and 2.95 ms for that copy at rows the ldmatrix path cannot take).
    // splitKv: K stored before the barrier, V after it; otherwise a barrier at the top of the iteration, then both.
    TOPSYNC: kvShared
      ? ['    workgroupBarrier();   // every subgroup is done with the previous tile\'s V, which K\'s tile holds (KV_SHARED)']
      : splitKv
        ? []
        : ['    workgroupBarrier();   // every subgroup is done with the previous tiles'],
    STOREK: range(kvLoads).flatMap((u) => [
      `    { let item = lid + ${u * threads}u; if (item < BK * D4) { ${f16x4Store('kt', '(item / D4) * KS + (item % D4) * 4u', '1u', `kr${u}`)} } }`,
      ...(splitKv ? [] : [vStore(u)]),
    ]),
    STOREV: splitKv && !vLate ? range(kvLoads).map(vStore) : [],
    // vLate: V stored after the softmax, just before the barrier that publishes P (and now V) to P·V.
    STOREV_LATE: vLate && !vMid ? range(kvLoads).map(vStore) : [],
    // vMid: V stored right after the scores' barrier, before the softmax (with K and V in one tile).
    STOREV_MID: vLate && vMid ? range(kvLoads).map(vStore) : [],
    NEXTKV: (kvAhead ? range(kvLoads) : []).flatMap((u) => [
      `      kr${u} = kTileLoad(kvBase, kvStep, t0, lid + ${u * threads}u);`,
      `      vr${u} = vTileLoad(kvBase, kvStep, t0, lid + ${u * threads}u);`,
    ]),
    // Q: 16×DP per subgroup in registers for the whole key loop. (Reloaded from workgroup memory on every tile instead,
    // 12–28 fewer registers but no workgroup more per SM: ViT-3136 5.37 against 4.69 ms; BENCHMARKS.md, tenth session.)
    QLOAD: [
      ...(qViaK
        ? []
        : [
            ...range(rb).flatMap((b) => range(dc).map((c) => `  var ${qn(c, b)}: MatL;`)),
            ...perSg('  ', (_s, p) => range(rb).flatMap((b) => range(dc).map((c) => `${qn(c, b)} = loadP(${at(p, b * 16 * PS + c * 16)}, PS);`))),
          ]),
      ...range(rb).flatMap((b) => range(dc).map((c) => `  var ${an(c, b)} = zeroAcc();`)),
    ],
    SCORES:
      rb === 1
        ? range(kc).flatMap((j) => [
            `    { var s = zeroAcc();${range(dc).map((c) => ` s = mma(qf${c}, loadKt(${j * 16 * ks + c * 16}u, KS), s);`).join('')}`,
            ...perSg('      ', (sg) => [`storeS(${at(sg, j * 16)}, s, SS);`]),
            '    }',
          ])
        : // Each K fragment loaded once for both row blocks.
          range(kc).flatMap((j) => [
            '    { var s = zeroAcc(); var s1 = zeroAcc();',
            ...range(dc).map((c) => `      { let kf = loadKt(${j * 16 * ks + c * 16}u, KS); s = mma(qf${c}, kf, s); s1 = mma(${qn(c, 1)}, kf, s1); }`),
            ...perSg('      ', (sg) => [`storeS(${at(sg, j * 16)}, s, SS);`, `storeS(${at(sg, 16 * SS + j * 16)}, s1, SS);`]),
            '    }',
          ]),
    // The softmax of my HALF = BK/LPR keys of a tile (`kpl`), one register per key; one branch on the softcap for all of them.
    // fusedExp (FUSED_EXP = 1; `rawScores` in flash_mma.wgsl): with no softcap and a positive scale the scores stay
    // unscaled (the maximum commutes with the scale) and P = exp2(fma(s, scale2, −m)).
    SVARS: range(kpl).map((t) => `    var sv${t}: f32;`),
    SMAX: [
      ...(fusedExp ? ['    if (rawScores) {', ...scoreLines('      ', (t) => `ss[sBase + cb + ${t}u]`), '    } else if (P.softcap > 0.0) {'] : ['    if (P.softcap > 0.0) {']),
      ...scoreLines('      ', (t) => `LOG2E * cappedScore(ss[sBase + cb + ${t}u] * P.scale)`),
      '    } else {',
      ...scoreLines('      ', (t) => `ss[sBase + cb + ${t}u] * scale2`),
      '    }',
      '    if (!full) {',
      ...range(kpl).map((t) => `      if (!(t0 + cb + ${t}u >= lo && t0 + cb + ${t}u < hi && (!holes || neighborVisible(i, t0 + cb + ${t}u)))) { sv${t} = MASKED; }`),
      '    }',
      `    mx = max(${range(kpl).reduce((acc, t) => (acc ? `max(${acc}, sv${t})` : `sv${t}`), '')}, MASKED);`,
    ],
    // fusedExp: a masked score gives exp2(−∞) = 0 with no select — a row that has seen no key yet (m = MASKED) takes
    // −MASKED as its reference, so its masked scores underflow too.
    SEXP: [
      ...(fusedExp
        ? ['    let mEff = select(m, -MASKED, m == MASKED);', ...range(kpl).map((t) => `    let pv${t} = exp2(fma(sv${t}, mul, -mEff));`)]
        : range(kpl).map((t) => `    let pv${t} = select(0.0, exp2(sv${t} - m), sv${t} > MASKED);`)),
      `    l += ${range(kpl).map((t) => `pv${t}`).join(' + ')};`,
      ...range(kpl).map((t) => `    ps[pBase + cb + ${t}u] = f16(pv${t});`),
    ],
    RESCALE: rounds.flatMap((cols) => [
      ...accRound('      ', cols, false),
      '      workgroupBarrier();',
      '      scaleRow(sBase, h, corr);',
      '      workgroupBarrier();',
      ...accRound('      ', cols, true),
      '      workgroupBarrier();',
    ]),
    PV:
      rb === 1
        ? range(kc).flatMap((j) => [
            '    {',
            '      var pf: MatL;',
            ...perSg('      ', (_s, p) => [`pf = loadP(${at(p, j * 16)}, PS);`]),
            `     ${range(dc).map((c) => ` acc${c} = mma(pf, loadVrow(${j * 16 * VS + c * 16}u, VS), acc${c});`).join('')}`,
            '    }',
          ])
        : // Each V fragment loaded once for both row blocks.
          range(kc).flatMap((j) => [
            '    {',
            '      var pf: MatL;',
            '      var pf1: MatL;',
            ...perSg('      ', (_s, p) => [`pf = loadP(${at(p, j * 16)}, PS);`, `pf1 = loadP(${at(p, 16 * PS + j * 16)}, PS);`]),
            ...range(dc).map((c) => `      { let vf = loadVrow(${j * 16 * VS + c * 16}u, VS); ${an(c, 0)} = mma(pf, vf, ${an(c, 0)}); ${an(c, 1)} = mma(pf1, vf, ${an(c, 1)}); }`),
            '    }',
          ]),
    OUTPUT: rounds.flatMap((cols) => [
      ...accRound('  ', cols, false),
      '  workgroupBarrier();',
      `  if (rowLive) { writeRow(sBase, h, ${cols[0] * 16}u, orow, inv); }`,
      '  workgroupBarrier();',
    ]),
    // The other halves of a row's tile maximum and (after the loop) sum: by subgroup shuffle (the row's two lanes are
    // neighbours), or through rowStat and a barrier.
    // Both between the live subgroups' branches (flash_mma.wgsl `sgLive`), outside them: the shuffle (a dead
    // subgroup's mx is MASKED), or the barrier between rowStat's stores (in the first branch) and its loads.
    // With two row blocks a row is one lane's: nothing to exchange.
    TILESTORE: shuffle || rb === 2 ? [] : ['    rowStat[row * 2u + h] = mx;'],
    TILESYNC:
      rb === 2
        ? [`    let tileMax${fusedExp ? 'Raw' : ''} = mx;`]
        : shuffle
          ? [`    let tileMax${fusedExp ? 'Raw' : ''} = max(mx, subgroupShuffleXor(mx, 1u));`]
          : ['    if (SUBGROUP_SYNC == 0u) { workgroupBarrier(); }'],
    TILEMAX: [
      ...(shuffle || rb === 2 ? [] : [`    let tileMax${fusedExp ? 'Raw' : ''} = max(rowStat[row * 2u], rowStat[row * 2u + 1u]);`]),
      ...(fusedExp ? ['    let tileMax = select(tileMaxRaw, tileMaxRaw * mul, tileMaxRaw > MASKED);'] : []),
    ],
    ROWSUM:
      rb === 2
        ? ['  let total = l;']
        : shuffle
          ? ['  let total = l + subgroupShuffleXor(l, 1u);']
          : ['  rowStat[row * 2u + h] = l;', '  workgroupBarrier();', '  let total = rowStat[row * 2u] + rowStat[row * 2u + 1u];'],
    // The training build writes each row's log-sum-exp (one f32 per row, in bhsd row order) to binding 7.
    SAVE_LSE: saveLse ? ['  if (rowLive && h == 0u) { lse[(b * P.heads + kvh * group) * P.nq + slot] = select(0.0, (m + log2(total)) * LN2, total > 0.0); }'] : [],
  };
  return expandSections(body, parts) + (saveLse ? '\n@group(0) @binding(7) var<storage, read_write> lse: array<f32>;\n' : '');
}

/**
 * The fused forward's pipeline for a plan. `saveLse`: the training build (kernels/backward_mma.ts), which also
 * binds an f32 per query row at binding 7 and writes the row's log-sum-exp there.
 */
export function mmaForwardPipeline(cache: PipelineCache, p: AttentionProblem, plan: MmaPlan, build: MmaBuild, saveLse = false): Promise<GPUComputePipeline> {
  const name = build === 'native' ? 'flash-mma' : 'flash-mma-emulated';
  const code = assembleShader(unrollMma(flashMmaWgsl, plan.consts, saveLse, build), {
    dtype: p.dtype,
    // The barrier after the scores stays where K's tile takes V next (KV_SHARED): it is what ends every subgroup's reads of K.
    consts: { HEAD_DIM: p.headDim, ...plan.consts, SUBGROUP_SYNC: build === 'native' && process.env.ATTNPROF_MMA_SYNC === 'subgroup' && !plan.consts.KV_SHARED ? 1 : 0 },
    mask: true,
    enables: build === 'native' ? ['f16', ...(plan.consts.SHUFFLE === 1 ? ['subgroups'] : []), 'chromium_experimental_subgroup_matrix'] : ['f16'],
    // Each subgroup works on its own 16 rows, so matrix offsets depend on the subgroup index — uniform within
    // the subgroup (32-wide, consecutive invocations), which is all the matrix operations need, but not across
    // the workgroup, which is all WGSL's analysis can prove.
    directives: build === 'native' ? ['diagnostic(off, chromium.subgroup_matrix_uniformity)'] : [],
    prelude: `${build === 'native' ? mmaNativeWgsl : `${mmaStandInWgsl}\n${mmaEmulatedWgsl}`}\n${mmaOrderWgsl}`,
  });
  const shared = plan.consts.KV_SHARED === 1;
  return cache.get(
    `${name}${saveLse ? '+lse' : ''}:${p.dtype}:${p.headDim}:${plan.subgroups}${plan.rowBlocks === 2 ? 'x2' : ''}:${plan.keys}:${plan.consts.SHUFFLE}:${plan.consts.ORDER}${shared ? ':kv-shared' : ''}`,
    shared ? shareKvTile(code) : code,
    saveLse ? `${name} (training forward)` : name,
  );
}

/**
 * The forward's WGSL with V staged in K's tile (KV_SHARED): the V tile's declaration dropped and every use of it (the
 * V stores, the head-dim padding, both preludes' V loads) renamed to the K tile, whose rows have the same stride (KS = VS).
 */
export function shareKvTile(code: string): string {
  const decl = /^var<workgroup> vt: array<f16, BK \* VS>;.*\n/m;
  if (!decl.test(code)) throw new Error('flash-mma: no V tile to share');
  return code.replace(decl, '').replace(/\bvt\b/g, 'kt');
}

/** Workgroups of the fused forward: BQ (GQA group × query) slots of one key/value head each. */
export function mmaForwardWorkgroups(p: AttentionProblem, plan: MmaPlan): [number, number, number] {
  const slots = (p.heads / p.kvHeads) * p.seqLenQ;
  return [Math.ceil(slots / (16 * plan.rowBlocks * plan.subgroups)), p.batch * p.kvHeads, 1];
}

export function makeFlashMma(build: MmaBuild): AttentionKernel {
  const name = build === 'native' ? 'flash-mma' : 'flash-mma-emulated';
  const unavailable = (ctx: GpuContext): string | undefined => {
    const why = build === 'native' ? mmaUnavailableReason(ctx) : ctx.hasF16 ? undefined : `this adapter (${ctx.adapter.description}) has no 'shader-f16'`;
    return why && `${name} is unavailable: ${why}.`;
  };
  const check = (ctx: GpuContext, p: AttentionProblem) => {
    const why = unavailable(ctx);
    if (why) throw new ProblemError(why);
    if (p.headDim % 8 !== 0) throw new ProblemError(`${name} needs a head dim that is a multiple of 8, got ${p.headDim}.`);
    const decode = decodeMmaPath(p, ctx, build) ?? decodePath(p, ctx);
    if (decode) return decode.check(ctx, p);
    if (!planMma(p, ctx, build)) throw new ProblemError(`head dim ${p.headDim} needs more workgroup memory than this adapter has for ${name}.`);
    const maxDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
    if (p.batch * p.kvHeads > maxDim) throw new ProblemError(`batch × key/value heads is over what the adapter dispatches per dimension (${maxDim}) for ${name}.`);
  };
  return {
    name,
    operandDtype: 'f16',
    supports: { bshd: true, neighborhood: true },
    unavailable,
    ...(build === 'emulated' ? { internal: true } : {}),
    description:
      build === 'native'
        ? 'FlashAttention-2 on the tensor cores: f16 subgroup-matrix products, f32 online softmax'
        : 'flash-mma with a plain-f16 stand-in for the matrix builtins (checks tiling and masking where there are no matrix units)',
    check,
    analyticScratch(ctx, p) {
      const decode = decodeMmaPath(p, ctx, build) ?? decodePath(p, ctx);
      return decode ? decode.analyticScratch(ctx, p) : [];
    },
    async prepare(ctx, alloc, cache, p, io) {
      const onMatrixUnits = decodeMmaPath(p, ctx, build);
      if (onMatrixUnits) return onMatrixUnits.prepare(ctx, alloc, cache, p, io);
      const decode = decodePath(p, ctx);
      if (decode) {
        const prepared = await decode.prepare(ctx, alloc, cache, p, io);
        return { ...prepared, notes: ['decode shape: the key-parallel decode path (the matrix units take decode with f16 storage and head dims a multiple of 16 up to 128).', ...prepared.notes] };
      }
      const plan = planMma(p, ctx, build);
      if (!plan) throw new ProblemError(`head dim ${p.headDim} does not fit ${name} on this adapter.`);
      const pipeline = await mmaForwardPipeline(cache, p, plan, build);
      const params = uniformBuffer(ctx, alloc, 'params', packParams(p, 0, p.batch * p.heads));
      const workgroups = mmaForwardWorkgroups(p, plan);
      const passesBySet = io.sets.map((set, si) => [
        {
          name: 'fused',
          pipeline,
          bindGroup: bindGroup(ctx, pipeline, `${name} set ${si}`, [params, set.q, set.k, set.v, io.kvLens, io.out, io.docBounds]),
          workgroups,
        },
      ]);
      const notes = [
        `${plan.subgroups} subgroups × ${16 * plan.rowBlocks} query rows, ${plan.keys}-key tiles, head dim padded to ${plan.paddedDim}, ${formatBytes(plan.workgroupBytes)} of workgroup memory per workgroup; ${build === 'native' ? 'tensor cores (16×16×16 f16→f32)' : 'plain-f16 stand-in for the matrix builtins'}; ${orderNote(plan.consts.ORDER)}.`,
      ];
      if (plan.consts.KV_SHARED) notes.push('K and V tiles share one workgroup buffer: V is stored after the scores, the next K after a barrier that ends P·V.');
      if (plan.consts.SKIP_DEAD) notes.push(paddingSubgroupsNote(plan.subgroups, (p.heads / p.kvHeads) * p.seqLenQ, plan.rowBlocks));
      if (p.dtype === 'f32') notes.push('f32 inputs enter the matrix products rounded to f16 (checked at the f16 tolerance).');
      return { passesFor: (set: number) => passesBySet[set % passesBySet.length], notes };
    },
  };
}

export const flashMmaKernel = makeFlashMma('native');
export const flashMmaEmulatedKernel = makeFlashMma('emulated');
