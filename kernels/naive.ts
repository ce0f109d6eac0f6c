import scoresWgsl from './wgsl/naive_scores.wgsl';
import softmaxWgsl from './wgsl/naive_softmax.wgsl';
import pvWgsl from './wgsl/naive_pv.wgsl';
import { AttentionKernel, InputSet, KernelIo, KernelPass, bindGroup, packParams, split2d, uniformBuffer } from './kernel';
import { AttentionProblem, ProblemError, scoreMatrixBytes } from './problem';
import type { GpuContext } from './device';
import { PipelineCache, assembleShader } from './shader';
import { formatBytes } from './units';

/**
 * naive: the textbook "default attention" — S = scale·QKᵀ materialised, softmax, S·V — as three passes.
 * S is chunked over (batch, head) pairs when it exceeds the adapter's largest storage binding.
 */
export function chunkPairs(ctx: GpuContext, p: AttentionProblem): number {
  const pairBytes = p.seqLenQ * p.seqLenK * 4;
  const maxBinding = Math.min(ctx.adapter.limits.maxStorageBufferBindingSize, ctx.adapter.limits.maxBufferSize);
  return Math.min(p.batch * p.heads, Math.floor(maxBinding / pairBytes), 65535);
}

export const naiveKernel: AttentionKernel = {
  name: 'naive',
  supports: { bshd: true, neighborhood: true },
  description: 'S = QKᵀ materialised in GPU memory, softmax, S·V (three passes)',

  check(ctx, p) {
    if (chunkPairs(ctx, p) < 1) {
      const maxBinding = ctx.adapter.limits.maxStorageBufferBindingSize;
      throw new ProblemError(
        `naive needs a ${p.seqLenQ}×${p.seqLenK} score matrix per head (${formatBytes(p.seqLenQ * p.seqLenK * 4)}), more than this adapter binds at once (${formatBytes(maxBinding)}); profile 'flash' instead.`,
      );
    }
    const maxDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
    if (Math.ceil(p.seqLenQ / 16) > maxDim || Math.ceil(p.seqLenK / 16) > maxDim) {
      throw new ProblemError(`sequence length is over what naive can dispatch on this adapter (${maxDim * 16}).`);
    }
  },

  analyticScratch(ctx, p) {
    const pairs = chunkPairs(ctx, p);
    return [{ label: 'S (scores)', role: 'scores', bytes: Math.min(scoreMatrixBytes(p), Math.max(pairs, 1) * p.seqLenQ * p.seqLenK * 4) }];
  },

  async prepare(ctx, alloc, cache, p, io) {
    const pairsTotal = p.batch * p.heads;
    const perChunk = chunkPairs(ctx, p);
    const chunks = Math.ceil(pairsTotal / perChunk);
    const pipes = await naivePipelines(cache, p);
    const s = alloc.create(
      'S (scores)',
      'scores',
      perChunk * p.seqLenQ * p.seqLenK * 4,
      GPUBufferUsage.STORAGE,
    );
    const chunkParams: GPUBuffer[] = [];
    for (let c = 0; c < chunks; c++) {
      const offset = c * perChunk;
      const count = Math.min(perChunk, pairsTotal - offset);
      chunkParams.push(uniformBuffer(ctx, alloc, `params chunk ${c}`, packParams(p, offset, count)));
    }
    const passesBySet = io.sets.map((set, si) => {
      const passes: KernelPass[] = [];
      for (let c = 0; c < chunks; c++) {
        const count = Math.min(perChunk, pairsTotal - c * perChunk);
        passes.push(...naiveChunkPasses(ctx, pipes, p, { set, io, params: chunkParams[c], scores: s, count, label: `set ${si} chunk ${c}` }));
      }
      return passes;
    });
    const notes =
      chunks > 1
        ? [`S (${formatBytes(scoreMatrixBytes(p))}) exceeds the adapter's largest binding; ran in ${chunks} chunks of ${perChunk} (batch, head) pairs.`]
        : [];
    return { passesFor: (set) => passesBySet[set % passesBySet.length], notes };
  },
};

export interface NaivePipelines {
  scores: GPUComputePipeline;
  softmax: GPUComputePipeline;
  pv: GPUComputePipeline;
}

export async function naivePipelines(cache: PipelineCache, p: AttentionProblem): Promise<NaivePipelines> {
  const consts = { HEAD_DIM: p.headDim };
  const key = `${p.dtype}:${p.headDim}`;
  const [scores, softmax, pv] = await Promise.all([
    cache.get(`naive-scores:${key}`, assembleShader(scoresWgsl, { dtype: p.dtype, consts, mask: true }), 'naive QKᵀ'),
    cache.get(`naive-softmax:${key}`, assembleShader(softmaxWgsl, { dtype: p.dtype, consts, mask: false }), 'naive softmax'),
    cache.get(`naive-pv:${key}`, assembleShader(pvWgsl, { dtype: p.dtype, consts, mask: false }), 'naive PV'),
  ]);
  return { scores, softmax, pv };
}

/**
 * The forward's three passes over one chunk of `count` (batch, head) pairs; `scores` holds the chunk's S and
 * then P (training keeps one such buffer per chunk for the backward).
 */
export function naiveChunkPasses(
  ctx: GpuContext,
  pipes: NaivePipelines,
  p: AttentionProblem,
  c: { set: InputSet; io: KernelIo; params: GPUBuffer; scores: GPUBuffer; count: number; label: string },
): KernelPass[] {
  const maxDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
  const [sx, sy] = split2d(Math.ceil((c.count * p.seqLenQ) / 64), maxDim);
  return [
    {
      name: 'QKᵀ',
      pipeline: pipes.scores,
      bindGroup: bindGroup(ctx, pipes.scores, `naive QKᵀ ${c.label}`, [c.params, c.set.q, c.set.k, c.io.kvLens, c.scores, c.io.docBounds]),
      workgroups: [Math.ceil(p.seqLenK / 16), Math.ceil(p.seqLenQ / 16), c.count],
    },
    {
      name: 'softmax',
      pipeline: pipes.softmax,
      bindGroup: bindGroup(ctx, pipes.softmax, `naive softmax ${c.label}`, [c.params, c.scores]),
      workgroups: [sx, sy, 1],
    },
    {
      name: 'PV',
      pipeline: pipes.pv,
      bindGroup: bindGroup(ctx, pipes.pv, `naive PV ${c.label}`, [c.params, c.scores, c.set.v, c.io.out]),
      workgroups: [Math.ceil(p.headDim / 64), Math.ceil(p.seqLenQ / 4), c.count],
    },
  ];
}
