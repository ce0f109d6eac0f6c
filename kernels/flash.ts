import flashRowsWgsl from './wgsl/flash.wgsl';
import flashTiledWgsl from './wgsl/flash_tiled.wgsl';
import { AttentionKernel, KernelPass, bindGroup, packParams, uniformBuffer } from './kernel';
import { AttentionProblem, ProblemError } from './problem';
import type { GpuContext } from './device';
import { assembleShader } from './shader';
import { combinePass, decodePath, planDecode, splitScratch } from './decode';

/**
 * flash: fused online-softmax attention, never materialising S. Two variants of one algorithm:
 * - tiled: 4×4 register blocks of S per thread, P staged in workgroup memory (FlashAttention-2 style);
 * - rows: one query row per thread (for head dims whose tiles do not fit the adapter's workgroup memory).
 * The plan picks the tiled variant when its tiles fit, with tile sizes from the sweep in BENCHMARKS.md.
 */
export type FlashVariant = 'tiled' | 'rows';

export interface FlashPlan {
  variant: FlashVariant;
  /** Query rows per workgroup. */
  rows: number;
  /** Keys per K/V tile staged in workgroup memory. */
  keys: number;
  threads: number;
  workgroupBytes: number;
}

function envOverride(): { variant?: FlashVariant; rows?: number; keys?: number; splits?: number } {
  const env = typeof process !== 'undefined' ? process.env : {};
  const splits = Number(env.ATTNPROF_FLASH_SPLITS);
  const variant = env.ATTNPROF_FLASH_VARIANT === 'rows' || env.ATTNPROF_FLASH_VARIANT === 'tiled' ? env.ATTNPROF_FLASH_VARIANT : undefined;
  const [rows, keys] = (env.ATTNPROF_FLASH_TILES ?? '').split(',').map(Number);
  return { variant, ...(rows > 0 && keys > 0 ? { rows, keys } : {}), ...(splits >= 1 ? { splits: Math.floor(splits) } : {}) };
}

/** V's vec4 columns per row in workgroup memory: D/4 rounded up to a multiple of the threads across keys. */
export function paddedVec4Cols(d: number, keys: number): number {
  const tx = keys / 4;
  return Math.ceil(d / 4 / tx) * tx;
}

function tiledBytes(d: number, rows: number, keys: number): number {
  const kp = Math.max(d * keys, keys * rows);
  return 4 * (kp + keys * 4 * paddedVec4Cols(d, keys) + (rows / 4) * (keys / 4) * 4);
}

/** Padding V's columns wastes P·V work on zeros: above this share a smaller key tile (or rows) is better. */
const MAX_PAD_SHARE = 0.25;

function tiledPlan(d: number, ctx: GpuContext, rows: number, keys: number): FlashPlan | undefined {
  const threads = (rows / 4) * (keys / 4);
  const bytes = tiledBytes(d, rows, keys);
  const dp4 = paddedVec4Cols(d, keys);
  const ok =
    rows % 4 === 0 &&
    keys % 4 === 0 &&
    d % 4 === 0 &&
    (dp4 - d / 4) / dp4 <= MAX_PAD_SHARE &&
    dp4 / (keys / 4) <= 8 && // O columns per thread: more would spill registers
    threads <= ctx.adapter.limits.maxComputeInvocationsPerWorkgroup &&
    bytes <= ctx.adapter.limits.maxComputeWorkgroupStorageSize;
  return ok ? { variant: 'tiled', rows, keys, threads, workgroupBytes: bytes } : undefined;
}

function rowsPlan(d: number, ctx: GpuContext, rows: number, keys: number): FlashPlan {
  let k = keys;
  while (k > 4 && 2 * k * d * 4 > ctx.adapter.limits.maxComputeWorkgroupStorageSize) k /= 2;
  const r = Math.min(rows, ctx.adapter.limits.maxComputeInvocationsPerWorkgroup);
  return { variant: 'rows', rows: r, keys: k, threads: r, workgroupBytes: 2 * k * d * 4 };
}

/**
 * Tile sizes per head dim and query length, within the adapter's workgroup storage and invocation limits.
 * From the H100 sweep in BENCHMARKS.md: short sequences (ViT-196) want the tiled variant with the rows
 * split evenly over the fewest workgroups (100 rows for 196: 2% idle threads instead of 23%); long
 * D ≤ 64 sequences run best one row per thread; D 96–128 want large tiled blocks (192 × 32).
 */
