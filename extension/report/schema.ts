/**
 * The report: the one versioned JSON document every view, export and the CLI share.
 * Times in ms, memory in bytes, FLOPs as counts (units are repeated in `units`).
 * Version 1. Readers must reject a larger major version with a clear message.
 *
 * A self-contained contract: this folder imports nothing from kernels/ or padding/ but the formatters
 * (kernels/units.ts, a leaf). measurements.ts and padding.ts declare the wire types; extension/engine/reportWire.ts
 * fills them from the engine's own types.
 */
import type { Ceilings, DType, KernelResult, MemoryEvent, ReportAdapter } from './measurements';
import type { PaddingAnalysis } from './padding';

export const REPORT_SCHEMA = 'attnprof.report';
export const REPORT_VERSION = 1;
export const EXPORTER = 'attnprof@0.1.0';

/** The attention problem a workload timed, with what the cost model derives from it (filled by engine/reportWire.ts). */
export interface SpecJson {
  batch: number;
  heads: number;
  kvHeads: number;
  seqLenQ: number;
  seqLenK: number;
  headDim: number;
  dtype: DType;
  causal: boolean;
  window: number;
  softcap: number;
  scale: number;
  kvLens?: number[];
  /** 2-D neighbourhood mask: the last rows·cols tokens form a patch grid, each sees keys within `radius`; absent when none. */
  neighborhood?: { radius: number; rows: number; cols: number };
  /** Memory layout timed, when not the default bhsd. */
  layout?: 'bshd';
  /** Packed documents (varlen): each batch row's document lengths, end to end from position 0; absent when none. */
  documents?: number[][];
  flops: number;
  visiblePairs: number;
  minimumBytes: number;
  scoreMatrixBytes: number;
}

export interface Workload {
  /** e.g. "shape", "Qwen2-7B layers 0–27", "Gemma-2 local layers". */
  name: string;
  spec: SpecJson;
  /** Model layer indices this workload stands for (one measurement applies to each). */
  layers: number[];
  results: KernelResult[];
  memory: MemoryEvent[];
  inputSets: number;
}

/** One engine whose rows a report holds, and what it ran on. */
export interface EngineInfo {
  id: 'webgpu' | 'pytorch';
  /** "WebGPU · NVIDIA H200 (vulkan)", "PyTorch 2.11.0 · CUDA 13.0 NVIDIA H200". */
  label: string;
  /** PyTorch: the interpreter used and the ones tried before it, each with what it had. */
  python?: string;
  tried?: string[];
  torch?: string | null;
  device?: string;
}

export interface ProfileReport {
  schema: typeof REPORT_SCHEMA;
  version: number;
  exporter: string;
  id: string;
  createdAt: string;
  title: string;
  source: { kind: 'shape' | 'config' | 'tensors'; file?: string; model?: string };
  units: { time: 'ms'; memory: 'bytes'; flops: 'FLOP'; throughput: 'TFLOP/s'; bandwidth: 'GB/s' };
  adapter: ReportAdapter;
  timestamps: { available: boolean; quantized: boolean };
  settings: {
    iterations: number;
    warmup: number;
    seed: number;
    kernels: string[];
    /** fwd (forward only) or train (forward + backward); absent: fwd. */
    mode?: 'fwd' | 'train';
    /** Element type of the PyTorch rows (bf16, f16, f32) when the report has any. */
    torchDtype?: string;
    /** Why our kernels ran their dtype when the config's torch_dtype chose it ("our kernels f16: the config's …"). */
    dtypeChoice?: string;
  };
  /** The engines that produced rows (absent in older reports: WebGPU only). */
  engines?: EngineInfo[];
  /** The first workload's spec, results and memory trace, at the top level for simple consumers. */
  spec: SpecJson;
  results: KernelResult[];
  memory: MemoryEvent[];
  workloads: Workload[];
  /** The adapter's measured ceilings for the roofline (absent when not measured). */
  ceilings?: Ceilings;
  /**
   * Padding efficiency of a lengths file for this model (the Padding tab; report/padding.ts documents every
   * field). Absent when no lengths were analysed. Additive, so the report version stays 1.
   */
  padding?: PaddingAnalysis;
  /**
   * What the engine changed or wants said before anyone reads the numbers ("software adapter: profiled at N = 256
   * (the config gives 4096); set attnprof.seqLen to change."). Additive.
   */
  notes?: string[];
}

export class ReportFormatError extends Error {
  override name = 'ReportFormatError';
}

/** Validates an untrusted report (a file, a webview message); throws ReportFormatError with the reason. */
export function parseReport(value: unknown): ProfileReport {
  const fail = (why: string): never => {
    throw new ReportFormatError(`not an attnprof report: ${why}`);
  };
  if (typeof value !== 'object' || value === null) fail('not a JSON object');
  const r = value as Record<string, unknown>;
  if (r.schema !== REPORT_SCHEMA) fail(`schema is ${JSON.stringify(r.schema)}, expected "${REPORT_SCHEMA}"`);
  if (typeof r.version !== 'number') fail('no version');
  if ((r.version as number) > REPORT_VERSION) {
    fail(`version ${r.version} is newer than this attnprof understands (${REPORT_VERSION}); update the extension`);
  }
  if (!Array.isArray(r.workloads) || !Array.isArray(r.results)) fail('no workloads/results');
  if (typeof r.adapter !== 'object' || r.adapter === null) fail('no adapter');
  for (const w of r.workloads as unknown[]) {
    const wl = w as Record<string, unknown>;
    if (typeof wl.name !== 'string' || !Array.isArray(wl.results) || !Array.isArray(wl.memory)) fail('a malformed workload');
    for (const k of wl.results as unknown[]) {
      const kr = k as Record<string, unknown>;
      if (typeof kr.kernel !== 'string' || !['ok', 'failed', 'skipped'].includes(kr.status as string)) fail('a malformed kernel result');
    }
  }
  if (r.padding !== undefined) {
    // The Padding tab reads these without further checks: refuse a section that is not shaped like one.
    const pad = r.padding as Record<string, unknown> | null;
    if (typeof pad !== 'object' || pad === null || !Array.isArray(pad.strategies)) fail('a malformed padding section');
    for (const s of (pad as { strategies: unknown[] }).strategies) {
      const st = s as Record<string, unknown> | null;
      if (
        typeof st !== 'object' || st === null || typeof st.name !== 'string' ||
        !['tokenEfficiency', 'attentionEfficiency', 'batches', 'paddedTokens'].every((k) => typeof st[k] === 'number')
      ) {
        fail('a malformed padding strategy');
      }
    }
  }
  return value as ProfileReport;
}
