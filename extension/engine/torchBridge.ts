/**
 * PyTorch's attention backends as kernel results beside ours: asks the Python side (pythonSession.ts) to time them
 * on one problem, regenerates the same inputs here (kernels/random.ts; the script uses the same generator and the
 * checksums prove it), and checks each backend's sampled output rows against our float64 reference
 * (kernels/reference.ts) at the backend's dtype. Called from the engine (profile.ts), so the CLI and the
 * extension's worker share it.
 */
import { toHalfArray, fromHalfArray } from '../../kernels/f16';
import { attentionFlops, kvElements, qElements, type AttentionProblem } from '../../kernels/problem';
import { randomNormal } from '../../kernels/random';
import { maxRelativeError, referenceRows, sampleRows } from '../../kernels/reference';
import { referenceGradients, sampleGradients } from '../../kernels/reference-grad';
import { CancelledError, type KernelResult, type PassStats } from '../../kernels/runner';
import { summarize } from '../../kernels/stats';
import { formatMs } from '../../kernels/units';
import { PythonError, deviceText, type PythonSession } from './pythonSession';
import { memoryPeakText, torchMemoryEvents } from './torchMemory';
import type { MemoryEvent } from '../../kernels/allocator';
import { torchBackendOf, type InputChecksums, type ProfileMode, type TorchBackend, type TorchBackendResult, type TorchDType, type TorchRunRequest } from '../protocol/python';

/**
 * Max relative error allowed against the float64 reference, per dtype. bf16 keeps 8 mantissa bits to f16's 11, and
 * eager attention rounds the scores themselves to bf16 before the softmax (as model code does): ~1e-2 is normal there.
 */
export const TORCH_TOLERANCE: Record<TorchDType, number> = { f32: 2e-4, f16: 8e-3, bf16: 3e-2 };

/**
 * Train mode: the largest relative error of O, dQ, dK and dV, each against its own scale. Gradients go through
 * more rounded products than the output (dS, then dQ/dK sums over whole rows and columns): a looser bound.
 */
export const TORCH_TRAIN_TOLERANCE: Record<TorchDType, number> = { f32: 1e-3, f16: 2e-2, bf16: 5e-2 };

/** Float64 multiply-adds the gradient check may spend (keys are checked a whole head at a time). */
const GRAD_CHECK_BUDGET = 4e8;
/**
 * A key's dK/dV needs the backward of every query row of its GQA group: past this many multiply-adds for one
 * (batch, key/value head) (Qwen2-7B prefill at 4k: 4.5e10, a minute of float64 here) only dQ rows are checked.
 */
const KEY_CHECK_LIMIT = 4e9;

/** The gradients a train-mode check compares (see sampleGradients), without keys when one head's keys cost too much. */
export function gradientSample(p: AttentionProblem): { rows: Uint32Array; keys: Uint32Array; keysSkipped: boolean } {
  const g = sampleGradients(p, GRAD_CHECK_BUDGET);
  const perPair = (p.heads / p.kvHeads) * p.seqLenQ * 3 * p.seqLenK * p.headDim;
  return perPair > KEY_CHECK_LIMIT ? { rows: g.rows, keys: new Uint32Array(0), keysSkipped: true } : { ...g, keysSkipped: false };
}

/** FLOPs of forward + backward relative to the forward (flash-attn's convention: backward ≈ 2.5× forward). */
export const TRAIN_FLOP_FACTOR = 3.5;

export interface TorchRunOptions {
  dtype: TorchDType;
  mode: ProfileMode;
  iterations: number;
  warmup: number;
  maxSeconds: number;
  seed: number;
  checkBudget?: number;
  /** Extra time a backend may take beyond maxSeconds (start-up, compilation, warm-up, profiling). Default 300 s. */
  graceSeconds?: number;
  device?: TorchRunRequest['device'];
  profile?: boolean;
  /** Record one extra call's allocations (CUDA, PyTorch ≥ 2.1); default true. */
  memory?: boolean;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  /** A backend's memory timeline (torchMemory.ts: phase = the kernel id, time and live bytes from 0). */
  onMemory?: (kernel: string, events: MemoryEvent[]) => void;
}

