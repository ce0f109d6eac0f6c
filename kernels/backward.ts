/**
 * Training: a forward that keeps what its backward needs, then the backward (dQ, dK, dV from dO), for `naive`
 * and `flash` (flash-mma's, on the matrix units, is in backward_mma.ts). One iteration of a training kernel is one attention training step: forward passes then backward
 * passes, each tagged with its `step` so the flame chart nests them under a "train step".
 *
 * naive — as PyTorch's default attention does it: the forward keeps P (B·Hq·Nq·Nk f32, one buffer per chunk of
 *   (batch, head) pairs so every chunk's P survives until the backward); the backward materialises dS like P
 *   (one chunk at a time), then dQ = dS·K and dK = dSᵀ·Q, dV = Pᵀ·dO as separate passes.
 * flash — FlashAttention-2 style: the forward keeps only O and, per row, the softmax statistics (max m and sum l,
 *   lse = m + ln l), B·Hq·Nq; the backward computes D = rowsum(dO ⊙ O), then recomputes P tile by tile twice:
 *   once in a dK/dV pass (one workgroup per K/V tile, the query heads of a GQA group looped inside, dK and dV
 *   in registers) and once in a dQ pass (one workgroup per query tile). WGSL has no float atomics, so dQ cannot be
 *   accumulated by the dK/dV workgroups as FlashAttention-2's CUDA kernel does with atomicAdd; the separate dQ
 *   pass costs two more tile products (7 instead of 5) but writes every element once, deterministically, with no
 *   scratch. The forward is the tiled flash kernel run as one key split: its split path already writes the row
 *   statistics (and an f32 partial O that a normalising pass turns into O), so training uses the forward kernel
 *   as it is rather than a copy of it. Where the tiled kernel does not fit (head dims ≥ 160 with 32–48 KiB of
 *   workgroup memory), the forward runs as in fwd mode and a statistics pass recomputes QKᵀ for m and l.
 */
import naiveDsWgsl from './wgsl/naive_bwd_ds.wgsl';
import naiveDqWgsl from './wgsl/naive_bwd_dq.wgsl';
import naiveDkvWgsl from './wgsl/naive_bwd_dkv.wgsl';
import flashDkvWgsl from './wgsl/flash_bwd_dkv.wgsl';
import flashDqWgsl from './wgsl/flash_bwd_dq.wgsl';
import bwdBindingsWgsl from './wgsl/bwd_bindings.wgsl';
import flashTiledWgsl from './wgsl/flash_tiled.wgsl';
import flashLseWgsl from './wgsl/flash_bwd_lse.wgsl';
import type { GpuContext } from './device';
import { FlashPlan, flashConsts, flashKernel, planFlash } from './flash';
import { combinePass } from './decode';
import { AnalyticBuffer, KernelPass, bindGroup, packParams, uniformBuffer } from './kernel';
import { TrainKernel, requireTraining, rowDBuffer, rowdotPass, rowdotPipeline } from './backward_shared';
import { flashMmaEmulatedTrain, flashMmaTrain } from './backward_mma';
import { chunkPairs, naiveChunkPasses, naivePipelines } from './naive';
import { AttentionProblem, ProblemError, elementBytes, qElements } from './problem';
import { assembleShader } from './shader';
import { formatBytes } from './units';

/** Bytes the forward keeps alive for the backward (the activations a training step holds per attention layer). */
export function savedForBackwardBytes(kernel: string, p: AttentionProblem): number {
  const rows = p.batch * p.heads * p.seqLenQ;
  const o = qElements(p) * elementBytes(p.dtype);
  // naive keeps P in f32 and O; flash keeps O and the per-row statistics (two f32: max and sum); flash-mma keeps
  // O and the row's log-sum-exp (one f32).
  if (kernel === 'naive') return rows * p.seqLenK * 4 + o;
  return kernel.startsWith('flash-mma') ? o + rows * 4 : o + rows * 8;
}

