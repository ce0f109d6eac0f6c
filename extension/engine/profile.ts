/**
 * The engine: runs a profile request on one GPU context and returns a report. The CLI calls it in
 * process; the extension calls it through the worker process (worker.ts) so a GPU failure cannot
 * take the editor down.
 */
import { GpuContext, NoAdapterError, openGpu } from '../../kernels/device';
import type { AttentionProblem } from '../../kernels/problem';
import { runProblem, unrunResult, type KernelResult } from '../../kernels/runner';
import { TRAIN_KERNELS } from '../../kernels/backward';
import type { MemoryEvent } from '../../kernels/allocator';
import type { Ceilings } from '../../kernels/ceilings';
import { cachedCeilings } from './ceilings-cache';
import { planFirstRun, timeLeftText } from './estimate';
import type { ProfileReport, Workload, EngineInfo } from '../report/schema';
import { ceilingsJson, memoryJson, resultJson, specJson } from './reportWire';
import { reportEnvelope } from './envelope';
import { describeHello, discoverPython, noTorchReason, type PythonSession } from './pythonSession';
import type { ProfileRequest, WorkloadRequest } from '../protocol/worker';
import { runTorchKernels, skippedTorchResults } from './torchBridge';
import { shiftEvents } from './torchMemory';
import { isTorchKernel, type ProfileMode, type TorchDType } from '../protocol/python';

/**
 * Whether one of our WGSL kernels can run in this mode: in train mode only the kernels with a backward pass
 * (kernels/backward.ts) — any other reports so instead of a forward-only time that would look like a training step.
 */
export function wgslModeGap(kernel: string, mode: ProfileMode, _p?: AttentionProblem): string | undefined {
  if (mode === 'train' && !TRAIN_KERNELS.some((k) => k.name === kernel)) {
    return `${kernel}: no backward yet (train mode times forward + backward; run --mode fwd for this kernel).`;
  }
  return undefined;
}

export interface ProfileHooks {
  onProgress?: (message: string, fraction: number) => void;
  signal?: AbortSignal;
}

/** The WebGPU adapter is opened only when one of our kernels runs: a PyTorch-only profile needs no WebGPU adapter. */
export async function profile(request: ProfileRequest, hooks: ProfileHooks = {}, context?: GpuContext): Promise<ProfileReport> {
  const mode = request.mode ?? 'fwd';
  const needsGpu = request.kernels.some((k) => !isTorchKernel(k) && request.workloads.some((w) => !wgslModeGap(k, mode, w.problem)));
  let ctx = context;
  let noAdapter: string | undefined;
  if (!ctx && needsGpu) {
    try {
      ctx = await openGpu({ adapterName: request.adapterName });
    } catch (e) {
      // Without a WebGPU adapter the PyTorch rows can still run (a CUDA machine without a Vulkan loader).
      if (!(e instanceof NoAdapterError) || !request.kernels.some(isTorchKernel)) throw e;
      noAdapter = e.message;
    }
  }
  try {
    return await profileOn(ctx, request, hooks, noAdapter);
  } finally {
    if (ctx && !context) ctx.destroy();
  }
}

/**
 * Our kernels' dtype from the config's torch_dtype (`configDtype`): a 16-bit model runs our kernels in f16 where the
 * adapter has shader-f16 (WGSL has no bf16), else in f32. The workloads to run, and the words saying which (the
 * report's settings.dtypeChoice: a fact beside the shape, not a notice).
 */
export function configDtypeChoice(request: Pick<ProfileRequest, 'configDtype' | 'workloads'>, ctx: Pick<GpuContext, 'hasF16'> | undefined): { workloads: WorkloadRequest[]; note?: string } {
  const d = request.configDtype;
  if (!ctx || (d !== 'bf16' && d !== 'f16')) return { workloads: request.workloads };
  const name = d === 'bf16' ? 'bfloat16' : 'float16';
  if (!ctx.hasF16) return { workloads: request.workloads, note: `our kernels f32: the config's torch_dtype is ${name}, but this adapter has no shader-f16.` };
  return {
    workloads: request.workloads.map((w) => ({ ...w, problem: { ...w.problem, dtype: 'f16' as const } })),
    note: `our kernels f16: the config's torch_dtype is ${name} and this adapter has shader-f16 (--dtype f32, or the setting attnprof.dtype f32, keeps them f32).`,
  };
}