export const elementBytesOf = (dtype: TorchDType): number => (dtype === 'f32' ? 4 : 2);

/** Round-to-nearest-even to bfloat16 and back, as PyTorch's float → bfloat16 cast does. */
export function roundToBf16(src: Float32Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) {
    const b = bits[i];
    if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) {
      outBits[i] = b | 0x400000; // NaN stays NaN
      continue;
    }
    outBits[i] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 0) & 0xffff0000;
  }
  return out;
}

function roundTo(dtype: TorchDType, a: Float32Array): Float32Array {
  if (dtype === 'bf16') return roundToBf16(a);
  if (dtype === 'f16') return fromHalfArray(toHalfArray(a));
  return a;
}

function checksum(a: Float32Array): [number, number] {
  let s = 0;
  let abs = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i];
    abs += Math.abs(a[i]);
  }
  return [s, abs];
}

/** Bytes that must move at least once: forward Q, K, V read and O written; training adds O, dO read and dQ, dK, dV written. */
export function torchBytesMoved(p: AttentionProblem, dtype: TorchDType, mode: ProfileMode): number {
  const q = qElements(p);
  const kv = kvElements(p);
  return (mode === 'train' ? 6 * q + 6 * kv : 2 * q + 2 * kv) * elementBytesOf(dtype);
}

export function torchFlops(p: AttentionProblem, mode: ProfileMode): number {
  return attentionFlops(p) * (mode === 'train' ? TRAIN_FLOP_FACTOR : 1);
}

function blankResult(kernel: string, p: AttentionProblem, o: Pick<TorchRunOptions, 'dtype' | 'mode'>): KernelResult {
  return {
    kernel,
    engine: 'pytorch',
    dtype: o.dtype,
    mode: o.mode,
    status: 'failed',
    notes: [],
    passes: [],
    iterations: [],
    flops: torchFlops(p, o.mode),
    tflops: 0,
    bytesMoved: torchBytesMoved(p, o.dtype, o.mode),
    gbps: 0,
    peakBytes: 0,
    analyticPeakBytes: 0,
    analyticBuffers: [],
    maxRelError: Number.NaN,
    checkedRows: 0,
    tolerance: o.mode === 'train' ? TORCH_TRAIN_TOLERANCE[o.dtype] : TORCH_TOLERANCE[o.dtype],
    correct: false,
  };
}

/** Every requested torch kernel skipped with the same reason (no Python, no PyTorch). */
export function skippedTorchResults(kernels: readonly string[], p: AttentionProblem, o: Pick<TorchRunOptions, 'dtype' | 'mode'>, reason: string): KernelResult[] {
  return kernels.map((k) => ({ ...blankResult(k, p, o), status: 'skipped' as const, error: reason }));
}

function decodeRows(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer, 0, Math.floor(copy.length / 4));
}

function passStats(traces: readonly { passes: { name: string; durationMs: number }[] }[]): PassStats[] {
  const byName = new Map<string, { ms: number[]; perIteration: number }>();
  for (const t of traces) {
    const sums = new Map<string, { ms: number; n: number }>();
    for (const pass of t.passes) {
      const s = sums.get(pass.name) ?? { ms: 0, n: 0 };
      s.ms += pass.durationMs;
      s.n++;
      sums.set(pass.name, s);
    }
    for (const [name, s] of sums) {
      const e = byName.get(name) ?? { ms: [], perIteration: s.n };
      e.ms.push(s.ms);
      byName.set(name, e);
    }
  }
  return [...byName].map(([name, s]) => ({ name, perIteration: s.perIteration, ...summarize(s.ms) }));
}

