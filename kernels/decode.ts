import decodeWgsl from './wgsl/flash_decode.wgsl';
import flashCombineWgsl from './wgsl/flash_combine.wgsl';
import { AnalyticBuffer, AttentionKernel, KernelPass, bindGroup, packParams, split2d, uniformBuffer } from './kernel';
import { AttentionProblem, ProblemError } from './problem';
import type { GpuContext } from './device';
import { PipelineCache, assembleShader, expandSections } from './shader';

/**
 * The key-parallel decode path shared by `flash` and `flash-mma`: taken when a KV head has at most
 * MAX_DECODE_ROWS query rows (GQA group × query length), as in token-by-token generation. Such a call is
 * bound by reading K and V once; the keys are split over enough workgroups to keep the memory system busy.
 */
export const MAX_DECODE_ROWS = 16;
/** Workgroups wanted in flight (the H200 has 132 SMs; a few resident workgroups each). */
const TARGET_WORKGROUPS = 1024;
const THREADS = 128;

export interface DecodePlan {
  rows: number;
  /** Keys per staged chunk. */
  chunk: number;
  splits: number;
  /** Keys per split (a multiple of the chunk); 0 when not split. */
  splitKeys: number;
  workgroupBytes: number;
}

function decodeBytes(rows: number, d: number, sk: number): number {
  return 4 * (rows * d + sk * (d + 4) + sk * d + rows * sk + rows * (THREADS / 16) + 3 * rows) + 8 * rows;
}

export function planDecode(p: AttentionProblem, ctx: GpuContext): DecodePlan | undefined {
  const rows = (p.heads / p.kvHeads) * p.seqLenQ;
  if (rows > MAX_DECODE_ROWS || p.headDim % 4 !== 0) return undefined;
  // flash_decode.wgsl reads bhsd rows and masks by the contiguous range only: the bshd layout and a 2-D
  // neighbourhood take the tiled path, which reads strides and the whole mask API.
  if (p.layout === 'bshd' || p.neighborhood) return undefined;
  const limit = ctx.adapter.limits.maxComputeWorkgroupStorageSize;
  const chunk = [32, 16, 8].find((sk) => decodeBytes(rows, p.headDim, sk) <= limit);
  if (!chunk) return undefined;
  const pairs = p.batch * p.kvHeads;
  let splits = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / pairs), Math.floor(p.seqLenK / (4 * chunk))));
  if (splits === 1) return { rows, chunk, splits: 1, splitKeys: 0, workgroupBytes: decodeBytes(rows, p.headDim, chunk) };
  const splitKeys = Math.ceil(Math.ceil(p.seqLenK / splits) / chunk) * chunk;
  splits = Math.ceil(p.seqLenK / splitKeys);
  return { rows, chunk, splits, splitKeys: splits > 1 ? splitKeys : 0, workgroupBytes: decodeBytes(rows, p.headDim, chunk) };
}

/** The split-K scratch (partial results and row statistics) of `splits` key splits; 16-byte stand-ins when not split. */
export function splitScratch(p: AttentionProblem, splits: number): AnalyticBuffer[] {
  const rows = p.batch * p.heads * p.seqLenQ;
  if (splits === 1) {
    // Unused by the un-split kernel but bound all the same: the smallest buffers WebGPU allows.
    return [
      { label: 'split partials (unused)', role: 'scratch', bytes: 16 },
      { label: 'split stats (unused)', role: 'scratch', bytes: 16 },
    ];
  }
  return [
    { label: `split partials (${splits} splits)`, role: 'scratch', bytes: splits * rows * p.headDim * 4 },
    { label: 'split stats (max, sum)', role: 'scratch', bytes: splits * rows * 8 },
  ];
}

/** The chunk loads of flash_decode.wgsl, unrolled: every load of an invocation is in flight before the first store. */
export function unrollDecode(body: string, chunk: number, d4: number): string {
  const loads = Math.ceil((chunk * d4) / THREADS);
  const range = Array.from({ length: loads }, (_, u) => u);
  return expandSections(body, {
    PREFETCH: range.flatMap((u) => [
      `  var kr${u} = chunkLoad(false, kvBase, t0, lid + ${u * THREADS}u);`,
      `  var vr${u} = chunkLoad(true, kvBase, t0, lid + ${u * THREADS}u);`,
    ]),
    STOREKV: range.map((u) => `    chunkStore(lid + ${u * THREADS}u, kr${u}, vr${u});`),
    NEXTKV: range.flatMap((u) => [
      `      kr${u} = chunkLoad(false, kvBase, t0, lid + ${u * THREADS}u);`,
      `      vr${u} = chunkLoad(true, kvBase, t0, lid + ${u * THREADS}u);`,
    ]),
  });
}

