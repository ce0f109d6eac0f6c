import { TrackedAllocator, MemoryEvent } from './allocator';
import { GpuContext, GpuError, checked } from './device';
import { toHalfArray, fromHalfArray } from './f16';
import { flashKernel } from './flash';
import { flashMmaEmulatedKernel, flashMmaKernel } from './flash_mma';
import type { AnalyticBuffer, AttentionKernel, KernelIo, KernelPass, PreparedKernel } from './kernel';
import { TRAIN_KERNELS, savedForBackwardBytes } from './backward';
import { naiveKernel } from './naive';
import {
  AttentionProblem,
  ProblemError,
  attentionFlops,
  elementBytes,
  kvElements,
  minimumBytes,
  qElements,
  validateProblem,
} from './problem';
import { randomNormal } from './random';
import { maxRelativeError, referenceRows, sampleRows } from './reference';
import { ReferenceGradients, referenceGradients, sampleGradients } from './reference-grad';
import { PipelineCache } from './shader';
import { describeWork, formatBytes, formatMs } from './units';
import { SETTLE_WINDOW_MS, WarmupPace, perPassIterations, stillSettling, summarize, TimingStats } from './stats';
import { toBhsd } from './layout';
import { rowStrides } from './kernel';
import { BlockWork, blockWork } from './sparsity';
import { KERNEL_NAMES } from './names';

export const KERNELS: readonly AttentionKernel[] = [naiveKernel, flashKernel, flashMmaKernel, flashMmaEmulatedKernel];
export { KERNEL_NAMES } from './names';

/** `fwd`: the attention forward alone; `train`: one training step — the forward that saves for the backward, then the backward. */
export type RunMode = 'fwd' | 'train';
export const RUN_MODES: readonly RunMode[] = ['fwd', 'train'];
/** flash-attn's convention: the backward costs 2.5× the forward's FLOPs. */
export const BACKWARD_FLOP_FACTOR = 2.5;

export function kernelByName(name: string): AttentionKernel {
  const kernel = KERNELS.find((k) => k.name === name);
  if (!kernel) throw new ProblemError(`unknown kernel '${name}'; available: ${KERNEL_NAMES.join(', ')}.`);
  return kernel;
}

export interface PassStats extends TimingStats {
  name: string;
  /** Training runs: the step the pass belongs to. */
  step?: 'forward' | 'backward';
  /** How many dispatches of this name one iteration has (naive chunks repeat passes). */
  perIteration: number;
}

/** One timed iteration as the GPU saw it, in ms relative to the first iteration's start. */
export interface IterationTrace {
  startMs: number;
  durationMs: number;
  /** Each pass from its start to the next pass's (the last to the next iteration's); empty in a timed iteration of several passes. */
  passes: { name: string; startMs: number; durationMs: number; step?: 'forward' | 'backward' }[];
  /** A per-pass iteration (a timestamp at every pass, ~2 µs each): the breakdown, not in the kernel's timings. */
  perPass?: true;
}

/** What a training run adds to a kernel's result. */
export interface TrainStats {
  /** Forward part of the step (first forward pass begin → last forward pass end), GPU timestamps. */
  forward?: TimingStats;
  /** Backward part of the step. */
  backward?: TimingStats;
  forwardFlops: number;
  /** BACKWARD_FLOP_FACTOR × the forward. */
  backwardFlops: number;
  /** What the forward keeps alive for the backward (naive: P and O; flash: O and the row statistics). */
  savedBytes: number;
  /** Max relative error of each tensor against the float64 reference. */
  errors: { o: number; dq: number; dk: number; dv: number };
  /** Keys whose dK and dV were checked (dQ uses `checkedRows`). */
  checkedKeys: number;
}

export interface KernelResult {
  kernel: string;
  /** `skipped`: the kernel cannot express this problem or mode (`error` says why); nothing ran. */
  status: 'ok' | 'failed' | 'skipped';
  /** Training runs of our kernels: forward/backward split, saved bytes, per-tensor errors. */
  train?: TrainStats;
  error?: string;
  /** Which engine ran it: our WGSL kernels through WebGPU (the default when absent), or PyTorch. */
  engine?: 'webgpu' | 'pytorch';
  /** The row's element type when it differs from the workload's (PyTorch rows: bf16, f16 or f32). */
  dtype?: string;
  /** fwd: forward only; train: forward + backward (FLOPs 3.5× forward). Absent: fwd. */
  mode?: 'fwd' | 'train';
  notes: string[];
  /** Kernel time per iteration: GPU timestamps (first pass begin → last pass end) when available. */
  timings?: TimingStats & { source: 'gpu-timestamps' | 'wall-clock' | 'cuda-events' };
  /** Host wall clock around submit → onSubmittedWorkDone, always measured as a cross-check. */
  wallTimings?: TimingStats;
  passes: PassStats[];
  iterations: IterationTrace[];
  flops: number;
  tflops: number;
  /**
   * The work this kernel does under the problem's masks, counted on the host from its tile sizes and skip rule:
   * visible share of S, tiles computed, FLOPs done vs dense (kernels/sparsity.ts). The roofline places the kernel
   * by `work.flopsDone`; `flops` stays flash-attn's convention (the visible area).
   */
  work?: BlockWork;
  bytesMoved: number;
  gbps: number;
  /**
   * Peak live GPU bytes of the kernel's working set while it ran (tracked allocator): inputs once, output, its own
   * scratch (S for naive), parameters. Comparable to `torch.cuda.max_memory_allocated` around one call.
   */
  peakBytes: number;
  /** The profiler's own bytes live meanwhile (rotating input copies, timestamp buffers): apart from the peak. */
  overheadBytes?: number;
  /** What the analytic model predicts for the same working set (computed from the shape). */
  analyticPeakBytes: number;
  analyticBuffers: AnalyticBuffer[];
  maxRelError: number;
  checkedRows: number;
  tolerance: number;
  correct: boolean;
}