export async function profileOn(ctx: GpuContext | undefined, asked: ProfileRequest, hooks: ProfileHooks = {}, noAdapter?: string): Promise<ProfileReport> {
  const dtypeChoice = configDtypeChoice(asked, ctx);
  const request: ProfileRequest = { ...asked, workloads: dtypeChoice.workloads };
  const seed = request.seed ?? (Date.now() & 0x7fffffff);
  const mode: ProfileMode = request.mode ?? 'fwd';
  const wgslKernels = request.kernels.filter((k) => !isTorchKernel(k));
  const torchKernels = request.kernels.filter(isTorchKernel);

  const workloads: Workload[] = [];
  const limitSeconds = request.maxSeconds ?? DEFAULT_MAX_SECONDS;
  // The ceilings first (cached per adapter): they give every kernel's estimated time, hence the plan and the ETA.
  let ceilings: Ceilings | undefined;
  if (ctx && request.ceilings !== false) {
    hooks.onProgress?.('measuring the adapter\'s ceilings (once per adapter)', 0);
    try {
      ceilings = await cachedCeilings(ctx);
    } catch {
      ceilings = undefined; // the roofline then says "not measured"; the profile itself stands
    }
  }
  const plan = ceilings && ctx
    ? planFirstRun(request.workloads, request.kernels, ceilings, {
        iterations: request.iterations,
        warmup: request.warmup,
        maxSeconds: limitSeconds,
        software: ctx.adapter.isFallback,
        mode,
        autoSeqLen: request.autoSeqLen === true,
      })
    : { workloads: request.workloads, notes: [], estimates: [] };
  const prefixOf = (name: string) => (plan.workloads.length > 1 ? `${name} · ` : '');
  // Progress weighted by each kernel's estimated time; it moves with every warm-up and timed iteration.
  const estimateOf = (workload: string, kernel: string) => plan.estimates.find((e) => e.workload === workload && e.kernel === kernel)?.totalMs ?? 1;
  const iterationMsOf = (workload: string, kernel: string) => plan.estimates.find((e) => e.workload === workload && e.kernel === kernel)?.iterationMs;
  const totalEstimate = plan.workloads.reduce((s, w) => s + request.kernels.reduce((t, k) => t + estimateOf(w.name, k), 0), 0);
  let doneEstimate = 0;
  const started = Date.now();
  const lead = plan.notes.length ? `${plan.notes[0]} ` : '';
  let current = { workload: '', kernel: '', fraction: 0, message: '' };
  const finishCurrent = () => {
    if (current.kernel) doneEstimate += estimateOf(current.workload, current.kernel);
    current = { workload: '', kernel: '', fraction: 0, message: '' };
  };
  const tell = () => {
    const done = doneEstimate + (current.kernel ? estimateOf(current.workload, current.kernel) * current.fraction : 0);
    hooks.onProgress?.(`${lead}${prefixOf(current.workload)}${current.message} · ${timeLeftText(totalEstimate, done, Date.now() - started)}`, Math.min(0.99, done / totalEstimate));
  };
  const onMessage = (workload: string) => (message: string) => {
    // Messages start with the kernel's name ("naive: compiling and allocating", "torch:sdpa: …").
    const kernel = request.kernels.find((k) => message.startsWith(`${k}:`)) ?? current.kernel;
    if (kernel !== current.kernel || workload !== current.workload) {
      finishCurrent();
      current = { workload, kernel, fraction: 0, message };
    }
    current.message = message;
    tell();
  };
  let stepClock = { key: '', started: 0 };
  const onStep = (workload: string) => (kernel: string, done: number, total: number) => {
    if (kernel !== current.kernel || workload !== current.workload) return;
    if (stepClock.key !== `${workload}|${kernel}`) stepClock = { key: `${workload}|${kernel}`, started: Date.now() };
    // The time limit ends a kernel before its iterations when they are many: the fraction follows whichever is nearer.
    current.fraction = Math.min(1, Math.max(total > 0 ? done / total : 0, (Date.now() - stepClock.started) / (limitSeconds * 1000)));
    const warm = total - request.iterations;
    current.message = `${kernel}: ${done <= warm ? `warm-up ${done}/${warm}` : `iteration ${done - warm}/${request.iterations}`}`;
    tell();
  };

  let session: PythonSession | undefined;
  let torchEngine: EngineInfo | undefined;
  let noTorch: string | undefined;
  if (torchKernels.length) {
    hooks.onProgress?.('looking for a Python with PyTorch', 0);
    const found = await discoverPython(request.python ?? {});
    session = found.session;
    const tried = found.tried.map((t) => (t.hello ? describeHello(t.candidate, t.hello) : `${t.candidate.path} [${t.candidate.source}]: ${t.error ?? 'failed'}`));
    if (session) {
      const h = session.hello;
      torchEngine = { id: 'pytorch', label: `PyTorch ${h.torch} · ${deviceLabel(session)}`, python: session.describe(), tried, torch: h.torch, device: deviceLabel(session) };
    } else {
      noTorch = noTorchReason(found.tried);
      torchEngine = { id: 'pytorch', label: 'PyTorch (not found)', tried, torch: null };
    }
  }
  const torchDtype: TorchDType = request.torchDtype ?? request.workloads[0]?.problem.dtype ?? 'f32';
  try {
    for (const w of plan.workloads) {
      let results: KernelResult[] = [];
      let memory: MemoryEvent[] = [];
      let inputSets = 0;
      // Estimated before running: a kernel whose single iteration would pass the time limit is not started (the GPU
      // cannot be stopped mid-iteration), and one still running at the limit gives the device up (kernels/runner.ts).
      const overLimit = new Map<string, string>();
      for (const k of wgslKernels.filter((k) => !wgslModeGap(k, mode, w.problem))) {
        const why = ctx?.abandoned() ?? limitGap(k, iterationMsOf(w.name, k), limitSeconds);
        if (why) overLimit.set(k, why);
      }
      const runnable = wgslKernels.filter((k) => !wgslModeGap(k, mode, w.problem) && !overLimit.has(k));
      if (runnable.length && !ctx) {
        for (const k of runnable) {
          results.push({ ...unrunResult(k, 'failed', `${noAdapter ?? 'no WebGPU adapter'}; the PyTorch rows ran without it.`, w.problem, mode), engine: 'webgpu' });
        }
      } else if (runnable.length && ctx) {
        const run = await runProblem(ctx, w.problem, {
          kernels: runnable,
          mode,
          iterations: request.iterations,
          warmup: request.warmup,
          seed,
          maxSeconds: limitSeconds,
          iterationEstimatesMs: Object.fromEntries(runnable.map((k) => [k, iterationMsOf(w.name, k)]).filter(([, ms]) => ms !== undefined)),
          signal: hooks.signal,
          onProgress: onMessage(w.name),
          onStep: onStep(w.name),
        });
        results = run.results.map((r) => ({ ...r, engine: 'webgpu' as const }));
        memory = run.memory;
        inputSets = run.inputSets;
      }
      for (const k of wgslKernels) {
        const gap = wgslModeGap(k, mode, w.problem) ?? overLimit.get(k);
        if (gap) {
          results.push({ ...unrunResult(k, 'skipped', gap, w.problem, mode), engine: 'webgpu' });
          doneEstimate += estimateOf(w.name, k);
        }
      }
      if (torchKernels.length) {
        const opts = { dtype: torchDtype, mode };
        let torchResults: KernelResult[];
        if (!session || !session.alive) {
          torchResults = skippedTorchResults(torchKernels, w.problem, opts, noTorch ?? 'the Python process is gone (it failed on an earlier workload).');
        } else {
          torchResults = await runTorchKernels(session, w.problem, torchKernels, {
            ...opts,
            iterations: request.iterations,
            warmup: request.warmup,
            maxSeconds: request.maxSeconds ?? 30,
            graceSeconds: request.torchGraceSeconds,
            seed,
            signal: hooks.signal,
            onProgress: onMessage(w.name),
            // Each backend's one-call timeline after what ran before it, 1 ms apart, on this workload's clock.
            onMemory: (_kernel, events) => {
              const last = memory.at(-1);
              const idBase = memory.reduce((m, e) => Math.max(m, e.id), 0);
              memory = [...memory, ...shiftEvents(events, last ? last.timeMs + 1 : 0, idBase, last?.liveBytes ?? 0)];
            },
          });
        }
        results.push(...torchResults);
      }
      // Request order: the summary lists kernels as the user named them.
      results.sort((a, b) => request.kernels.indexOf(a.kernel) - request.kernels.indexOf(b.kernel));
      workloads.push({ name: w.name, spec: specJson(w.problem), layers: w.layers, results: results.map(resultJson), memory: memoryJson(memory), inputSets });
    }
  } finally {
    await session?.close();
  }
  finishCurrent();
  const stopped = ctx?.abandoned();
  const notes = [...plan.notes, ...(stopped ? [`${stopped}: what ran before it is measured; the WebGPU kernels after it were not run.`] : [])];
  hooks.onProgress?.(stopped ? `${lead}stopped at the time limit; writing what was measured` : `${lead}writing the report`, 1);
  const first = workloads[0];
  return {
    ...reportEnvelope({ title: request.title, source: request.source, ctx, withoutAdapter: 'WebGPU not used (PyTorch backends only)' }),
    settings: {
      iterations: request.iterations,
      warmup: request.warmup,
      seed,
      kernels: request.kernels,
      ...(mode !== 'fwd' ? { mode } : {}),
      ...(torchKernels.length ? { torchDtype } : {}),
      ...(dtypeChoice.note ? { dtypeChoice: dtypeChoice.note } : {}),
    },
    ...(wgslKernels.length || torchEngine ? { engines: [...(wgslKernels.length ? [webgpuEngine(ctx)] : []), ...(torchEngine ? [torchEngine] : [])] } : {}),
    spec: first.spec,
    results: first.results,
    memory: first.memory,
    workloads,
    ...(ceilings ? { ceilings: ceilingsJson(ceilings) } : {}),
    ...(notes.length ? { notes } : {}),
  };
}