/** A per-call time this many times its kernels' GPU time is said to be launch-bound. */
const LAUNCH_BOUND_RATIO = 1.5;

/**
 * When PyTorch's timed calls (CUDA events around each call, one call after another from Python) take much longer than
 * their kernels' GPU time under torch.profiler, the GPU waited on the host between kernels: the sentence that says so,
 * else undefined. (The Qwen2-7B decode step on the H200: 76.5 µs per call, its two kernels 22.6 + 4.45 µs.)
 */
export function launchBoundNote(callMedianMs: number, traces: readonly { passes: readonly { durationMs: number }[] }[]): string | undefined {
  const kernels = traces.map((t) => t.passes.reduce((a, x) => a + x.durationMs, 0)).filter((ms) => ms > 0);
  if (!kernels.length || !(callMedianMs > 0)) return undefined;
  const gpuMs = summarize(kernels).medianMs;
  if (callMedianMs < LAUNCH_BOUND_RATIO * gpuMs) return undefined;
  return (
    `launch-bound: a timed call takes ${formatMs(callMedianMs)}, its kernels ${formatMs(gpuMs)} of GPU time under torch.profiler ` +
    `(${(callMedianMs / gpuMs).toFixed(1)}×) — the GPU waits on Python and the dispatcher between calls; CUDA graphs or torch.compile remove most of that, so compare kernel times too.`
  );
}

/**
 * Times `kernels` (ids `torch:NAME`) on `p` in the session's Python and returns one result per kernel, in order.
 * A backend that cannot express the problem is `skipped` with its reason; a Python that dies or runs past its
 * time limit fails the backend it was running and those after it, and the session is gone (the caller stops
 * using it). Cancellation throws CancelledError.
 */