export interface RunOptions {
  kernels: string[];
  iterations?: number;
  warmup?: number;
  /**
   * A real time limit per kernel (s) for its warm-up and timed iterations (compiling excluded; undefined: none).
   * Warm-up stops while it would leave no room for a timed iteration; timing stops before an iteration that could
   * pass the limit (one at least, a last warm-up counting as it when nothing else fits); and a GPU wait still
   * running at the limit (a runaway: an iteration the pace said would fit gets four times the slowest one seen) ends
   * the kernel with a failed row and gives the device up (`ctx.abandon`): the GPU cannot be interrupted, so the
   * kernels after it are not run and the caller should end the process.
   */
  maxSeconds?: number;
  /** Estimated ms of one iteration per kernel (the engine's cost model): the limit's guide before the first iteration. */
  iterationEstimatesMs?: Readonly<Record<string, number>>;
  /**
   * Keep warming up for at least this long (ms). GPUs raise their clocks only under sustained load: on
   * the H100 a short kernel timed straight after launch ran 5× slower than the same kernel 100 ms later.
   * Default 500 ms on a hardware adapter, 0 on a software one.
   */
  warmupMs?: number;
  seed?: number;
  /** The user's own tensors (`attnprof run`), in f32; random inputs otherwise. `dout` is dL/dO (training). */
  inputs?: { q: Float32Array; k: Float32Array; v: Float32Array; dout?: Float32Array };
  /** Default 'fwd'. */
  mode?: RunMode;
  /** Return the full output of the last kernel (for `attnprof run`). */
  keepOutput?: boolean;
  /** Rows of the output checked against the float64 reference. */
  checkBudget?: number;
  onProgress?: (message: string) => void;
  /** Every warm-up and timed iteration of a kernel: `done` of `total` (warm-up included), for a moving progress bar. */
  onStep?: (kernel: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface RunResult {
  results: KernelResult[];
  memory: MemoryEvent[];
  inputSets: number;
  output?: Float32Array;
  /** Training with `keepOutput`: the last kernel's gradients, shaped like Q, K and V. */
  gradients?: { dq: Float32Array; dk: Float32Array; dv: Float32Array };
}

export class CancelledError extends Error {
  override name = 'CancelledError';
}

/** A GPU wait still running when the kernel's time limit passed. */
export class TimeLimitError extends Error {
  override name = 'TimeLimitError';
}

/** Also the gradients' tolerance (measured on lavapipe: ~1e-6 in f32, ~4e-4 in f16, where storage rounding dominates). */
const TOLERANCE = { f32: 2e-4, f16: 8e-3 } as const;
/** Inputs smaller than this are copied so iterations rotate through them and no cache serves a repeat. */
const ROTATE_BELOW_BYTES = 128 * 1024 * 1024;
/**
 * Timestamps (measured on the H200, BENCHMARKS.md twenty-ninth session): every timestamp a pass writes costs about
 * 2.3 µs of GPU time (a trivial dispatch: 1.9 µs back to back, 6.6 µs with one stamp, 8.5 µs with a begin and an end
 * stamp). So an iteration is timed by one stamp, at its first pass's start, to the next iteration's (the last of a
 * submission to an end stamp), and a kernel of several passes gets its breakdown from separate per-pass iterations
 * (`IterationTrace.perPass`) with a stamp at each pass's start: the Qwen2-7B decode step (2 passes) measured 54.1 µs
 * that way against 61.4 µs with a begin and an end stamp per pass. A kernel of more passes than this is timed by wall clock.
 */
const MAX_TIMED_PASSES = 2048;
/**
 * Iterations shorter than this are submitted several at a time, back to back (each still timed on its own), so the
 * GPU is not left idle between them while the host reads the last one back: a GPU idle most of the time lowers its
 * clocks, and a short kernel then measured slower than under load (the decode step on the H200: 187.3 µs against
 * 97.3 µs back to back in the same run, 2026-11-30).
 * PyTorch's timing (CUDA events around queued launches) keeps its GPU busy the same way.
 */
const BATCH_TARGET_MS = 4;
/** The most iterations one submission holds. */
const MAX_BATCH = 64;
/** The longest a warm-up goes on while the iterations are still getting faster (stats.ts stillSettling). */
const SETTLE_BOUND_MS = 4000;

/** A query set holds at most this many timestamps. */
const MAX_STAMPS = 4096;

/** Why a kernel cannot take this problem (a layout or mask it does not read yet), or undefined. */
export function problemGap(kernel: Pick<AttentionKernel, 'name' | 'supports'>, p: AttentionProblem): string | undefined {
  if (p.layout === 'bshd' && !kernel.supports?.bshd) return `${kernel.name} reads only the bhsd layout so far (the forward of naive, flash and flash-mma reads bshd).`;
  if (p.neighborhood && !kernel.supports?.neighborhood) return `${kernel.name} has no 2-D neighbourhood mask yet (naive, flash and flash-mma have it, forward and backward).`;
  return undefined;
}

/** Checks every buffer against the adapter's limits before anything is allocated. */
export function checkFits(ctx: GpuContext, p: AttentionProblem, kernels: Pick<KernelUnit, 'name' | 'supports' | 'check' | 'unavailable'>[]): void {
  validateProblem(p);
  if (p.dtype === 'f16' && !ctx.hasF16) {
    throw new ProblemError(`this adapter (${ctx.adapter.description}) has no 'shader-f16'; use --dtype f32.`);
  }
  const maxBinding = Math.min(ctx.adapter.limits.maxStorageBufferBindingSize, ctx.adapter.limits.maxBufferSize);
  const tensors: [string, number][] = [
    ['Q and O', qElements(p) * elementBytes(p.dtype)],
    ['K and V', kvElements(p) * elementBytes(p.dtype)],
  ];
  for (const [name, bytes] of tensors) {
    if (bytes > maxBinding) {
      throw new ProblemError(
        `${name} are ${formatBytes(bytes)} each, over this adapter's largest storage binding (${formatBytes(maxBinding)}); use a smaller batch or sequence.`,
      );
    }
  }
  if (p.batch * p.heads > 65535 * 65535) throw new ProblemError('batch × heads is over what can be dispatched.');
  for (const k of kernels) if (!k.unavailable?.(ctx) && !problemGap(k, p)) k.check(ctx, p);
}

function inputSetCount(p: AttentionProblem, mode: RunMode): number {
  const bytes = ((mode === 'train' ? 2 : 1) * qElements(p) + 2 * kvElements(p)) * elementBytes(p.dtype);
  return bytes >= ROTATE_BELOW_BYTES ? 1 : Math.min(4, Math.ceil(ROTATE_BELOW_BYTES / Math.max(bytes, 1)));
}

/**
 * A kernel's time limit. `fits(n)`: whether n more iterations fit at the pace seen so far (the slowest iteration
 * observed; before the first, the engine's estimate). The caller keeps one iteration of margin for the GPU's jitter.
 * `wait`: a GPU wait gives up at the limit, or, for iterations the pace said would fit, once they have run four times
 * as long as the slowest pace seen: only a runaway iteration is cut, not one a busy machine slowed a little.
 */
function timeLimit(maxSeconds: number | undefined, started: number, estimateMs: number | undefined) {
  const deadline = maxSeconds !== undefined && Number.isFinite(maxSeconds) ? started + maxSeconds * 1000 : Infinity;
  const estimate = estimateMs !== undefined && Number.isFinite(estimateMs) && estimateMs > 0 ? estimateMs : 0;
  let slowestMs = 0;
  return {
    seconds: maxSeconds ?? Infinity,
    fits: (n: number) => deadline === Infinity || performance.now() + n * (slowestMs || estimate) <= deadline,
    observed: (ms: number) => {
      slowestMs = Math.max(slowestMs, ms);
    },
    async wait(work: Promise<unknown>, what: string, iterations = 1): Promise<void> {
      if (deadline === Infinity) {
        await work;
        return;
      }
      const giveUpAt = Math.max(deadline, slowestMs > 0 ? performance.now() + 4 * slowestMs * iterations : deadline);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const over = new Promise<'over'>((resolve) => {
        timer = setTimeout(() => resolve('over'), Math.max(0, giveUpAt - performance.now()));
      });
      const outcome = await Promise.race([work.then(() => 'done' as const), over]);
      clearTimeout(timer);
      if (outcome === 'over') {
        const pace = estimate ? ` (estimated ${(estimate / 1000).toPrecision(2)} s per iteration)` : '';
        throw new TimeLimitError(`stopped at the time limit (${maxSeconds} s) with ${what} still running on the GPU${pace}; raise the limit (--max-seconds, attnprof.maxSeconds) or profile a smaller shape.`);
      }
    },
  };
}

function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('the run was cancelled.');
}

export async function runProblem(ctx: GpuContext, p: AttentionProblem, options: RunOptions): Promise<RunResult> {
  const mode = options.mode ?? 'fwd';
  if (!RUN_MODES.includes(mode)) throw new ProblemError(`mode must be one of ${RUN_MODES.join(', ')}, got '${String(mode)}'.`);
  const units: KernelUnit[] = options.kernels.map((name) => {
    const forward = kernelByName(name);
    if (mode === 'fwd') return forward;
    // A kernel without a backward gets a 'skipped' row saying so, never a forward-only time in a training run.
    const train = TRAIN_KERNELS.find((k) => k.name === name);
    return train ?? { ...forward, unavailable: () => `${name} has no backward pass yet; train mode runs ${TRAIN_KERNELS.filter((k) => !k.internal).map((k) => k.name).join(', ')}.` };
  });
  checkFits(ctx, p, units);
  if (options.inputs) {
    const { q, k, v, dout } = options.inputs;
    if (q.length !== qElements(p) || k.length !== kvElements(p) || v.length !== kvElements(p) || (dout && dout.length !== qElements(p))) {
      throw new ProblemError('input tensors do not match the problem shape.');
    }
  }
  const { device } = ctx;
  // An error left over from an earlier run on this context (e.g. a kernel that failed to compile) must not be
  // blamed on this one.
  ctx.takeError();
  const alloc = new TrackedAllocator(device);
  const cache = new PipelineCache(device);
  const progress = options.onProgress ?? (() => {});
  const seed = options.seed ?? (Date.now() & 0x7fffffff);

  // Host inputs, as the GPU will see them (f16 rounding applied, so the reference uses the same values), in the
  // problem's layout; the reference reads them as bhsd.
  let hostQ = options.inputs?.q ?? randomNormal(qElements(p), seed);
  let hostK = options.inputs?.k ?? randomNormal(kvElements(p), seed + 1);
  let hostV = options.inputs?.v ?? randomNormal(kvElements(p), seed + 2);
  let hostDout = mode === 'train' ? (options.inputs?.dout ?? randomNormal(qElements(p), seed + 3)) : undefined;
  const upload = (a: Float32Array): ArrayBufferView => (p.dtype === 'f16' ? toHalfArray(a) : a);
  const uq = upload(hostQ);
  const uk = upload(hostK);
  const uv = upload(hostV);
  const udout = hostDout && upload(hostDout);
  if (p.dtype === 'f16') {
    hostQ = fromHalfArray(uq as Uint16Array);
    hostK = fromHalfArray(uk as Uint16Array);
    hostV = fromHalfArray(uv as Uint16Array);
    if (udout) hostDout = fromHalfArray(udout as Uint16Array);
  }

  const results: KernelResult[] = [];
  let output: Float32Array | undefined;
  let gradients: RunResult['gradients'];
  const sets = options.inputs ? 1 : inputSetCount(p, mode);
  try {
    alloc.phase = 'setup';
    const io = await checked(ctx, 'allocating inputs', (): KernelIo => {
      const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
      const make = (label: string, data: ArrayBufferView, role: 'input' | 'profiler' = 'input') => {
        const buffer = alloc.create(label, role, data.byteLength, storage);
        device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
        return buffer;
      };
      const inputSets = Array.from({ length: sets }, (_, s) => {
        // Set 0 is the kernel's input; the others exist only so iterations rotate past the caches: profiler overhead.
        const suffix = s > 0 ? ` (rotation copy ${s + 1})` : '';
        const role = s > 0 ? 'profiler' : 'input';
        const set = { q: make(`Q${suffix}`, uq, role), k: make(`K${suffix}`, uk, role), v: make(`V${suffix}`, uv, role) };
        if (!udout) return set;
        const dout = alloc.create(`dO${suffix}`, s > 0 ? 'profiler' : 'gradient', udout.byteLength, storage);
        device.queue.writeBuffer(dout, 0, udout.buffer, udout.byteOffset, udout.byteLength);
        return { ...set, dout };
      });
      const readable = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const out = alloc.create('O', 'output', qElements(p) * elementBytes(p.dtype), readable);
      const grads =
        mode === 'train'
          ? {
              dq: alloc.create('dQ', 'gradient', qElements(p) * elementBytes(p.dtype), readable),
              dk: alloc.create('dK', 'gradient', kvElements(p) * elementBytes(p.dtype), readable),
              dv: alloc.create('dV', 'gradient', kvElements(p) * elementBytes(p.dtype), readable),
            }
          : undefined;
      const lens = new Int32Array(Math.max(4, p.batch));
      if (p.kvLens) lens.set(p.kvLens);
      const kvLens = make('kv lengths', lens);
      const docBounds = make('document bounds', p.docBounds ?? new Int32Array(4));
      return { sets: inputSets, out, kvLens, docBounds, grads };
    });
    const rows = sampleRows(p, options.checkBudget);
    let want: Float64Array | undefined;
    const gradSample = mode === 'train' ? sampleGradients(p, options.checkBudget === undefined ? undefined : options.checkBudget * 4e5) : undefined;
    let wantGrads: ReferenceGradients | undefined;

    for (const kernel of units) {
      throwIfCancelled(options.signal);
      const busy = ctx.abandoned();
      const why = busy ? `not run: ${busy}.` : (kernel.unavailable?.(ctx) ?? problemGap(kernel, p));
      if (why) {
        results.push(unrunResult(kernel.name, 'skipped', why, p, mode));
        continue;
      }
      progress(`${kernel.name}: compiling and allocating`);
      alloc.phase = kernel.name;
      alloc.resetPeak();
      try {
        const r = await runKernel(ctx, alloc, cache, p, kernel, io, options, progress, mode);
        progress(`${kernel.name}: checking against the float64 reference (${rows.length} rows)`);
        // The read-back copy is not the kernel's memory: its own phase keeps it out of the kernel's peak.
        alloc.phase = `${kernel.name} · check`;
        const got = await readTensor(ctx, alloc, io.out, qElements(p), p.dtype);
        want ??= referenceRows(
          p,
          toBhsd(hostQ, p.layout, p.batch, p.heads, p.seqLenQ, p.headDim),
          toBhsd(hostK, p.layout, p.batch, p.kvHeads, p.seqLenK, p.headDim),
          toBhsd(hostV, p.layout, p.batch, p.kvHeads, p.seqLenK, p.headDim),
          rows,
        );
        const gotRows = new Float64Array(rows.length * p.headDim);
        const [sb, sh, sn] = rowStrides(p.layout, p.heads, p.seqLenQ);
        for (let r2 = 0; r2 < rows.length; r2++) {
          // rows are flat bhsd indices; the output is in the problem's layout.
          const i = rows[r2] % p.seqLenQ;
          const bh = (rows[r2] - i) / p.seqLenQ;
          const at = (Math.floor(bh / p.heads) * sb + (bh % p.heads) * sh + i * sn) * p.headDim;
          for (let c = 0; c < p.headDim; c++) gotRows[r2 * p.headDim + c] = got[at + c];
        }
        r.maxRelError = maxRelativeError(gotRows, want);
        r.checkedRows = rows.length;
        if (io.grads && gradSample && hostDout && r.train) {
          const dq = await readTensor(ctx, alloc, io.grads.dq, qElements(p), p.dtype);
          const dk = await readTensor(ctx, alloc, io.grads.dk, kvElements(p), p.dtype);
          const dv = await readTensor(ctx, alloc, io.grads.dv, kvElements(p), p.dtype);
          wantGrads ??= referenceGradients(p, hostQ, hostK, hostV, hostDout, gradSample.rows, gradSample.keys);
          // Each gradient relative to its own scale, floored at 1% of the largest one: window 1 makes dQ and dK
          // exactly zero (P = 1), and rounding noise must not count as an infinite relative error there.
          const largest = Math.max(...[wantGrads.dq, wantGrads.dk, wantGrads.dv].map(maxAbs));
          const gradError = (got: Float64Array, want: Float64Array) => maxRelativeError(got, want, 0.01 * largest);
          const errors = {
            o: r.maxRelError,
            dq: gradError(pick(dq, gradSample.rows, p.headDim), wantGrads.dq),
            dk: gradError(pick(dk, gradSample.keys, p.headDim), wantGrads.dk),
            dv: gradError(pick(dv, gradSample.keys, p.headDim), wantGrads.dv),
          };
          r.train.errors = errors;
          r.train.checkedKeys = gradSample.keys.length;
          r.maxRelError = Object.values(errors).some(Number.isNaN) ? Number.NaN : Math.max(...Object.values(errors));
          if (options.keepOutput) gradients = { dq, dk, dv };
          for (const g of [io.grads.dq, io.grads.dk, io.grads.dv]) device.queue.writeBuffer(g, 0, new Uint8Array(g.size));
        }
        r.correct = r.maxRelError <= r.tolerance;
        if (options.keepOutput) output = got;
        results.push(r);
        alloc.freePhase(kernel.name);
        alloc.freePhase(`${kernel.name} · check`);
        // Zero the output between kernels so a kernel that writes nothing cannot pass on another's result.
        device.queue.writeBuffer(io.out, 0, new Uint8Array(io.out.size));
      } catch (e) {
        if (e instanceof CancelledError || e instanceof ProblemError) throw e;
        const message = (e as Error).message;
        if (e instanceof TimeLimitError) {
          // The GPU still runs that iteration and nothing interrupts it: give the device up, run nothing more on it.
          results.push(unrunResult(kernel.name, 'failed', message, p, mode));
          ctx.abandon(`${kernel.name} was stopped at its time limit (${options.maxSeconds} s) with the GPU still running it`);
          continue;
        }
        results.push(unrunResult(kernel.name, 'failed', message, p, mode));
        ctx.takeError(); // the failure is reported in this result, not in the next kernel's
        alloc.freePhase(kernel.name);
        if (ctx.lost()) throw new GpuError(ctx.lost());
      }
    }
  } finally {
    alloc.phase = 'teardown';
    // An abandoned device keeps its buffers: the GPU may still be using them, and the process ends soon.
    if (!ctx.abandoned()) alloc.freeAll();
  }
  return { results, memory: alloc.events, inputSets: sets, output, ...(gradients ? { gradients } : {}) };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** The rows (or keys) `at` of a [rows, D] tensor, as float64. */
function pick(t: Float32Array, at: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(at.length * d);
  for (let r = 0; r < at.length; r++) for (let c = 0; c < d; c++) out[r * d + c] = t[at[r] * d + c];
  return out;
}

/** A forward kernel or a training kernel: what the runner needs of either. */
interface KernelUnit {
  name: string;
  operandDtype?: 'f16';
  /** Training kernels read the neighbourhood mask but not bshd yet: without `supports.bshd` they are skipped on bshd problems. */
  supports?: AttentionKernel['supports'];
  tileSchedule?: AttentionKernel['tileSchedule'];
  unavailable?(ctx: GpuContext): string | undefined;
  check(ctx: GpuContext, p: AttentionProblem): void;
  analyticScratch(ctx: GpuContext, p: AttentionProblem): AnalyticBuffer[];
  prepare(ctx: GpuContext, alloc: TrackedAllocator, cache: PipelineCache, p: AttentionProblem, io: KernelIo): Promise<PreparedKernel>;
}

/**
 * The row of a kernel that did not run (`failed` before or while running, or `skipped`: it cannot take this problem
 * or mode): the problem's work and nothing measured. The runner and the profile engine (extension/engine) use it.
 */
export function unrunResult(kernel: string, status: 'failed' | 'skipped', error: string, p: AttentionProblem, mode: RunMode): KernelResult {
  const known = KERNELS.find((k) => k.name === kernel);
  return {
    kernel,
    ...(mode === 'train' ? { mode } : {}),
    status,
    error,
    notes: [],
    passes: [],
    iterations: [],
    flops: attentionFlops(p) * (mode === 'train' ? 1 + BACKWARD_FLOP_FACTOR : 1),
    tflops: 0,
    bytesMoved: minimumBytes(p),
    gbps: 0,
    peakBytes: 0,
    analyticPeakBytes: 0,
    analyticBuffers: [],
    maxRelError: Number.NaN,
    checkedRows: 0,
    tolerance: known ? toleranceFor(known, p) : TOLERANCE[p.dtype],
    correct: false,
  };
}

/** The check's tolerance: the operand precision the kernel computes in (f16 on the matrix units), else the storage type. */
export function toleranceFor(kernel: Pick<AttentionKernel, 'operandDtype'>, p: AttentionProblem): number {
  return TOLERANCE[kernel.operandDtype ?? p.dtype];
}

async function runKernel(
  ctx: GpuContext,
  alloc: TrackedAllocator,
  cache: PipelineCache,
  p: AttentionProblem,
  kernel: KernelUnit,
  io: KernelIo,
  options: RunOptions,
  progress: (m: string) => void,
  mode: RunMode,
): Promise<KernelResult> {
  const { device } = ctx;
  const prepared = await kernel.prepare(ctx, alloc, cache, p, io);
  const passCount = prepared.passesFor(0).length;
  const useTimestamps = ctx.hasTimestamps && passCount <= MAX_TIMED_PASSES;
  // A submission: up to maxBatch timed iterations (a stamp each), then up to maxPerPass per-pass ones, and an end stamp.
  const maxBatch = useTimestamps ? Math.max(1, Math.min(MAX_BATCH, MAX_STAMPS - 1 - passCount)) : MAX_BATCH;
  const maxPerPass = passCount > 1 ? Math.min(perPassIterations(maxBatch, passCount) + 1, Math.floor((MAX_STAMPS - 1 - maxBatch) / passCount)) : 0;
  const stampsOf = (count: number, perPass: number): number => count + perPass * passCount + 1;
  const notes = [...prepared.notes];
  if (ctx.hasTimestamps && !useTimestamps) notes.push(`${passCount} passes per iteration: timed by wall clock only.`);
  let querySet: GPUQuerySet | undefined;
  let resolveBuffer: GPUBuffer | undefined;
  let readBuffer: GPUBuffer | undefined;
  if (useTimestamps) {
    const stamps = stampsOf(maxBatch, maxPerPass);
    querySet = device.createQuerySet({ label: `${kernel.name} timestamps`, type: 'timestamp', count: stamps });
    resolveBuffer = alloc.create('timestamps', 'profiler', 8 * stamps, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
    readBuffer = alloc.create('timestamps readback', 'profiler', 8 * stamps, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }

  // One submission: `count` timed iterations, each stamped at its first pass's start (stamp j), then `perPass` per-pass
  // iterations stamped at every pass's start (count + b·passCount + i), then one end stamp: every interval runs from a
  // stamp to the next, the GPU never waiting on the host between them.
  const encodeBatch = (batchPasses: KernelPass[][], count: number): GPUCommandBuffer => {
    const encoder = device.createCommandEncoder({ label: kernel.name });
    const perPass = batchPasses.length - count;
    const endAt = count + perPass * passCount;
    batchPasses.forEach((passes, j) => {
      passes.forEach((pass, i) => {
        const at = j < count ? (i === 0 ? j : undefined) : count + (j - count) * passCount + i;
        const last = j === batchPasses.length - 1 && i === passes.length - 1;
        const writes = querySet && (at !== undefined || last)
          ? { querySet, ...(at !== undefined ? { beginningOfPassWriteIndex: at } : {}), ...(last ? { endOfPassWriteIndex: endAt } : {}) }
          : undefined;
        const cp = encoder.beginComputePass({ label: pass.name, ...(writes ? { timestampWrites: writes } : {}) });
        cp.setPipeline(pass.pipeline);
        cp.setBindGroup(0, pass.bindGroup);
        cp.dispatchWorkgroups(...pass.workgroups);
        cp.end();
      });
    });
    if (querySet && resolveBuffer && readBuffer) {
      const stamps = endAt + 1;
      encoder.resolveQuerySet(querySet, 0, stamps, resolveBuffer, 0);
      encoder.copyBufferToBuffer(resolveBuffer, 0, readBuffer, 0, 8 * stamps);
    }
    return encoder.finish();
  };

  const iterations = Math.max(1, options.iterations ?? 20);
  const warmup = Math.max(0, options.warmup ?? 3);
  const wallMs: number[] = [];
  const gpuMs: number[] = [];
  const traces: IterationTrace[] = [];
  const passSamples = new Map<string, { ms: number[]; perIteration: number; step?: KernelPass['step'] }>();
  const stepMs = { forward: [] as number[], backward: [] as number[] };
  let firstNs: bigint | undefined;
  const started = performance.now();
  const limit = timeLimit(options.maxSeconds, started, options.iterationEstimatesMs?.[kernel.name]);

  const warmupMs = options.warmupMs ?? (ctx.adapter.isFallback ? 0 : 500);
  // With a warm-up on the clock, it lasts at least one settling window and goes on (within SETTLE_BOUND_MS) while the
  // iterations are still getting faster (stats.ts stillSettling): each warm-up submission's GPU time per iteration.
  const warmPace: WarmupPace[] = [];
  const paceSpanMs = () => (warmPace.length > 1 ? warmPace[warmPace.length - 1].atMs - warmPace[0].atMs : 0);
  // Whether the warm-up went on past warmupMs because the iterations were still getting faster (the report says so).
  let settleExtended = false;
  let warmIterations = 0;
  let warmupCut = false;
  // Iterations per submission: one until an iteration has been seen, then as many as fill BATCH_TARGET_MS.
  let batch = 1;
  let submitted = 0;
  let widestTimed = 1;
  let perPassDone = 0;
  const perPassMs: number[] = [];
  // A trace's passes into the per-pass statistics (and a training step's forward and backward parts).
  const addPassSample = (trace: IterationTrace): void => {
    const perName = new Map<string, { ms: number; count: number; step?: KernelPass['step'] }>();
    for (const x of trace.passes) {
      const seen = perName.get(x.name);
      perName.set(x.name, { ms: (seen?.ms ?? 0) + x.durationMs, count: (seen?.count ?? 0) + 1, ...(x.step ? { step: x.step } : {}) });
    }
    for (const [name, { ms, count, step }] of perName) {
      const entry = passSamples.get(name) ?? { ms: [], perIteration: count, ...(step ? { step } : {}) };
      entry.ms.push(ms);
      passSamples.set(name, entry);
    }
    for (const step of ['forward', 'backward'] as const) {
      const of = trace.passes.filter((x) => x.step === step);
      if (of.length) stepMs[step].push(Math.max(...of.map((x) => x.startMs + x.durationMs)) - of[0].startMs);
    }
  };
  for (let it = -warmup; it < iterations; ) {
    throwIfCancelled(options.signal);
    // Extend the warm-up (bounded) until the GPU has been busy for warmupMs, and then while its iterations are still
    // getting faster, as long as a timed iteration still fits after it.
    if (it === 0 && limit.fits(3)) {
      const warmedMs = performance.now() - started;
      const busy = warmedMs < warmupMs;
      const bounded = warmupMs > 0 && warmedMs < SETTLE_BOUND_MS;
      // stillSettling needs a submission a window back: until there is one, the warm-up goes on.
      const firstWindow = bounded && paceSpanMs() < SETTLE_WINDOW_MS;
      const faster = bounded && !firstWindow && stillSettling(warmPace);
      if (busy || firstWindow || faster) it = -batch;
      if (!busy && faster) settleExtended = true;
    }
    // Under a time limit, warm-up stops where one more would leave no room for a timed iteration (and a margin).
    if (it < 0 && !limit.fits(3)) {
      warmupCut = warmIterations < warmup;
      it = 0;
    }
    if (it >= 1 && !limit.fits(2)) {
      notes.push(`stopped after ${it} iteration${it === 1 ? '' : 's'}: the next could pass the time limit (${limit.seconds} s).`);
      break;
    }
    // A submission holds only warm-ups or only timed iterations, and no more than the time limit leaves room for.
    let count = Math.min(batch, it < 0 ? -it : iterations - it);
    while (count > 1 && !limit.fits(count + 1)) count--;
    // Timed submissions of a kernel with several passes end with per-pass iterations, about one for every
    // PASS_TIMING_EVERY timed ones (stats.ts; the first submission has one), where the time limit leaves room for them.
    let perPass = it >= 0 && useTimestamps ? Math.min(maxPerPass, perPassIterations(it + count, passCount) - perPassDone) : 0;
    while (perPass > 0 && !limit.fits(count + perPass + 1)) perPass--;
    if (it < 0) warmIterations += count;
    options.onStep?.(kernel.name, warmIterations + Math.max(it, 0), warmIterations + iterations);
    const batchPasses = Array.from({ length: count + perPass }, (_, j) => prepared.passesFor(submitted + j));
    submitted += count + perPass;
    const commands = await checked(ctx, `${kernel.name}: encoding`, () => encodeBatch(batchPasses, count));
    const t0 = performance.now();
    device.queue.submit([commands]);
    const what = it < 0 ? 'a warm-up iteration' : it === 0 ? 'its first timed iteration' : count > 1 ? `timed iterations ${it + 1}–${it + count}` : `timed iteration ${it + 1}`;
    await limit.wait(device.queue.onSubmittedWorkDone(), what, count + perPass);
    const t1 = performance.now();
    const perIterationMs = (t1 - t0) / (count + perPass);
    limit.observed(perIterationMs);
    const failure = ctx.lost() ?? ctx.takeError();
    if (failure) throw new GpuError(failure);
    let stamps: BigUint64Array | undefined;
    if (readBuffer) {
      await readBuffer.mapAsync(GPUMapMode.READ);
      stamps = new BigUint64Array(readBuffer.getMappedRange().slice(0));
      readBuffer.unmap();
    }
    // The GPU time of one iteration (wall clock without timestamps) sizes the next submission.
    const gpuIterationMs = stamps ? Number(stamps[count] - stamps[0]) / 1e6 / count : perIterationMs;
    batch = Math.max(1, Math.min(maxBatch, Math.floor(BATCH_TARGET_MS / Math.max(gpuIterationMs, 1e-3))));
    let first = 0;
    if (it < 0) {
      warmPace.push({ atMs: t1, perIterationMs: gpuIterationMs });
      it += count;
      // A warm-up after which no timed iteration fits is the one timed iteration: a measurement rather than none.
      if (limit.fits(2)) continue;
      warmIterations--;
      it = 0;
      first = count - 1;
      notes.push(`timed 1 iteration without warm-up: one iteration takes about ${perIterationMs.toFixed(0)} ms, the time limit is ${limit.seconds} s.`);
    }
    // Wall time per timed iteration: the submission's, shared evenly by its iterations.
    for (let j = first; j < count; j++) wallMs.push(perIterationMs);
    if (stamps) {
      // Some drivers report a stamp before the one it follows for very short passes: such an interval counts 0.
      const ms = (from: number, to: number): number => (stamps[to] >= stamps[from] ? Number(stamps[to] - stamps[from]) / 1e6 : 0);
      firstNs ??= stamps[first];
      const startOf = (at: number): number => Number(stamps[at] - (firstNs ?? stamps[at])) / 1e6;
      const passTrace = (pass: KernelPass, at: number) => ({ name: pass.name, startMs: startOf(at), durationMs: ms(at, at + 1), ...(pass.step ? { step: pass.step } : {}) });
      // A timed iteration: its stamp to the next. With one pass, that pass is the iteration.
      for (let j = first; j < count; j++) {
        const trace: IterationTrace = { startMs: startOf(j), durationMs: ms(j, j + 1), passes: passCount === 1 ? [passTrace(batchPasses[j][0], j)] : [] };
        gpuMs.push(trace.durationMs);
        traces.push(trace);
        if (passCount === 1) addPassSample(trace);
      }
      // A per-pass iteration: each pass from its stamp to the next.
      for (let b = 0; b < perPass; b++) {
        const at = count + b * passCount;
        const trace: IterationTrace = { startMs: startOf(at), durationMs: ms(at, at + passCount), passes: batchPasses[count + b].map((pass, i) => passTrace(pass, at + i)), perPass: true };
        perPassMs.push(trace.durationMs);
        traces.push(trace);
        addPassSample(trace);
      }
    }
    perPassDone += perPass;
    widestTimed = Math.max(widestTimed, count - first);
    const before = it;
    it += count - first;
    if (Math.floor(it / 5) > Math.floor(before / 5) || it === iterations) progress(`${kernel.name}: iteration ${it}/${iterations}`);
  }
  if (warmupCut) notes.push(`warm-up: ${warmIterations} of ${warmup} iterations (the time limit, ${limit.seconds} s, left no room for more).`);
  else if (warmIterations > warmup) {
    notes.push(
      settleExtended
        ? `warm-up: ${warmIterations} iterations over ${(paceSpanMs() / 1000).toFixed(1)} s: past ${warmupMs} ms the iterations were still getting faster ` +
            `(${formatMs(warmPace[0].perIterationMs)} at first, ${formatMs(warmPace[warmPace.length - 1].perIterationMs)} at the end; a GPU can take a while to settle on new buffers).`
        : `warm-up: ${warmIterations} iterations (≥ ${warmupMs} ms of GPU load before timing).`,
    );
  }
  if (widestTimed > 1) {
    notes.push(`timed up to ${widestTimed} iterations per submission, back to back (each under ${BATCH_TARGET_MS} ms: a GPU left idle between them lowers its clocks).`);
  }
  if (perPassMs.length && gpuMs.length) {
    const each = summarize(perPassMs).medianMs;
    const timed = summarize(gpuMs).medianMs;
    notes.push(
      `${passCount} passes: each timed iteration has one GPU timestamp (at its first pass); the passes come from ${perPassMs.length} more iteration${perPassMs.length === 1 ? '' : 's'} ` +
        `timed with a timestamp at every pass (their median ${formatMs(each)}, the timed iterations' ${formatMs(timed)}; a timestamp costs about 2 µs of GPU time on an H200).`,
    );
  } else if (passCount > 1 && gpuMs.length) {
    notes.push(`${passCount} passes: the time limit left no room for the iterations that time each pass.`);
  }
  const peakBytes = alloc.workingPeakBytes;
  const overheadBytes = alloc.overheadPeakBytes;
  // The check reads the last iteration's output: every input set holds the same values (set 0's, which the reference
  // uses), and O (and in training dQ, dK, dV) are written whole by each iteration.

  if (querySet) querySet.destroy();
  if (resolveBuffer) alloc.free(resolveBuffer);
  if (readBuffer) alloc.free(readBuffer);


  const wall = summarize(wallMs);
  const timings = gpuMs.length ? { ...summarize(gpuMs), source: 'gpu-timestamps' as const } : { ...wall, source: 'wall-clock' as const };
  const forwardFlops = attentionFlops(p);
  const train = mode === 'train';
  const flops = forwardFlops * (train ? 1 + BACKWARD_FLOP_FACTOR : 1);
  // Training also reads dO and O and writes dQ, dK, dV at least once.
  const bytesMoved = minimumBytes(p) + (train ? (3 * qElements(p) + 2 * kvElements(p)) * elementBytes(p.dtype) : 0);
  const work = blockWork(p, kernel.tileSchedule?.(ctx, p));
  if (work.visibleFraction < 1) notes.push(describeWork(work));
  const scratch = kernel.analyticScratch(ctx, p);
  const qBytes = qElements(p) * elementBytes(p.dtype);
  const kvBytes = kvElements(p) * elementBytes(p.dtype);
  const harnessBytes = io.kvLens.size + io.docBounds.size + paramsBytes(alloc.events, kernel.name);
  // The working set only: rotation copies and timestamp buffers are the profiler's (overheadBytes), not the kernel's.
  const analyticBuffers: AnalyticBuffer[] = [
    { label: 'Q, K, V', role: 'input', bytes: (qElements(p) + 2 * kvElements(p)) * elementBytes(p.dtype) },
    ...(train ? [{ label: 'dO', role: 'gradient' as const, bytes: qBytes }] : []),
    { label: 'O', role: 'output', bytes: qBytes },
    ...(train ? [{ label: 'dQ, dK, dV', role: 'gradient' as const, bytes: qBytes + 2 * kvBytes }] : []),
    ...scratch,
    // The small buffers the kernel reads besides Q, K, V: per-dispatch parameters, key lengths, document bounds.
    { label: 'params, kv lengths, doc bounds', role: 'scratch', bytes: harnessBytes },
  ];
  const trainStats: TrainStats | undefined = train
    ? {
        ...(stepMs.forward.length ? { forward: summarize(stepMs.forward) } : {}),
        ...(stepMs.backward.length ? { backward: summarize(stepMs.backward) } : {}),
        forwardFlops,
        backwardFlops: forwardFlops * BACKWARD_FLOP_FACTOR,
        savedBytes: savedForBackwardBytes(kernel.name, p),
        errors: { o: Number.NaN, dq: Number.NaN, dk: Number.NaN, dv: Number.NaN },
        checkedKeys: 0,
      }
    : undefined;
  return {
    kernel: kernel.name,
    ...(trainStats ? { mode, train: trainStats } : {}),
    status: 'ok',
    notes,
    timings,
    wallTimings: wall,
    passes: [...passSamples].map(([name, s]) => ({ name, perIteration: s.perIteration, ...(s.step ? { step: s.step } : {}), ...summarize(s.ms) })),
    iterations: traces,
    flops,
    tflops: flops / (timings.medianMs * 1e-3) / 1e12,
    work,
    bytesMoved,
    gbps: bytesMoved / (timings.medianMs * 1e-3) / 1e9,
    peakBytes,
    overheadBytes,
    analyticPeakBytes: analyticBuffers.reduce((a, b) => a + b.bytes, 0),
    analyticBuffers,
    maxRelError: Number.NaN,
    checkedRows: 0,
    tolerance: toleranceFor(kernel, p),
    correct: false,
  };
}

function paramsBytes(events: readonly MemoryEvent[], phase: string): number {
  return events.filter((e) => e.kind === 'alloc' && e.role === 'params' && e.phase === phase).reduce((a, e) => a + e.bytes, 0);
}

async function readTensor(ctx: GpuContext, alloc: TrackedAllocator, out: GPUBuffer, n: number, dtype: AttentionProblem['dtype']): Promise<Float32Array> {
  const { device } = ctx;
  const staging = alloc.create(`${out.label} readback`, 'profiler', out.size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  try {
    const encoder = device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(out, 0, staging, 0, out.size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    return dtype === 'f16' ? fromHalfArray(new Uint16Array(bytes, 0, n)) : new Float32Array(bytes, 0, n);
  } finally {
    alloc.free(staging);
  }
}
