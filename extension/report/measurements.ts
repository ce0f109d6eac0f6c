/**
 * What the engine measured, as the report carries it: kernel rows, their timings and per-iteration traces, the
 * memory trace, the adapter's ceilings. These are the report's own wire types: kernels/ has its internal
 * counterparts (runner.ts, allocator.ts, ceilings.ts) and extension/engine/reportWire.ts fills these from them,
 * with a compile-time check that both sides name the same fields. Nothing here imports kernels/: the webview
 * bundle holds the report contract, not the GPU code. Times in ms, memory in bytes, FLOPs as counts.
 */

/** Element type of Q, K, V and O. */
export type DType = 'f32' | 'f16';

/** Order statistics of timing samples (ms). */
export interface TimingStats {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  minMs: number;
  meanMs: number;
  samples: number[];
}

/** One named pass (dispatch) of a kernel over the timed iterations. */
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
  /** Each pass from its start to the next pass's; empty in a timed iteration of several passes (see perPass). */
  passes: { name: string; startMs: number; durationMs: number; step?: 'forward' | 'backward' }[];
  /** A per-pass iteration (a GPU timestamp at every pass, ~2 µs each): the pass breakdown, not in the kernel's timings. */
  perPass?: true;
}

/** What a training run adds to a kernel's row. */
export interface TrainStats {
  /** Forward part of the step (first forward pass begin → last forward pass end), GPU timestamps. */
  forward?: TimingStats;
  /** Backward part of the step. */
  backward?: TimingStats;
  forwardFlops: number;
  /** 2.5 × the forward (flash-attn's convention). */
  backwardFlops: number;
  /** What the forward keeps alive for the backward (naive: P and O; flash: O and the row statistics). */
  savedBytes: number;
  /** Max relative error of each tensor against the float64 reference. */
  errors: { o: number; dq: number; dk: number; dv: number };
  /** Keys whose dK and dV were checked (dQ uses `checkedRows`). */
  checkedKeys: number;
}

/** The work a fused kernel does under the problem's masks, counted on the host from its tile sizes. */
export interface BlockWork {
  /** Visible (query, key) pairs over every batch row and query head, all masks applied. */
  visiblePairs: number;
  /** B·Hq·Nq·Nk. */
  densePairs: number;
  /** visiblePairs / densePairs. */
  visibleFraction: number;
  /** (query tile, key tile) pairs the kernel computes, over every batch row and head. */
  tilesComputed: number;
  /** What a kernel without skipping computes: every query tile × ⌈Nk / keys⌉ key tiles. */
  tilesTotal: number;
  tileFraction: number;
  /** 4·D per (live query row, key) of every computed tile: QKᵀ and P·V as executed. */
  flopsDone: number;
  /** 4·B·Hq·Nq·Nk·D. */
  flopsDense: number;
  /** The tile the counts are in, e.g. "64×32" (query rows × keys); absent for a kernel that materialises S. */
  tile?: string;
}

/** One buffer of the analytic memory model of a kernel's working set. */
export interface AnalyticBuffer {
  label: string;
  role: 'input' | 'output' | 'scores' | 'scratch' | 'saved' | 'gradient';
  bytes: number;
}

/** One kernel's row: how it ran, how fast, how much memory, how close to the float64 reference. */
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
  /** The work under the masks (visible share, tiles, FLOPs done vs dense); the roofline places the kernel by `work.flopsDone`. */
  work?: BlockWork;
  bytesMoved: number;
  gbps: number;
  /** Peak live GPU bytes of the kernel's working set while it ran: inputs once, output, its own scratch, parameters. */
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

/**
 * `profiler`: buffers the profiler adds around the kernel (rotating input copies, timestamps, the check's read-back);
 * `staging` is what older reports called the timestamp and read-back buffers; `saved`: what a training forward keeps
 * for its backward; `gradient`: dO coming in and dQ, dK, dV going out.
 */
export type BufferRole = 'input' | 'output' | 'scores' | 'scratch' | 'staging' | 'params' | 'profiler' | 'saved' | 'gradient';

/** One GPU buffer allocated or freed. */
export interface MemoryEvent {
  kind: 'alloc' | 'free';
  id: number;
  label: string;
  role: BufferRole;
  bytes: number;
  /** ms since the allocator was created (host clock). */
  timeMs: number;
  /** Live GPU bytes after this event. */
  liveBytes: number;
  /** Kernel phase the event belongs to, e.g. 'flash' or 'setup'. */
  phase: string;
}

/** The adapter's measured ceilings for the roofline. */
export interface Ceilings {
  /** FP32 peak from register FMA chains: the roof. */
  computeTflops: number;
  /** What a 64×64-tiled WGSL f32 matmul attains on the same adapter (square, size in `matmulSize`). */
  matmulTflops?: number;
  matmulSize?: number;
  bandwidthGBps: number;
  measuredAt: string;
  method: string;
  /** Copy bandwidth per buffer size (bytes → GB/s), to show where caches stop helping. */
  bandwidthBySize?: { bytes: number; gbps: number }[];
}

/** A tensor-core shape the adapter offers to WGSL (`chromium-experimental-subgroup-matrix`). */
export interface SubgroupMatrixConfig {
  M: number;
  N: number;
  K: number;
  componentType: string;
  resultComponentType: string;
}

/** The adapter a report ran on (every field empty but `description` when none ran). */
export interface ReportAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: string;
  isFallback: boolean;
  subgroupMatrixConfigs?: SubgroupMatrixConfig[];
  /** How shader-f16 came about or why it is missing, when that is not simply the driver's default. */
  f16Note?: string;
  /** Whether Dawn's shader checks were compiled into our kernels (absent in reports from before the setting). */
  shaderChecks?: boolean;
}