export function planFlash(p: Pick<AttentionProblem, 'headDim' | 'seqLenQ'>, ctx: GpuContext): FlashPlan {
  const d = p.headDim;
  const o = envOverride();
  const rowsDefault: [number, number] = d <= 64 ? [64, 8] : d <= 128 ? [128, 16] : [64, 8];
  if (o.variant !== 'rows') {
    let candidates: [number, number][];
    if (o.rows && o.keys) candidates = [[o.rows, o.keys]];
    else if (d <= 64 && p.seqLenQ > 256 && o.variant !== 'tiled') candidates = [];
    else if (d <= 64) {
      const blocks = Math.ceil(p.seqLenQ / 128);
      const even = Math.max(16, Math.ceil(Math.ceil(p.seqLenQ / blocks) / 4) * 4);
      candidates = [[even, 32], [64, 32], [64, 16], [32, 16]];
    } else candidates = [[192, 32], [128, 32], [64, 32], [64, 16], [32, 16], [32, 8]];
    for (const [rows, keys] of candidates) {
      const plan = tiledPlan(d, ctx, rows, keys);
      if (plan) return plan;
    }
    if (o.variant === 'tiled') {
      throw new ProblemError(`the tiled flash variant does not fit head dim ${d} on this adapter.`);
    }
  }
  const [rows, keys] = o.rows && o.keys ? [o.rows, o.keys] : rowsDefault;
  return rowsPlan(d, ctx, rows, keys);
}

/** Compile-time constants of the forward kernel for a plan (the training forward in backward.ts uses them too). */
export function flashConsts(headDim: number, plan: FlashPlan): Record<string, number> {
  const consts: Record<string, number> = { HEAD_DIM: headDim, BQ: plan.rows, BK: plan.keys };
  if (plan.variant === 'tiled') {
    consts.KP_VEC4 = Math.max(headDim * plan.keys, plan.keys * plan.rows) / 4;
    consts.DP4 = paddedVec4Cols(headDim, plan.keys);
  }
  return consts;
}

/** Workgroups wanted in flight: below this, split the keys (decode: one query row per head). */
const TARGET_WORKGROUPS = 512;
/** Query lengths up to this may split their keys. */
const SPLIT_MAX_QUERIES = 64;

export interface FlashGrid {
  workgroups: [number, number, number];
  /** Key splits (wg.z); 1 = no split. */
  splits: number;
  /** Keys per split, a multiple of the key tile; 0 when not split. */
  splitKeys: number;
}

/**
 * The tiled variant's grid: x over BQ-row blocks of the (GQA group × query) slots of a KV head, y over
 * (batch, KV head), z over key splits when there are too few workgroups to fill the GPU.
 */
export function flashGrid(p: AttentionProblem, plan: FlashPlan): FlashGrid {
  if (plan.variant === 'rows') {
    const pairs = p.batch * p.heads;
    return { workgroups: [Math.ceil(p.seqLenQ / plan.rows), Math.min(pairs, 65535), Math.ceil(pairs / 65535)], splits: 1, splitKeys: 0 };
  }
  const slots = (p.heads / p.kvHeads) * p.seqLenQ;
  const x = Math.ceil(slots / plan.rows);
  const y = p.batch * p.kvHeads;
  const forced = envOverride().splits;
  // Only short queries (decode, speculative steps) split: for a prefill the partial results would cost
  // as much memory as the output again for little gain.
  const wantSplit = p.seqLenQ <= SPLIT_MAX_QUERIES && x * y < TARGET_WORKGROUPS;
  let splits = forced ?? (wantSplit ? Math.min(Math.ceil(TARGET_WORKGROUPS / (x * y)), Math.floor(p.seqLenK / (4 * plan.keys))) : 1);
  splits = Math.max(1, Math.min(splits, Math.ceil(p.seqLenK / plan.keys)));
  if (splits === 1) return { workgroups: [x, y, 1], splits: 1, splitKeys: 0 };
  const splitKeys = Math.ceil(Math.ceil(p.seqLenK / splits) / plan.keys) * plan.keys;
  splits = Math.ceil(p.seqLenK / splitKeys);
  return { workgroups: [x, y, splits], splits, splitKeys };
}