export async function runTorchKernels(session: PythonSession, p: AttentionProblem, kernels: readonly string[], o: TorchRunOptions): Promise<KernelResult[]> {
  const results = new Map<string, KernelResult>();
  const backends: TorchBackend[] = [];
  for (const k of kernels) {
    const b = torchBackendOf(k);
    if (b) backends.push(b);
    else results.set(k, { ...blankResult(k, p, o), error: `unknown PyTorch backend '${k}'.` });
  }
  const rows = sampleRows(p, o.checkBudget);
  const grad = o.mode === 'train' ? gradientSample(p) : undefined;
  const request: TorchRunRequest = {
    backends,
    shape: { batch: p.batch, heads: p.heads, kvHeads: p.kvHeads, seqLenQ: p.seqLenQ, seqLenK: p.seqLenK, headDim: p.headDim },
    causal: p.causal,
    window: p.window,
    softcap: p.softcap,
    ...(p.scale !== undefined ? { scale: p.scale } : {}),
    ...(p.kvLens ? { kvLens: [...p.kvLens] } : {}),
    ...(p.neighborhood ? { neighborhood: { ...p.neighborhood } } : {}),
    ...(p.docBounds ? { docBounds: [...p.docBounds] } : {}),
    dtype: o.dtype === 'bf16' ? 'bf16' : o.dtype === 'f16' ? 'fp16' : 'fp32',
    mode: o.mode,
    iterations: o.iterations,
    warmup: o.warmup,
    maxSeconds: o.maxSeconds,
    seed: o.seed,
    checkRows: [...rows],
    ...(grad ? { gradRows: [...grad.rows], gradKeys: [...grad.keys] } : {}),
    device: o.device ?? 'auto',
    profile: o.profile ?? true,
    memory: o.memory ?? true,
  };
  const raw = new Map<string, TorchBackendResult>();
  let theirSums: InputChecksums | undefined;
  let failure: PythonError | undefined;
  try {
    await session.run(request, {
      signal: o.signal,
      backendTimeoutMs: 1000 * (o.maxSeconds + (o.graceSeconds ?? 300)),
      onProgress: (message, backend) => o.onProgress?.(backend ? `torch:${message}` : `PyTorch: ${message}`),
      onInputs: (sums) => (theirSums = sums),
      onBackend: (r) => raw.set(`torch:${r.backend}`, r),
    });
  } catch (e) {
    if (!(e instanceof PythonError)) throw e;
    if (e.kind === 'cancelled') throw new CancelledError('the run was cancelled.');
    failure = e;
  }

  // The same inputs here: generated from the same seed, rounded to the backend's dtype for the reference.
  const q0 = randomNormal(qElements(p), o.seed);
  const k0 = randomNormal(kvElements(p), o.seed + 1);
  const v0 = randomNormal(kvElements(p), o.seed + 2);
  const dO0 = grad ? randomNormal(qElements(p), o.seed + 3) : undefined;
  let inputsDiffer: string | undefined;
  if (theirSums) {
    const ours = { q: checksum(q0), k: checksum(k0), v: checksum(v0), ...(dO0 ? { dO: checksum(dO0) } : {}) };
    for (const name of Object.keys(ours) as (keyof typeof ours)[]) {
      const mine = ours[name];
      const theirs = theirSums[name];
      if (!mine) continue;
      if (!theirs || !(Math.abs(mine[0] - theirs[0]) <= 1e-9 * mine[1] + 1e-6)) inputsDiffer = `${name} sums to ${theirs?.[0]} in PyTorch but ${mine[0]} here`;
    }
  }
  const rounded = () => ({ q: roundTo(o.dtype, q0), k: roundTo(o.dtype, k0), v: roundTo(o.dtype, v0) });
  let inputs: ReturnType<typeof rounded> | undefined;
  let want: Float64Array | undefined;
  const reference = () => {
    inputs ??= rounded();
    return (want ??= referenceRows(p, inputs.q, inputs.k, inputs.v, rows));
  };
  let wantGrads: ReturnType<typeof referenceGradients> | undefined;
  const referenceGrads = () => {
    inputs ??= rounded();
    if (!grad || !dO0) throw new Error('internal: no gradient sample');
    return (wantGrads ??= referenceGradients(p, inputs.q, inputs.k, inputs.v, roundTo(o.dtype, dO0), grad.rows, grad.keys));
  };

  const device = `${session.hello.torch ? `PyTorch ${session.hello.torch}` : 'PyTorch'} · ${deviceText(session.hello)}`;
  for (const k of kernels) {
    if (results.has(k)) continue;
    const r = raw.get(k);
    const base = blankResult(k, p, o);
    if (!r) {
      results.set(k, { ...base, error: failure ? failure.message : 'the PyTorch side returned no result for it.' });
      continue;
    }
    if (r.status !== 'ok') {
      results.set(k, { ...base, status: r.status, error: r.status === 'skipped' ? (r.reason ?? 'skipped') : (r.error ?? 'failed'), notes: r.notes.map((n) => (/[.!?]$/.test(n) ? n : `${n}.`)) });
      continue;
    }
    const samples = (r.samplesMs ?? []).filter((x) => Number.isFinite(x) && x >= 0);
    if (samples.length === 0) {
      results.set(k, { ...base, error: 'no timed iteration came back.', notes: r.notes });
      continue;
    }
    const stats = summarize(samples);
    const traces = (r.iterations ?? []).filter((t) => Number.isFinite(t.durationMs) && t.durationMs >= 0);
    // Profiled iterations ran one per profiler session; lay them end to end for the flame chart and the trace.
    let at = 0;
    const iterations = traces.map((t) => {
      const it = { startMs: at, durationMs: t.durationMs, passes: t.passes.map((x) => ({ name: x.name, startMs: at + x.startMs, durationMs: x.durationMs })) };
      at += t.durationMs;
      return it;
    });
    // Sentences, so the summary's one-line join of a row's notes reads as such.
    const notes = [device, ...r.notes].map((n) => (/[.!?]$/.test(n) ? n : `${n}.`));
    if ((r.copies ?? 1) > 1) notes.push(`inputs rotated over ${r.copies} copies.`);
    if (traces.length) notes.push(`kernel breakdown: ${traces.length} iteration(s) under torch.profiler, timed separately from the ${samples.length} measured ones.`);
    // Only CUDA events time the calls on a GPU; a wall clock around each synchronised call is another matter.
    const launchBound = r.timingSource === 'cuda-events' ? launchBoundNote(stats.medianMs, traces) : undefined;
    if (launchBound) notes.push(launchBound);
    if (r.memory) {
      try {
        const events = torchMemoryEvents(r.memory, k, { scoreElements: p.batch * p.heads * p.seqLenQ * p.seqLenK, elementBytes: elementBytesOf(o.dtype) });
        notes.push(`memory timeline: one extra ${o.mode === 'train' ? 'training step' : 'call'} under torch.cuda.memory._record_memory_history, ${memoryPeakText(events)}.`);
        o.onMemory?.(k, events);
      } catch (e) {
        notes.push(`memory timeline dropped: ${(e as Error).message}`);
      }
    }
    const result: KernelResult = {
      ...base,
      status: 'ok',
      notes,
      timings: { ...stats, source: r.timingSource === 'cuda-events' ? 'cuda-events' : 'wall-clock' },
      passes: passStats(traces),
      iterations,
      tflops: base.flops / (stats.medianMs * 1e-3) / 1e12,
      gbps: base.bytesMoved / (stats.medianMs * 1e-3) / 1e9,
      peakBytes: r.peakBytes ?? 0,
    };
    if (inputsDiffer) {
      results.set(k, { ...result, status: 'failed', error: `the inputs PyTorch generated differ from attnprof's (${inputsDiffer}); its output cannot be checked.` });
      continue;
    }
    const got = r.rows ? decodeRows(r.rows) : new Float32Array(0);
    if (got.length !== rows.length * p.headDim) {
      results.set(k, { ...result, status: 'failed', error: `PyTorch returned ${got.length} output values for ${rows.length} rows of ${p.headDim}.` });
      continue;
    }
    o.onProgress?.(`${k}: checking against the float64 reference (${rows.length} rows${grad ? `, gradients of ${grad.rows.length} rows and ${grad.keys.length} keys` : ''})`);
    result.maxRelError = maxRelativeError(got, reference());
    result.checkedRows = rows.length;
    if (grad) {
      const g = r.grads;
      const want = referenceGrads();
      const parts: [string, string | undefined, Float64Array][] = [['dQ', g?.dq, want.dq], ...(grad.keysSkipped ? [] : ([['dK', g?.dk, want.dk], ['dV', g?.dv, want.dv]] as [string, string | undefined, Float64Array][]))];
      const errs: string[] = [`O ${result.maxRelError.toExponential(1)}`];
      for (const [name, b64, ref] of parts) {
        const values = b64 ? decodeRows(b64) : new Float32Array(0);
        if (values.length !== ref.length) {
          results.set(k, { ...result, status: 'failed', error: `PyTorch returned ${values.length} ${name} values, ${ref.length} expected.` });
          break;
        }
        const e = maxRelativeError(values, ref);
        errs.push(`${name} ${e.toExponential(1)}`);
        result.maxRelError = Number.isNaN(e) || Number.isNaN(result.maxRelError) ? Number.NaN : Math.max(result.maxRelError, e);
      }
      if (results.has(k)) continue;
      result.notes.push(
        `max relative error per tensor: ${errs.join(', ')} (gradients of ${grad.rows.length} dQ rows, ${grad.keysSkipped ? 'dK/dV not checked: one head\'s keys need the float64 backward of every row of its group, too slow at this size' : `${grad.keys.length} dK/dV keys`}).`,
      );
    }
    result.correct = result.maxRelError <= result.tolerance;
    results.set(k, result);
  }
  return kernels.map((k) => results.get(k) as KernelResult);
}
