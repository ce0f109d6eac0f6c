/**
 * What every training kernel shares (kernels/backward.ts: naive and flash; kernels/backward_mma.ts: flash-mma):
 * the training-kernel contract, the check that a run brought dO and gradient buffers, and the backward's
 * preprocessing pass D = rowsum(dO ⊙ O).
 */
import rowdotWgsl from './wgsl/attn_bwd_rowdot.wgsl';
import type { TrackedAllocator } from './allocator';
import type { GpuContext } from './device';
import { AnalyticBuffer, AttentionKernel, KernelIo, KernelPass, PreparedKernel, bindGroup, split2d } from './kernel';
import type { AttentionProblem } from './problem';
import { PipelineCache, assembleShader } from './shader';

export interface TrainKernel {
  name: string;
  description: string;
  /** Element type the products see when it differs from the storage type (f16 on the matrix units): sets the tolerance. */
  operandDtype?: 'f16';
  /** A build for tests only (the matrix stand-in): runnable by name, never listed to users. */
  internal?: boolean;
  /** The layouts and masks beyond the default that forward and backward both read (none read bshd yet). */
  supports?: AttentionKernel['supports'];
  /** Why this adapter cannot run the kernel at all (missing features), or undefined: its row is then 'skipped'. */
  unavailable?(ctx: GpuContext): string | undefined;
  /** Adapter-specific fit check before anything is allocated; throws ProblemError with one clear sentence. */
  check(ctx: GpuContext, p: AttentionProblem): void;
  /**
   * Buffers beyond Q, K, V, dO, O, dQ, dK, dV as the analytic model predicts them: what the forward saves for
   * the backward (role `saved`) and scratch.
   */
  analyticScratch(ctx: GpuContext, p: AttentionProblem): AnalyticBuffer[];
  prepare(ctx: GpuContext, alloc: TrackedAllocator, cache: PipelineCache, p: AttentionProblem, io: KernelIo): Promise<PreparedKernel>;
}

export function requireTraining(io: KernelIo): { dout: GPUBuffer[]; grads: NonNullable<KernelIo['grads']> } {
  const dout = io.sets.map((s) => s.dout);
  if (!io.grads || dout.some((d) => !d)) throw new Error('a training kernel needs dO and gradient buffers');
  return { dout: dout as GPUBuffer[], grads: io.grads };
}

export async function rowdotPipeline(cache: PipelineCache, p: AttentionProblem): Promise<GPUComputePipeline> {
  return cache.get(
    `bwd-rowdot:${p.dtype}:${p.headDim}`,
    assembleShader(rowdotWgsl, { dtype: p.dtype, consts: { HEAD_DIM: p.headDim }, mask: false }),
    'backward D = rowsum(dO⊙O)',
  );
}

export function rowdotPass(ctx: GpuContext, pipeline: GPUComputePipeline, p: AttentionProblem, params: GPUBuffer, o: GPUBuffer, dout: GPUBuffer, rowD: GPUBuffer, label: string): KernelPass {
  // 16 rows per workgroup of 64 invocations (four per row: attn_bwd_rowdot.wgsl).
  const [x, y] = split2d(Math.ceil((p.batch * p.heads * p.seqLenQ) / 16), ctx.adapter.limits.maxComputeWorkgroupsPerDimension);
  return {
    name: 'dO·O',
    step: 'backward',
    pipeline,
    bindGroup: bindGroup(ctx, pipeline, `backward rowdot ${label}`, [params, o, dout, rowD]),
    workgroups: [x, y, 1],
  };
}

export const rowDBuffer = (p: AttentionProblem): AnalyticBuffer => ({ label: 'D = rowsum(dO⊙O)', role: 'scratch', bytes: p.batch * p.heads * p.seqLenQ * 4 });
