/**
 * The channel between the extension host and the profiling worker (a child process running
 * `dist/cli.js worker`, Node IPC with structured-clone serialization). One union per direction; the requests the
 * worker runs (ProfileRequest, PaddingRequest) are the engine's use cases as plain data (engine/profile.ts,
 * engine/padding.ts), so the CLI, the worker and the VS Code commands build the same objects.
 */
import type { ProfileReport } from '../report/schema';
import type { AdapterSummary } from '../../kernels/device';
import type { AttentionProblem } from '../../kernels/problem';
import type { LengthsFormat, PaddingAttention } from '../padding/types';
import type { ProfileMode, TorchDType } from './python';
import type { Outcome } from './result';

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
  /** fwd (default) or train (forward + backward with a random dO). */
  mode?: ProfileMode;
  /** Element type of the `torch:*` kernels; default the workloads' dtype. */
  torchDtype?: TorchDType;
  /**
   * The config's torch_dtype, when nothing chose our kernels' dtype (no --dtype; attnprof.dtype `auto`): bf16 or f16
   * runs our kernels f16 where the adapter has shader-f16 and f32 elsewhere, and the report says which.
   */
  configDtype?: TorchDType;
  /** Which Python runs the `torch:*` kernels (default: discovery, see pythonSession.ts). */
  python?: PythonChoice;
  /** Seconds a PyTorch backend may take beyond maxSeconds (start-up, compilation, profiling); default 300. */
  torchGraceSeconds?: number;
  /**
   * The sequence length came from the config, not from the user: the engine may profile a shorter one where the
   * full one would not finish in time (a software adapter, an estimate over maxSeconds), and says so.
   */
  autoSeqLen?: boolean;
}

export type PythonSource = '--python' | 'ATTNPROF_PYTHON' | 'attnprof.python' | 'Python extension' | 'PATH' | 'system';

export interface PythonCandidate {
  /** As given (a name looked up on PATH, or a path). */
  path: string;
  source: PythonSource;
}

/** What the caller knows about which Python to use. */
export interface PythonChoice {
  /** An explicit interpreter (--python, ATTNPROF_PYTHON or the attnprof.python setting): only this one is tried. */
  explicit?: PythonCandidate;
  /** The Python extension's active interpreter, tried first when nothing is explicit. */
  extensionInterpreter?: string;
}

/** One interpreter that Python discovery tried, for *Select Kernels…*. */
export interface PythonProbeSummary {
  path: string;
  source: string;
  /** "/usr/bin/python3 [system] (Python 3.11.2, PyTorch 1.13.0, CPU only (…))" or why it could not be used. */
  description: string;
  torch: string | null;
  /** Per backend (eager, sdpa-flash, …): available, or the sentence saying why not. */
  backends?: Record<string, { available: boolean; reason?: string }>;
}

/**
 * A padding analysis of a lengths file (issue 5), run in the worker because the file may hold millions of
 * lines and measuring needs the GPU. Without `measure` it is arithmetic only (no adapter is opened).
 */
export interface PaddingRequest {
  title: string;
  source: ProfileReport['source'];
  /** Absolute path of the lengths file; the worker streams it. */
  lengthsFile: string;
  /** How the user named the file (workspace-relative), shown in the report; defaults to `lengthsFile`. */
  lengthsLabel?: string;
  lengthsFormat?: LengthsFormat;
  /** Rows per batch; default 8. */
  batchSize?: number;
  /** L; default the longest length in the file. */
  maxLength?: number;
  causal: boolean;
  /** The model's attention (config or shape): memory per batch, and what is measured. */
  attention?: PaddingAttention;
  /** Time a sample of each strategy's batches through flash (needs `attention`). */
  measure?: { samples: number; iterations: number; warmup: number; seed?: number; adapterName?: string };
}

export type ToWorker =
  /** Run a profile; answered by progress messages, then one `result`. */
  | { type: 'profile'; id: number; request: ProfileRequest }
  /** Analyse padding of a lengths file; answered by progress messages, then one `result` whose report has `padding`. */
  | { type: 'padding'; id: number; request: PaddingRequest }
  /** List the adapters Dawn sees; answered by `adapters`. */
  | { type: 'adapters'; id: number }
  /** Try the Python candidates (what each has, which backends run); answered by `python`. */
  | { type: 'python'; id: number; choice: PythonChoice };

export type WorkerErrorKind = 'input' | 'gpu' | 'no-adapter' | 'internal';
export const WORKER_ERROR_KINDS: readonly WorkerErrorKind[] = ['input', 'gpu', 'no-adapter', 'internal'];

export type FromWorker =
  /** The worker is listening. */
  | { type: 'ready' }
  /** What runs now; fraction of kernels done in [0, 1]. */
  | { type: 'progress'; id: number; message: string; fraction: number }
  /** A profile (or padding analysis) finished with its report, or failed (`error.kind`: whose fault, so what to do). */
  | ({ type: 'result'; id: number } & Outcome<{ report: ProfileReport }, WorkerErrorKind>)
  /** Adapters found. */
  | { type: 'adapters'; id: number; adapters: AdapterSummary[] }
  /** Python candidates tried, in order. */
  | { type: 'python'; id: number; probes: PythonProbeSummary[] };

export function isFromWorker(value: unknown): value is FromWorker {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { type?: unknown }).type;
  return t === 'ready' || t === 'progress' || t === 'result' || t === 'adapters' || t === 'python';
}

export function isToWorker(value: unknown): value is ToWorker {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { type?: unknown; id?: unknown };
  if (typeof m.id !== 'number') return false;
  if (m.type === 'adapters') return true;
  if (m.type === 'python') return typeof (value as { choice?: unknown }).choice === 'object' && (value as { choice?: unknown }).choice !== null;
  if (m.type === 'profile') return typeof (value as { request?: unknown }).request === 'object';
  if (m.type === 'padding') return isPaddingRequest((value as { request?: unknown }).request);
  return false;
}

const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Shape check of a padding request (the worker trusts the host, but a malformed one is a clear error, not a crash). */
export function isPaddingRequest(v: unknown): v is PaddingRequest {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  if (typeof r.title !== 'string' || typeof r.lengthsFile !== 'string' || r.lengthsFile === '' || typeof r.causal !== 'boolean') return false;
  if (typeof r.source !== 'object' || r.source === null) return false;
  if (r.batchSize !== undefined && !isPositiveInt(r.batchSize)) return false;
  if (r.maxLength !== undefined && !isPositiveInt(r.maxLength)) return false;
  if (r.attention !== undefined) {
    const a = r.attention as Record<string, unknown> | null;
    if (typeof a !== 'object' || a === null || !['heads', 'kvHeads', 'headDim', 'dtypeBytes'].every((k) => isPositiveInt(a[k]))) return false;
    if (a.dtype !== 'f32' && a.dtype !== 'f16') return false;
  }
  if (r.measure !== undefined) {
    const m = r.measure as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null || !isPositiveInt(m.samples) || !isPositiveInt(m.iterations) || typeof m.warmup !== 'number') return false;
    if (r.attention === undefined) return false;
  }
  return true;
}
