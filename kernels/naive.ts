import scoresWgsl from './wgsl/naive_scores.wgsl';
import softmaxWgsl from './wgsl/naive_softmax.wgsl';
import pvWgsl from './wgsl/naive_pv.wgsl';
import { AttentionKernel, KernelPass, bindGroup, packParams, split2d, uniformBuffer } from './kernel';
import { AttentionProblem, ProblemError, scoreMatrixBytes } from './problem';
import type { GpuContext } from './device';
import { assembleShader } from './shader';
import { formatBytes } from './units';

/**
 * naive: the textbook "default attention" — S = scale·QKᵀ materialised, softmax, S·V — as three passes.
 * S is chunked over (batch, head) pairs when it exceeds the adapter's largest storage binding.
 */
function chunkPairs(ctx: GpuContext, p: AttentionProblem): number {
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
    const consts = { HEAD_DIM: p.headDim };
    const key = `${p.dtype}:${p.headDim}`;
    const [scores, softmax, pv] = await Promise.all([
      cache.get(`naive-scores:${key}`, assembleShader(scoresWgsl, { dtype: p.dtype, consts, mask: true }), 'naive QKᵀ'),
      cache.get(`naive-softmax:${key}`, assembleShader(softmaxWgsl, { dtype: p.dtype, consts, mask: false }), 'naive softmax'),
      cache.get(`naive-pv:${key}`, assembleShader(pvWgsl, { dtype: p.dtype, consts, mask: false }), 'naive PV'),
    ]);
    const s = alloc.create(
      'S (scores)',
      'scores',
      perChunk * p.seqLenQ * p.seqLenK * 4,
      GPUBufferUsage.STORAGE,
    );
    const maxDim = ctx.adapter.limits.maxComputeWorkgroupsPerDimension;
    const chunkParams: GPUBuffer[] = [];
    for (let c = 0; c < chunks; c++) {
      const offset = c * perChunk;
      const count = Math.min(perChunk, pairsTotal - offset);
      chunkParams.push(uniformBuffer(ctx, alloc, `params chunk ${c}`, packParams(p, offset, count)));
    }
    const softmaxGroups = (count: number) => split2d(Math.ceil((count * p.seqLenQ) / 64), maxDim);
    const passesBySet = io.sets.map((set, si) => {
      const passes: KernelPass[] = [];
      for (let c = 0; c < chunks; c++) {
        const count = Math.min(perChunk, pairsTotal - c * perChunk);
        const params = chunkParams[c];
        const [sx, sy] = softmaxGroups(count);
        passes.push(
          {
            name: 'QKᵀ',
            pipeline: scores,
            bindGroup: bindGroup(ctx, scores, `naive QKᵀ set ${si} chunk ${c}`, [params, set.q, set.k, io.kvLens, s, io.docBounds]),
            workgroups: [Math.ceil(p.seqLenK / 16), Math.ceil(p.seqLenQ / 16), count],
          },
          {
            name: 'softmax',
            pipeline: softmax,
            bindGroup: bindGroup(ctx, softmax, `naive softmax chunk ${c}`, [params, s]),
            workgroups: [sx, sy, 1],
          },
          {
            name: 'PV',
            pipeline: pv,
            bindGroup: bindGroup(ctx, pv, `naive PV set ${si} chunk ${c}`, [params, s, set.v, io.out]),
            workgroups: [Math.ceil(p.headDim / 64), Math.ceil(p.seqLenQ / 4), count],
          },
        );
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