/**
 * The split-K combine pass (flash_combine.wgsl) shared by flash's split tiled kernel and the decode path: merges
 * each row's `splits` partial results and (max, sum) statistics into O.
 */
export async function combinePass(
  ctx: GpuContext,
  cache: PipelineCache,
  p: AttentionProblem,
  splits: number,
  buffers: { params: GPUBuffer; partial: GPUBuffer; stats: GPUBuffer; out: GPUBuffer },
): Promise<KernelPass> {
  const pipeline = await cache.get(
    `flash-combine:${p.dtype}:${p.headDim}:${splits}`,
    assembleShader(flashCombineWgsl, { dtype: p.dtype, consts: { HEAD_DIM: p.headDim, SPLITS: splits }, mask: false }),
    'flash combine',
  );
  const items = p.batch * p.heads * p.seqLenQ * (p.headDim / 4);
  const [cx, cy] = split2d(Math.ceil(items / 64), ctx.adapter.limits.maxComputeWorkgroupsPerDimension);
  const { params, partial, stats, out } = buffers;
  return { name: 'combine', pipeline, bindGroup: bindGroup(ctx, pipeline, 'flash combine', [params, partial, stats, out]), workgroups: [cx, cy, 1] };
}

/** The decode path as a kernel body, or undefined when the shape is not a decode shape. */
export function decodePath(p: AttentionProblem, ctx: GpuContext): Pick<AttentionKernel, 'check' | 'analyticScratch' | 'prepare'> | undefined {
  const plan = planDecode(p, ctx);
  if (!plan) return undefined;
  return {
    check(c) {
      if (plan.splits > c.adapter.limits.maxComputeWorkgroupsPerDimension || p.batch * p.kvHeads > c.adapter.limits.maxComputeWorkgroupsPerDimension) {
        throw new ProblemError('this decode shape needs more workgroups than the adapter dispatches per dimension.');
      }
    },
    analyticScratch: () => splitScratch(p, plan.splits),
    async prepare(c, alloc, cache, prob, io) {
      const pipeline = await cache.get(
        `decode:${prob.dtype}:${prob.headDim}:${plan.rows}:${plan.chunk}`,
        assembleShader(unrollDecode(decodeWgsl, plan.chunk, prob.headDim / 4), { dtype: prob.dtype, consts: { HEAD_DIM: prob.headDim, ROWS: plan.rows, SK: plan.chunk }, mask: true }),
        'decode',
      );
      const params = uniformBuffer(c, alloc, 'params', packParams(prob, 0, prob.batch * prob.heads, plan.splitKeys));
      const buffers = splitScratch(prob, plan.splits).map((b) => alloc.create(b.label, 'scratch', b.bytes, GPUBufferUsage.STORAGE));
      const combine =
        plan.splits > 1 ? await combinePass(c, cache, prob, plan.splits, { params, partial: buffers[0], stats: buffers[1], out: io.out }) : undefined;
      const passesBySet = io.sets.map((set, si) => {
        const main: KernelPass = {
          name: plan.splits > 1 ? 'partial' : 'decode',
          pipeline,
          bindGroup: bindGroup(c, pipeline, `decode set ${si}`, [params, set.q, set.k, set.v, io.kvLens, io.out, ...buffers, io.docBounds]),
          workgroups: [plan.splits, prob.batch * prob.kvHeads, 1],
        };
        return combine ? [main, combine] : [main];
      });
      const notes = [
        `decode path: ${plan.rows} query rows per KV head, ${plan.chunk}-key chunks, ${THREADS} threads per workgroup` +
          (plan.splits > 1 ? `; keys split ${plan.splits} ways (${plan.splitKeys} each), then combined.` : '.'),
      ];
      return { passesFor: (set: number) => passesBySet[set % passesBySet.length], notes };
    },
  };
}
