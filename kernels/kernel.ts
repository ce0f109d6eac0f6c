import type { TrackedAllocator } from './allocator';
import type { GpuContext } from './device';
import type { AttentionProblem, Layout } from './problem';
import { effectiveScale } from './problem';
import type { PipelineCache } from './shader';
import type { TileSchedule } from './sparsity';

/** Q/K/V of one input set; several sets rotate between iterations so caches cannot serve a repeat. */
export interface InputSet {
  q: GPUBuffer;
  k: GPUBuffer;
  v: GPUBuffer;
  /** dL/dO (training only): the gradient arriving from the layer above. */
  dout?: GPUBuffer;
}

/** The backward's outputs (training only): dQ shaped like Q, dK and dV like K and V. */
export interface GradientIo {
  dq: GPUBuffer;
  dk: GPUBuffer;
  dv: GPUBuffer;
}

export interface KernelIo {
  sets: InputSet[];
  out: GPUBuffer;
  kvLens: GPUBuffer;
  /** [start, end) per (batch, query) for packed documents; a 16-byte dummy when the problem has none. */
  docBounds: GPUBuffer;
  /** Present in training runs. */
  grads?: GradientIo;
}

export interface KernelPass {
  /** Pass name as it appears in the flame chart: 'QKᵀ', 'softmax', 'PV', 'fused'. */
  name: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  /** In a training step: which pass of the step this dispatch belongs to (the flame chart nests them). */
  step?: 'forward' | 'backward';
}

export interface AnalyticBuffer {
  label: string;
  role: 'input' | 'output' | 'scores' | 'scratch' | 'saved' | 'gradient';
  bytes: number;
}

export interface PreparedKernel {
  passesFor(set: number): KernelPass[];
  /** What a user should know about how it ran (chunking, tile sizes). */
  notes: string[];
}

export interface AttentionKernel {
  name: string;
  description: string;
  /** Element type the products see when it differs from the storage type (f16 on the matrix units): sets the tolerance. */
  operandDtype?: 'f16';
  /** A build for tests only (the matrix stand-in): runnable by name, never listed to users. */
  internal?: boolean;
  /**
   * What the kernel reads beyond bhsd tensors and contiguous masks: the bshd layout (Params strides, qRow/kvRow) and
   * the 2-D neighbourhood (mask.wgsl's keyVisible/neighborVisible and tileVisible). A kernel that does not say so is
   * skipped, with the reason, on problems that need them.
   */
  supports?: { bshd?: boolean; neighborhood?: boolean };
  /** Why this adapter cannot run the kernel at all (missing features), or undefined: its row is then 'skipped'. */
  unavailable?(ctx: GpuContext): string | undefined;
  /** Adapter-specific fit check, before anything is allocated; throws ProblemError with one clear sentence. */
  check(ctx: GpuContext, p: AttentionProblem): void;
  /** Buffers the kernel itself needs beyond Q/K/V/O, as the analytic memory model predicts. */
  analyticScratch(ctx: GpuContext, p: AttentionProblem): AnalyticBuffer[];
  /**
   * How a fused kernel walks the score matrix (tile sizes, GQA packing, key splits) for this problem: the host
   * counts from it, with the kernel's own skip rule, the tiles and FLOPs it computes (kernels/sparsity.ts).
   * Absent for a kernel that computes every score (naive).
   */
  tileSchedule?(ctx: GpuContext, p: AttentionProblem): TileSchedule;
  prepare(
    ctx: GpuContext,
    alloc: TrackedAllocator,
    cache: PipelineCache,
    p: AttentionProblem,
    io: KernelIo,
  ): Promise<PreparedKernel>;
}

/** Packs the shared `Params` uniform (see wgsl/params.wgsl; 24 × 4 bytes). */
export function packParams(p: AttentionProblem, bhOffset: number, bhCount: number, splitKeys = 0): ArrayBuffer {
  const buf = new ArrayBuffer(96);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u[0] = p.batch;
  u[1] = p.heads;
  u[2] = p.kvHeads;
  u[3] = p.seqLenQ;
  u[4] = p.seqLenK;
  u[5] = p.window;
  u[6] = p.causal ? 1 : 0;
  u[7] = p.kvLens ? 1 : 0;
  u[8] = bhOffset;
  u[9] = bhCount;
  f[10] = effectiveScale(p);
  f[11] = p.softcap;
  u[12] = splitKeys;
  u[13] = p.docBounds ? 1 : 0;
  u[14] = p.neighborhood?.radius ?? 0;
  u[15] = p.neighborhood?.cols ?? 0;
  u[16] = p.neighborhood?.rows ?? 0;
  const q = rowStrides(p.layout, p.heads, p.seqLenQ);
  const kv = rowStrides(p.layout, p.kvHeads, p.seqLenK);
  u.set([...q, ...kv], 17);
  return buf;
}

/** Where row (b, h, i) starts, in rows of D elements: strides (batch, head, position) of a [B, H, N, D] or [B, N, H, D] tensor. */
export function rowStrides(layout: Layout | undefined, heads: number, seqLen: number): [number, number, number] {
  return layout === 'bshd' ? [seqLen * heads, 1, heads] : [heads * seqLen, seqLen, 1];
}

export function uniformBuffer(ctx: GpuContext, alloc: TrackedAllocator, label: string, data: ArrayBuffer): GPUBuffer {
  const buffer = alloc.create(label, 'params', data.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  ctx.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

export function bindGroup(
  ctx: GpuContext,
  pipeline: GPUComputePipeline,
  label: string,
  buffers: GPUBuffer[],
): GPUBindGroup {
  return ctx.device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/** Splits a workgroup count over x and y when it exceeds the per-dimension limit. */
export function split2d(count: number, maxPerDim: number): [number, number] {
  if (count <= maxPerDim) return [Math.max(1, count), 1];
  return [maxPerDim, Math.ceil(count / maxPerDim)];
}