// ---------------------------------------------------------------------------------------------------------------
// naive

function naiveChunks(ctx: GpuContext, p: AttentionProblem): { perChunk: number; chunks: number } {
  const perChunk = chunkPairs(ctx, p);
  return { perChunk, chunks: Math.ceil((p.batch * p.heads) / Math.max(perChunk, 1)) };
}

export const naiveTrain: TrainKernel = {
  name: 'naive',
  description: 'forward keeps P (B·Hq·Nq·Nk); backward materialises dS, then dQ = dS·K, dK = dSᵀ·Q, dV = Pᵀ·dO',
  // The backward reads the masks through the saved P (0 for a masked pair, so its dS is 0).
  supports: { neighborhood: true },

  check(ctx, p) {
    if (chunkPairs(ctx, p) < 1) {
      throw new ProblemError(
        `naive needs a ${p.seqLenQ}×${p.seqLenK} score matrix per head (${formatBytes(p.seqLenQ * p.seqLenK * 4)}), more than this adapter binds at once; profile 'flash' instead.`,
      );
    }
    const maxDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
    if (Math.ceil(p.seqLenQ / 16) > maxDim || Math.ceil(p.seqLenK / 16) > maxDim) {
      throw new ProblemError(`sequence length is over what naive can dispatch on this adapter (${maxDim * 16}).`);
    }
  },

  analyticScratch(ctx, p) {
    const { perChunk, chunks } = naiveChunks(ctx, p);
    const pairBytes = p.seqLenQ * p.seqLenK * 4;
    const pairs = p.batch * p.heads;
    return [
      ...Array.from({ length: chunks }, (_, c): AnalyticBuffer => ({
        label: chunks > 1 ? `P chunk ${c} (saved for backward)` : 'P (saved for backward)',
        role: 'saved',
        bytes: Math.min(perChunk, pairs - c * perChunk) * pairBytes,
      })),
      { label: 'dS', role: 'scores', bytes: Math.min(perChunk, pairs) * pairBytes },
      rowDBuffer(p),
    ];
  },

  async prepare(ctx, alloc, cache, p, io) {
    const { dout, grads } = requireTraining(io);
    const pairs = p.batch * p.heads;
    const { perChunk, chunks } = naiveChunks(ctx, p);
    const consts = { HEAD_DIM: p.headDim };
    const key = `${p.dtype}:${p.headDim}`;
    const [forward, rowdot, dsPipe, dqPipe, dkvPipe] = await Promise.all([
      naivePipelines(cache, p),
      rowdotPipeline(cache, p),
      cache.get(`naive-bwd-ds:${key}`, assembleShader(naiveDsWgsl, { dtype: p.dtype, consts, mask: false }), 'naive backward dS'),
      cache.get(`naive-bwd-dq:${key}`, assembleShader(naiveDqWgsl, { dtype: p.dtype, consts, mask: false }), 'naive backward dQ'),
      cache.get(`naive-bwd-dkv:${key}`, assembleShader(naiveDkvWgsl, { dtype: p.dtype, consts, mask: false }), 'naive backward dK dV'),
    ]);
    const scratch = naiveTrain.analyticScratch(ctx, p);
    const saved = scratch.filter((b) => b.role === 'saved').map((b) => alloc.create(b.label, 'saved', b.bytes, GPUBufferUsage.STORAGE));
    const [dsInfo, rowDInfo] = scratch.filter((b) => b.role !== 'saved');
    const ds = alloc.create(dsInfo.label, 'scores', dsInfo.bytes, GPUBufferUsage.STORAGE);
    const rowD = alloc.create(rowDInfo.label, 'scratch', rowDInfo.bytes, GPUBufferUsage.STORAGE);
    const count = (c: number) => Math.min(perChunk, pairs - c * perChunk);
    const params = Array.from({ length: chunks }, (_, c) => uniformBuffer(ctx, alloc, `params chunk ${c}`, packParams(p, c * perChunk, count(c))));
    const allParams = chunks === 1 ? params[0] : uniformBuffer(ctx, alloc, 'params (all rows)', packParams(p, 0, pairs));
    const group = p.heads / p.kvHeads;
    const passesBySet = io.sets.map((set, si) => {
      const passes: KernelPass[] = [];
      for (let c = 0; c < chunks; c++) {
        const fwd = naiveChunkPasses(ctx, forward, p, { set, io, params: params[c], scores: saved[c], count: count(c), label: `set ${si} chunk ${c}` });
        passes.push(...fwd.map((x): KernelPass => ({ ...x, step: 'forward' })));
      }
      passes.push(rowdotPass(ctx, rowdot, p, allParams, io.out, dout[si], rowD, `set ${si}`));
      for (let c = 0; c < chunks; c++) {
        const n = count(c);
        const first = c * perChunk;
        const kvPairs = Math.floor((first + n - 1) / group) - Math.floor(first / group) + 1;
        passes.push(
          {
            name: 'dS',
            step: 'backward',
            pipeline: dsPipe,
            bindGroup: bindGroup(ctx, dsPipe, `naive dS set ${si} chunk ${c}`, [params[c], set.q, set.k, set.v, dout[si], saved[c], rowD, ds]),
            workgroups: [Math.ceil(p.seqLenK / 16), Math.ceil(p.seqLenQ / 16), n],
          },
          {
            name: 'dQ',
            step: 'backward',
            pipeline: dqPipe,
            bindGroup: bindGroup(ctx, dqPipe, `naive dQ set ${si} chunk ${c}`, [params[c], ds, set.k, grads.dq]),
            workgroups: [Math.ceil(p.headDim / 64), Math.ceil(p.seqLenQ / 4), n],
          },
          {
            name: 'dK dV',
            step: 'backward',
            pipeline: dkvPipe,
            bindGroup: bindGroup(ctx, dkvPipe, `naive dK dV set ${si} chunk ${c}`, [params[c], saved[c], ds, set.q, dout[si], grads.dk, grads.dv]),
            workgroups: [Math.ceil(p.headDim / 64), Math.ceil(p.seqLenK / 4), kvPairs],
          },
        );
      }
      return passes;
    });
    const notes = [`forward keeps P for the backward: ${formatBytes(pairs * p.seqLenQ * p.seqLenK * 4)}.`];
    if (chunks > 1) notes.push(`P exceeds the adapter's largest binding: ${chunks} chunks of ${perChunk} (batch, head) pairs, one P buffer each; dS is materialised one chunk at a time.`);
    return { passesFor: (set) => passesBySet[set % passesBySet.length], notes };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// flash

export interface FlashBackwardTiles {
  /** Keys per workgroup and query rows per tile, threads and workgroup bytes of the dK/dV pass. */
  dkv: { keys: number; rows: number; threads: number; workgroupBytes: number };
  /** Query rows per workgroup and keys per tile of the dQ pass. */
  dq: { rows: number; keys: number; threads: number; workgroupBytes: number };
}

/**
 * Tile sizes of the two backward passes for a head dim, within the adapter's workgroup storage and invocation
 * limits. Each thread holds 4 keys (dK/dV) or 4 rows (dQ) × a few vec4 columns of its accumulators: the tiles
 * grow the threads across columns until that is at most 2 (dK/dV) or 2–16 (dQ) vec4 columns, then pick the
 * largest key tile whose K (and V) rows fit the workgroup memory. Any head dim that is a multiple of 8 works
 * (columns beyond D/4 are guarded), so a new head dim of the forward flows through.
 */
export function planFlashBackward(p: Pick<AttentionProblem, 'headDim' | 'seqLenQ' | 'seqLenK'>, ctx: GpuContext): FlashBackwardTiles {
  const headDim = p.headDim;
  const d4 = headDim / 4;
  const maxBytes = ctx.adapter.limits.maxComputeWorkgroupStorageSize;
  const maxThreads = Math.min(256, ctx.adapter.limits.maxComputeInvocationsPerWorkgroup);
  const tq = Math.ceil(d4 / 2);
  let dkv: FlashBackwardTiles['dkv'] | undefined;
  for (const keys of [64, 32, 16, 8, 4]) {
    const threads = (keys / 4) * tq;
    const bytes = 16 * (2 * keys * (d4 + 1) + 2 * keys * tq);
    if (threads <= maxThreads && bytes <= maxBytes) {
      // As few key tiles as this size allows, split evenly (196 keys: 7 tiles of 28, not 6 of 32 and one of 4).
      const even = 4 * Math.ceil(p.seqLenK / Math.ceil(p.seqLenK / keys) / 4);
      dkv = { keys: even, rows: 4 * tq, threads: (even / 4) * tq, workgroupBytes: 16 * (2 * even * (d4 + 1) + 2 * even * tq) };
      break;
    }
  }
  let dq: FlashBackwardTiles['dq'] | undefined;
  for (const cols of [2, 4, 8, 16]) {
    const tk = Math.ceil(d4 / cols);
    const keys = 4 * tk;
    const tr = Math.max(1, Math.floor(64 / tk));
    const bytes = 16 * (keys * (d4 + 1) + keys * tr);
    if (tk * tr <= maxThreads && bytes <= maxBytes) {
      // Query tiles split evenly too.
      const rows = 4 * Math.ceil(p.seqLenQ / Math.ceil(p.seqLenQ / (4 * tr)) / 4);
      dq = { rows, keys, threads: tk * (rows / 4), workgroupBytes: 16 * (keys * (d4 + 1) + keys * (rows / 4)) };
      break;
    }
  }
  if (!dkv || !dq) throw new ProblemError(`the flash backward's tiles for head dim ${headDim} do not fit this adapter's workgroup memory.`);
  return { dkv, dq };
}

/**
 * The forward as training runs it. `split`: the tiled kernel with all keys in one split, so it writes the row
 * statistics as it goes. `rows+lse`: where the tiled kernel does not fit (large head dims on adapters with little
 * workgroup memory), the forward exactly as `fwd` mode runs it, then a statistics pass (flash_bwd_lse.wgsl) that
 * recomputes QKᵀ for m and l — half the forward's FLOPs again, said in the notes.
 */
type FlashTrainForward =
  | { kind: 'split'; plan: FlashPlan; workgroups: [number, number, number]; splitKeys: number }
  | { kind: 'rows+lse'; rows: number; keys: number };

function flashTrainForward(ctx: GpuContext, p: AttentionProblem): FlashTrainForward {
  const plan = planFlash({ headDim: p.headDim, seqLenQ: Math.min(p.seqLenQ, 256) }, ctx);
  if (plan.variant === 'tiled') {
    const slots = (p.heads / p.kvHeads) * p.seqLenQ;
    const workgroups: [number, number, number] = [Math.ceil(slots / plan.rows), p.batch * p.kvHeads, 1];
    return { kind: 'split', plan, workgroups, splitKeys: Math.ceil(p.seqLenK / plan.keys) * plan.keys };
  }
  let keys = 32;
  while (keys > 4 && keys * p.headDim * 4 > ctx.adapter.limits.maxComputeWorkgroupStorageSize) keys /= 2;
  if (keys * p.headDim * 4 > ctx.adapter.limits.maxComputeWorkgroupStorageSize) {
    throw new ProblemError(`the flash training forward's key tiles for head dim ${p.headDim} do not fit this adapter's workgroup memory.`);
  }
  return { kind: 'rows+lse', rows: Math.min(64, ctx.adapter.limits.maxComputeInvocationsPerWorkgroup), keys };
}

export const flashTrain: TrainKernel = {
  name: 'flash',
  description: 'forward keeps O and the row log-sum-exp; backward recomputes P per tile (dK/dV pass, then dQ pass)',
  supports: { neighborhood: true },

  check(ctx, p) {
    if (flashTrainForward(ctx, p).kind === 'rows+lse') flashKernel.check(ctx, p);
    const maxDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
    const bwd = planFlashBackward(p, ctx);
    if (Math.ceil(p.seqLenK / bwd.dkv.keys) > maxDim || Math.ceil(p.seqLenQ / bwd.dq.rows) > maxDim || p.batch * p.kvHeads > maxDim) {
      throw new ProblemError(`this shape needs more workgroups than the adapter dispatches per dimension (${maxDim}) for the flash backward.`);
    }
  },

  analyticScratch(ctx, p) {
    const rows = p.batch * p.heads * p.seqLenQ;
    const split = flashTrainForward(ctx, p).kind === 'split';
    return [
      { label: 'LSE: row max and sum (saved for backward)', role: 'saved', bytes: rows * 8 },
      ...(split ? [{ label: 'forward partial O (f32, before normalising)', role: 'scratch' as const, bytes: rows * p.headDim * 4 }] : flashKernel.analyticScratch(ctx, p)),
      rowDBuffer(p),
    ];
  },

  async prepare(ctx, alloc, cache, p, io) {
    const { dout, grads } = requireTraining(io);
    const fwd = flashTrainForward(ctx, p);
    const bwd = planFlashBackward(p, ctx);
    const dtype = p.dtype;
    const d = p.headDim;
    const [rowdot, dkvPipe, dqPipe] = await Promise.all([
      rowdotPipeline(cache, p),
      cache.get(
        `flash-bwd-dkv:${dtype}:${d}:${bwd.dkv.keys}:${bwd.dkv.rows}`,
        assembleShader(`${bwdBindingsWgsl}\n${flashDkvWgsl}`, { dtype, consts: { HEAD_DIM: d, BKV: bwd.dkv.keys, BQ: bwd.dkv.rows }, mask: true }),
        'flash backward dK dV',
      ),
      cache.get(
        `flash-bwd-dq:${dtype}:${d}:${bwd.dq.keys}:${bwd.dq.rows}`,
        assembleShader(`${bwdBindingsWgsl}\n${flashDqWgsl}`, { dtype, consts: { HEAD_DIM: d, BKV: bwd.dq.keys, BQ: bwd.dq.rows }, mask: true }),
        'flash backward dQ',
      ),
    ]);
    const stats = alloc.create('LSE: row max and sum (saved for backward)', 'saved', p.batch * p.heads * p.seqLenQ * 8, GPUBufferUsage.STORAGE);
    const pairs = p.batch * p.heads;
    const notes: string[] = [];
    let params: GPUBuffer;
    let forwardFor: (set: number) => KernelPass[];
    if (fwd.kind === 'split') {
      const forward = await cache.get(
        `flash-tiled:${dtype}:${d}:${fwd.plan.rows}:${fwd.plan.keys}`,
        assembleShader(flashTiledWgsl, { dtype, consts: flashConsts(d, fwd.plan), mask: true }),
        'flash (tiled)',
      );
      const partial = alloc.create('forward partial O (f32, before normalising)', 'scratch', p.batch * p.heads * p.seqLenQ * d * 4, GPUBufferUsage.STORAGE);
      params = uniformBuffer(ctx, alloc, 'params', packParams(p, 0, pairs, fwd.splitKeys));
      // The combine pass with one split: O = acc / l.
      const normalise = await combinePass(ctx, cache, p, 1, { params, partial, stats, out: io.out });
      const bySet = io.sets.map((set, si): KernelPass[] => [
        {
          name: 'fused',
          step: 'forward',
          pipeline: forward,
          bindGroup: bindGroup(ctx, forward, `flash train forward set ${si}`, [params, set.q, set.k, set.v, io.kvLens, io.out, partial, stats, io.docBounds]),
          workgroups: fwd.workgroups,
        },
        { ...normalise, name: 'normalise', step: 'forward' },
      ]);
      forwardFor = (set) => bySet[set % bySet.length];
      notes.push(`forward: tiled, ${fwd.plan.rows} rows × ${fwd.plan.keys} keys per workgroup, as one key split so it saves the row statistics (${formatBytes(pairs * p.seqLenQ * 8)}), then a normalising pass.`);
    } else {
      // The forward exactly as fwd mode runs it, then the statistics pass.
      const forward = await flashKernel.prepare(ctx, alloc, cache, p, io);
      params = uniformBuffer(ctx, alloc, 'params (backward)', packParams(p, 0, pairs));
      const lse = await cache.get(
        `flash-bwd-lse:${dtype}:${d}:${fwd.rows}:${fwd.keys}`,
        assembleShader(flashLseWgsl, { dtype, consts: { HEAD_DIM: d, BQ: fwd.rows, BK: fwd.keys }, mask: true }),
        'flash training statistics',
      );
      const bySet = io.sets.map((set, si): KernelPass => ({
        name: 'LSE',
        step: 'forward',
        pipeline: lse,
        bindGroup: bindGroup(ctx, lse, `flash train statistics set ${si}`, [params, set.q, set.k, io.kvLens, io.docBounds, stats]),
        workgroups: [Math.ceil(p.seqLenQ / fwd.rows), Math.min(pairs, 65535), Math.ceil(pairs / 65535)],
      }));
      forwardFor = (set) => [...forward.passesFor(set).map((x): KernelPass => ({ ...x, step: 'forward' })), bySet[set % bySet.length]];
      notes.push(
        ...forward.notes,
        `the tiled forward does not fit head dim ${d} here, so a statistics pass recomputes QKᵀ for the saved row statistics (${formatBytes(pairs * p.seqLenQ * 8)}): +50 % forward FLOPs.`,
      );
    }
    const rowD = alloc.create(rowDBuffer(p).label, 'scratch', rowDBuffer(p).bytes, GPUBufferUsage.STORAGE);
    const passesBySet = io.sets.map((set, si): KernelPass[] => [
      ...forwardFor(si),
      rowdotPass(ctx, rowdot, p, params, io.out, dout[si], rowD, `set ${si}`),
      {
        name: 'dK dV',
        step: 'backward',
        pipeline: dkvPipe,
        bindGroup: bindGroup(ctx, dkvPipe, `flash dK dV set ${si}`, [params, set.q, set.k, set.v, dout[si], io.kvLens, io.docBounds, stats, rowD, grads.dk, grads.dv]),
        workgroups: [Math.ceil(p.seqLenK / bwd.dkv.keys), p.batch * p.kvHeads, 1],
      },
      {
        name: 'dQ',
        step: 'backward',
        pipeline: dqPipe,
        bindGroup: bindGroup(ctx, dqPipe, `flash dQ set ${si}`, [params, set.q, set.k, set.v, dout[si], io.kvLens, io.docBounds, stats, rowD, grads.dq]),
        workgroups: [Math.ceil(p.seqLenQ / bwd.dq.rows), Math.min(pairs, 65535), Math.ceil(pairs / 65535)],
      },
    ]);
    notes.push(
      `backward: dK/dV ${bwd.dkv.keys} keys × ${bwd.dkv.rows}-row query tiles (${bwd.dkv.threads} threads); dQ ${bwd.dq.rows} rows × ${bwd.dq.keys}-key tiles (${bwd.dq.threads} threads); dQ in its own pass (no float atomics in WGSL).`,
    );
    return { passesFor: (set) => passesBySet[set % passesBySet.length], notes };
  },
};

export type { TrainKernel } from './backward_shared';

/** Every kernel with a backward pass; train mode runs only these. */
export const TRAIN_KERNELS: readonly TrainKernel[] = [naiveTrain, flashTrain, flashMmaTrain, flashMmaEmulatedTrain];