/**
 * flash takes the key-parallel decode path for f16 only: on the H200 (BENCHMARKS.md, 2026-11-30) its first, chunked
 * pass halved the f16 decode step (150 µs against 320 µs for the split tiled kernel) but was slower than the split
 * tiled kernel with f32 K/V (389 µs against 321 µs), so f32 decode keeps the split tiled kernel (flash-mma takes the
 * decode path in f32 too: `--kernels flash,flash-mma --dtype f32` compares the two).
 */
function flashDecode(p: AttentionProblem, ctx: GpuContext): ReturnType<typeof decodePath> {
  return p.dtype === 'f16' ? decodePath(p, ctx) : undefined;
}

export const flashKernel: AttentionKernel = {
  name: 'flash',
  supports: { bshd: true, neighborhood: true },
  description: 'fused online-softmax attention (FlashAttention-2 style), K/V tiles in workgroup memory',

  check(ctx, p) {
    const decode = flashDecode(p, ctx);
    if (decode) return decode.check(ctx, p);
    const plan = planFlash(p, ctx);
    if (plan.workgroupBytes > ctx.adapter.limits.maxComputeWorkgroupStorageSize) {
      throw new ProblemError(`head dim ${p.headDim} needs more workgroup memory than this adapter has for flash.`);
    }
    const maxDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
    const grid = flashGrid(p, plan);
    if (grid.workgroups.some((n) => n > maxDim)) {
      throw new ProblemError(`this shape needs more workgroups than the adapter dispatches per dimension (${maxDim}) for flash.`);
    }
  },

  tileSchedule(ctx, p) {
    // The decode path: one KV head's rows against its key splits (whole splits skipped by the rows' key range).
    const decode = p.dtype === 'f16' ? planDecode(p, ctx) : undefined;
    if (decode) return { rows: decode.rows, keys: decode.tileKeys, groupSlots: true, splitKeys: decode.splitKeys };
    const plan = planFlash(p, ctx);
    if (plan.variant === 'rows') return { rows: plan.rows, keys: plan.keys, groupSlots: false, splitKeys: 0 };
    return { rows: plan.rows, keys: plan.keys, groupSlots: true, splitKeys: flashGrid(p, plan).splitKeys };
  },

  analyticScratch(ctx, p) {
    const decode = flashDecode(p, ctx);
    if (decode) return decode.analyticScratch(ctx, p);
    const plan = planFlash(p, ctx);
    return plan.variant === 'tiled' ? splitScratch(p, flashGrid(p, plan).splits) : [];
  },

  async prepare(ctx, alloc, cache, p, io) {
    const decode = flashDecode(p, ctx);
    if (decode) return decode.prepare(ctx, alloc, cache, p, io);
    const plan = planFlash(p, ctx);
    const grid = flashGrid(p, plan);
    const tiled = plan.variant === 'tiled';
    const consts = flashConsts(p.headDim, plan);
    const pipeline = await cache.get(
      `flash-${plan.variant}:${p.dtype}:${p.headDim}:${plan.rows}:${plan.keys}`,
      assembleShader(tiled ? flashTiledWgsl : flashRowsWgsl, { dtype: p.dtype, consts, mask: true }),
      `flash (${plan.variant})`,
    );
    const params = uniformBuffer(ctx, alloc, 'params', packParams(p, 0, p.batch * p.heads, grid.splitKeys));
    const scratch = tiled
      ? splitScratch(p, grid.splits).map((b) => alloc.create(b.label, 'scratch', b.bytes, GPUBufferUsage.STORAGE))
      : [];
    const combine =
      grid.splits > 1 ? await combinePass(ctx, cache, p, grid.splits, { params, partial: scratch[0], stats: scratch[1], out: io.out }) : undefined;
    const passesBySet = io.sets.map((set, si) => {
      const fused: KernelPass = {
        name: grid.splits > 1 ? 'partial' : 'fused',
        pipeline,
        bindGroup: bindGroup(ctx, pipeline, `flash set ${si}`, [params, set.q, set.k, set.v, io.kvLens, io.out, ...scratch, io.docBounds]),
        workgroups: grid.workgroups,
      };
      return combine ? [fused, combine] : [fused];
    });
    const notes = [`${plan.variant} variant: ${plan.rows} query rows × ${plan.keys} keys per workgroup, ${plan.threads} threads.`];
    if (grid.splits > 1) notes.push(`Keys split ${grid.splits} ways (${grid.splitKeys} keys each) to fill the GPU, then combined.`);
    return { passesFor: (set: number) => passesBySet[set % passesBySet.length], notes };
  },
};