/** The time limit per kernel when the request sets none (s): attnprof.maxSeconds' default. */
export const DEFAULT_MAX_SECONDS = 30;

/** Why a kernel is not started under the time limit: its estimated single iteration alone passes it. */
export function limitGap(kernel: string, iterationMs: number | undefined, maxSeconds: number): string | undefined {
  if (iterationMs === undefined || !(iterationMs > maxSeconds * 1000)) return undefined;
  const est = iterationMs >= 1000 ? `${(iterationMs / 1000).toPrecision(2)} s` : `${iterationMs.toPrecision(2)} ms`;
  return `one iteration of ${kernel} is estimated at ${est} on this adapter, over the time limit of ${maxSeconds} s per kernel, and a GPU iteration cannot be stopped once started: not run; raise --max-seconds / attnprof.maxSeconds or profile a shorter sequence.`;
}

function deviceLabel(session: PythonSession): string {
  const d = session.hello.device;
  if (d.kind === 'cuda' || d.kind === 'rocm') return d.name;
  if (d.kind === 'cpu') return `CPU (${d.name})`;
  return d.name || d.kind;
}

function webgpuEngine(ctx: GpuContext | undefined): EngineInfo {
  const a = ctx?.adapter;
  return { id: 'webgpu', label: a ? `WebGPU · ${a.description}${a.isFallback ? ' (software)' : ''}` : 'WebGPU (not used in this mode)' };
}
