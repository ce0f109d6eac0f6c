/**
 * The channel to the PyTorch side (`dist/attnprof_torch.py`, started with the user's Python): JSON lines on stdio,
 * a request id on every message, stderr for logs only. One union per direction; the script's docstring says the
 * same. Pure types and checks (no process handling here: engine/torchBridge.ts, engine/pythonSession.ts).
 */
import type { Outcome } from './result';

/** PyTorch attention backends attnprof can time, as kernel ids `torch:NAME`. */
export const TORCH_BACKENDS = ['eager', 'sdpa-flash', 'sdpa-efficient', 'sdpa-cudnn', 'sdpa-math', 'flex', 'flash-attn', 'xformers', 'te'] as const;
export type TorchBackend = (typeof TORCH_BACKENDS)[number];

export const TORCH_PREFIX = 'torch:';
export const TORCH_KERNEL_IDS: readonly string[] = TORCH_BACKENDS.map((b) => `${TORCH_PREFIX}${b}`);

export const TORCH_BACKEND_TEXT: Record<TorchBackend, string> = {
  eager: 'matmul → softmax → matmul in PyTorch (the "eager"/default attention of model code)',
  'sdpa-flash': 'scaled_dot_product_attention, flash backend (PyTorch ≥ 2.0, CUDA)',
  'sdpa-efficient': 'scaled_dot_product_attention, memory-efficient backend (PyTorch ≥ 2.0, CUDA)',
  'sdpa-cudnn': 'scaled_dot_product_attention, cuDNN backend (PyTorch ≥ 2.3, CUDA)',
  'sdpa-math': 'scaled_dot_product_attention, math backend (PyTorch ≥ 2.0)',
  flex: 'FlexAttention, compiled once: mask as a block_mask, softcap as a score_mod (PyTorch ≥ 2.5)',
  'flash-attn': 'the flash_attn package (FlashAttention-2, or FA3 on Hopper when importable)',
  xformers: "xformers' memory_efficient_attention",
  te: "Transformer Engine's DotProductAttention",
};

export function isTorchKernel(id: string): boolean {
  return id.startsWith(TORCH_PREFIX);
}

export function torchBackendOf(id: string): TorchBackend | undefined {
  const name = id.slice(TORCH_PREFIX.length);
  return isTorchKernel(id) && (TORCH_BACKENDS as readonly string[]).includes(name) ? (name as TorchBackend) : undefined;
}

/** Element types of the PyTorch runs: bf16 is PyTorch's only (our WGSL kernels have f32 and f16). */
export type TorchDType = 'bf16' | 'f16' | 'f32';
export type ProfileMode = 'fwd' | 'train';

export interface TorchDevice {
  kind: 'cuda' | 'rocm' | 'mps' | 'cpu' | 'none';
  name: string;
  capability?: string;
  memoryBytes?: number;
  /** CUDA or HIP version. */
  runtime?: string;
  threads?: number;
}

/** The script's first line: what this Python has. */
export interface TorchHello {
  type: 'hello';
  id: 0;
  protocol: number;
  pid: number;
  python: string;
  executable: string;
  torch: string | null;
  torchError: string | null;
  device: TorchDevice;
  /** Optional packages and their versions (null: not importable). */
  packages: Record<string, string | null>;
  backends: Record<string, { available: boolean; reason?: string }>;
}

export interface TorchRunRequest {
  backends: TorchBackend[];
  shape: { batch: number; heads: number; kvHeads: number; seqLenQ: number; seqLenK: number; headDim: number };
  causal: boolean;
  window: number;
  softcap: number;
  /** Absent: 1/√D. */
  scale?: number;
  kvLens?: number[];
  /** The 2-D neighbourhood mask: grid width and radius (|Δrow| < radius and |Δcol| < radius). */
  neighborhood?: { radius: number; rows: number; cols: number };
  /** Packed documents (kernels/problem.ts docBounds): a [start, end) key range per query row, B·Nq pairs flat. */
  docBounds?: number[];
  dtype: 'bf16' | 'fp16' | 'fp32';
  mode: ProfileMode;
  iterations: number;
  warmup: number;
  warmupMs?: number;
  maxSeconds: number;
  seed: number;
  /** Flat row indices into [B, Hq, Nq] whose outputs come back for the float64 check. */
  checkRows: number[];
  /** Train mode: rows of dQ (flat [B, Hq, Nq]) and keys of dK/dV (flat [B, Hkv, Nk]) that come back for the check. */
  gradRows?: number[];
  gradKeys?: number[];
  device?: 'auto' | 'cpu' | 'cuda' | 'mps';
  profile?: boolean;
  /** Record one extra call under torch.cuda.memory._record_memory_history (CUDA, PyTorch ≥ 2.1). Default true. */
  memory?: boolean;
}

