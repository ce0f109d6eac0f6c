/**
 * The engine: runs a profile request on one GPU context and returns a report. The CLI calls it in
 * process; the extension calls it through the worker process (worker.ts) so a GPU failure cannot
 * take the editor down.
 */
import { GpuContext, openGpu } from '../../kernels/device';
import type { AttentionProblem } from '../../kernels/problem';
import { runProblem } from '../../kernels/runner';
import type { Ceilings } from '../../kernels/ceilings';
import { cachedCeilings } from './ceilings-cache';
import { EXPORTER, ProfileReport, REPORT_SCHEMA, REPORT_VERSION, Workload, specToJson } from '../report/schema';

export interface WorkloadRequest {
  name: string;
  problem: AttentionProblem;
  layers: number[];
}

export interface ProfileRequest {
  title: string;
  source: ProfileReport['source'];
  workloads: WorkloadRequest[];
  kernels: string[];
  iterations: number;
  warmup: number;
  seed?: number;
  adapterName?: string;
  maxSeconds?: number;
  /** Measure (or read cached) compute and bandwidth ceilings for the roofline. Default true. */
  ceilings?: boolean;
}

export interface ProfileHooks {
  onProgress?: (message: string, fraction: number) => void;
  signal?: AbortSignal;
}

export async function profile(request: ProfileRequest, hooks: ProfileHooks = {}, context?: GpuContext): Promise<ProfileReport> {
  const ctx = context ?? (await openGpu({ adapterName: request.adapterName }));
  try {
    return await profileOn(ctx, request, hooks);
  } finally {
    if (!context) ctx.destroy();
  }
}

export async function profileOn(ctx: GpuContext, request: ProfileRequest, hooks: ProfileHooks = {}): Promise<ProfileReport> {
  const seed = request.seed ?? (Date.now() & 0x7fffffff);
  const workloads: Workload[] = [];
  const total = request.workloads.length * request.kernels.length;
  let doneKernels = 0;
  for (const w of request.workloads) {
    const run = await runProblem(ctx, w.problem, {
      kernels: request.kernels,
      iterations: request.iterations,
      warmup: request.warmup,
      seed,
      maxSeconds: request.maxSeconds,
      signal: hooks.signal,
      onProgress: (message) => {
        if (message.includes('checking against')) doneKernels++;
        const prefix = request.workloads.length > 1 ? `${w.name} · ` : '';
        hooks.onProgress?.(`${prefix}${message}`, Math.min(1, doneKernels / total));
      },
    });
    workloads.push({
      name: w.name,
      spec: specToJson(w.problem),
      layers: w.layers,
      results: run.results,
      memory: run.memory,
      inputSets: run.inputSets,
    });
  }
  let ceilings: Ceilings | undefined;
  if (request.ceilings !== false) {
    hooks.onProgress?.('measuring the adapter\'s ceilings (once per adapter)', 1);
    try {
      ceilings = await cachedCeilings(ctx);
    } catch {
      ceilings = undefined; // the roofline then says "not measured"; the profile itself stands
    }
  }
  const first = workloads[0];
  return {
    schema: REPORT_SCHEMA,
    version: REPORT_VERSION,
    exporter: EXPORTER,
    id: `${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}`,
    createdAt: new Date().toISOString(),
    title: request.title,
    source: request.source,
    units: { time: 'ms', memory: 'bytes', flops: 'FLOP', throughput: 'TFLOP/s', bandwidth: 'GB/s' },
    adapter: {
      vendor: ctx.adapter.vendor,
      architecture: ctx.adapter.architecture,
      device: ctx.adapter.device,
      description: ctx.adapter.description,
      backend: ctx.adapter.backend,
      isFallback: ctx.adapter.isFallback,
    },
    timestamps: { available: ctx.hasTimestamps, quantized: ctx.timestampsQuantized },
    settings: { iterations: request.iterations, warmup: request.warmup, seed, kernels: request.kernels },
    spec: first.spec,
    results: first.results,
    memory: first.memory,
    workloads,
    ...(ceilings ? { ceilings } : {}),
  };
}