export type ToTorch =
  /** Time `request.backends` on one problem: progress, one `backend` per backend, then one `result`. */
  | { type: 'run'; id: number; request: TorchRunRequest }
  /** Stop run `id` between iterations; it ends with a `cancelled` error. */
  | { type: 'cancel'; id: number }
  /** Leave (closing stdin does the same). */
  | { type: 'exit' };

export interface TorchIterationTrace {
  startMs: number;
  durationMs: number;
  passes: { name: string; startMs: number; durationMs: number }[];
}

/**
 * One call's allocations from the caching allocator's history (the script's memory_trace): the blocks, and their
 * allocs and frees in the allocator's order, µs from the call's start (host clock: when the op was launched).
 */
export interface TorchMemoryTrace {
  /** `before`: live when the call began (inputs, dO, a materialised mask); `after`: still live when it ended. */
  blocks: { bytes: number; name?: string; role?: 'input' | 'output' | 'gradient'; before?: boolean; after?: boolean }[];
  events: { kind: 'alloc' | 'free'; block: number; us: number }[];
  endUs: number;
  /** Train mode: when the forward had returned (the backward starts). */
  forwardEndUs?: number;
}

export interface TorchBackendResult {
  backend: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  error?: string;
  notes: string[];
  timingSource?: 'cuda-events' | 'wall-clock';
  samplesMs?: number[];
  /** Kernel-level breakdown of a few profiled iterations (torch.profiler), separate from the timed ones. */
  iterations?: TorchIterationTrace[];
  /** Allocator peak while timing (inputs included); 0 where the device has no allocator statistics. */
  peakBytes?: number;
  baseBytes?: number;
  /** Output rows `checkRows` as little-endian float32, base64. */
  rows?: string;
  /** Train mode: dQ rows `gradRows`, dK and dV rows `gradKeys`, the same encoding. */
  grads?: { dq: string; dk: string; dv: string };
  copies?: number;
  /** The memory timeline of one extra call, where the allocator can record it (else a note says why not). */
  memory?: TorchMemoryTrace;
}

export type InputChecksums = { q: [number, number]; k: [number, number]; v: [number, number]; dO?: [number, number] };

export type FromTorch =
  | TorchHello
  /** What runs now. */
  | { type: 'progress'; id: number; message: string; backend?: string }
  /** Checksums [Σx, Σ|x|] (float64) of the float32 tensors generated from the seed, before the dtype cast (dO: train). */
  | { type: 'inputs'; id: number; checksums: InputChecksums }
  /** One backend finished (or was skipped, or failed). */
  | { type: 'backend'; id: number; result: TorchBackendResult }
  /** The run ended, or failed (`error.kind`). */
  | ({ type: 'result'; id: number } & Outcome<object, TorchErrorKind>);

export type TorchErrorKind = 'cancelled' | 'input' | 'internal' | 'protocol';

/** Parses one line from the script; undefined for anything that is not a well-formed message. */
export function parseFromTorch(line: string): FromTorch | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (typeof m.id !== 'number') return undefined;
  switch (m.type) {
    case 'hello':
      return typeof m.protocol === 'number' && typeof m.executable === 'string' && typeof m.backends === 'object' && m.backends !== null && typeof m.device === 'object' && m.device !== null
        ? (value as FromTorch)
        : undefined;
    case 'progress':
      return typeof m.message === 'string' ? (value as FromTorch) : undefined;
    case 'inputs':
      return typeof m.checksums === 'object' && m.checksums !== null ? (value as FromTorch) : undefined;
    case 'backend': {
      const r = m.result as Record<string, unknown> | null;
      return typeof r === 'object' && r !== null && typeof r.backend === 'string' && ['ok', 'skipped', 'failed'].includes(r.status as string) && Array.isArray(r.notes)
        ? (value as FromTorch)
        : undefined;
    }
    case 'result':
      return typeof m.ok === 'boolean' ? (value as FromTorch) : undefined;
    default:
      return undefined;
  }
}
