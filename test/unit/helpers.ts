/** Shared builders for the engine and CLI unit tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttentionProblem } from '../../kernels/problem';
import type { KernelResult } from '../../kernels/runner';
import { summarize } from '../../kernels/stats';
import type { MemoryEvent } from '../../kernels/allocator';
import { EXPORTER, ProfileReport, REPORT_SCHEMA, REPORT_VERSION, Workload } from '../../extension/report/schema';
import { specJson } from '../../extension/engine/reportWire';

/** A valid small problem (B=1, Hq=Hkv=1, N=4, D=64, f32, no masks) with the given fields replaced. */
export function problem(over: Partial<AttentionProblem>): AttentionProblem {
  return {
    batch: 1,
    heads: 1,
    kvHeads: 1,
    seqLenQ: 4,
    seqLenK: 4,
    headDim: 64,
    dtype: 'f32',
    causal: false,
    window: 0,
    softcap: 0,
    ...over,
  };
}

/**
 * A kernel result as the runner produces it: `iterations` timed iterations, each made of the given passes
 * (durations in ms) run back to back, iterations `gapMs` apart.
 */
export function kernelResult(
  kernel: string,
  passMs: [string, number][],
  over: Partial<KernelResult> = {},
  iterationCount = 3,
  gapMs = 0.5,
): KernelResult {
  const iterationMs = passMs.reduce((a, [, ms]) => a + ms, 0);
  const iterations = Array.from({ length: iterationCount }, (_, i) => {
    const startMs = i * (iterationMs + gapMs);
    let t = startMs;
    const passes = passMs.map(([name, ms]) => {
      const pass = { name, startMs: t, durationMs: ms };
      t += ms;
      return pass;
    });
    return { startMs, durationMs: iterationMs, passes };
  });
  const samples = iterations.map((it) => it.durationMs);
  const flops = 4 * 2 * 8 * 256 * 256 * 64;
  const median = iterationMs;
  return {
    kernel,
    status: 'ok',
    notes: [],
    timings: { ...summarize(samples), source: 'gpu-timestamps' },
    wallTimings: summarize(samples.map((s) => s + 0.05)),
    passes: passMs.map(([name, ms]) => ({ name, perIteration: 1, ...summarize(samples.map(() => ms)) })),
    iterations,
    flops,
    tflops: flops / (median * 1e-3) / 1e12,
    bytesMoved: 1_048_576,
    gbps: 1_048_576 / (median * 1e-3) / 1e9,
    peakBytes: 3 * 1024 * 1024,
    analyticPeakBytes: 3 * 1024 * 1024,
    analyticBuffers: [{ label: 'Q, K, V', role: 'input', bytes: 3 * 1024 * 1024 }],
    maxRelError: 3.2e-7,
    checkedRows: 4096,
    tolerance: 2e-4,
    correct: true,
    ...over,
  };
}

export function memoryTrace(offsetMs = 0): MemoryEvent[] {
  const ev = (kind: 'alloc' | 'free', id: number, label: string, role: MemoryEvent['role'], bytes: number, timeMs: number, liveBytes: number, phase: string): MemoryEvent => ({
    kind, id, label, role, bytes, timeMs: timeMs + offsetMs, liveBytes, phase,
  });
  return [
    ev('alloc', 1, 'Q', 'input', 1024, 0, 1024, 'setup'),
    ev('alloc', 2, 'S', 'scores', 4096, 1.5, 5120, 'naive'),
    ev('free', 2, 'S', 'scores', 4096, 7.25, 1024, 'naive'),
    ev('free', 1, 'Q', 'input', 1024, 9, 0, 'teardown'),
  ];
}

export function workload(name: string, results: KernelResult[], p: AttentionProblem = problem({ batch: 2, heads: 8, kvHeads: 2, seqLenQ: 256, seqLenK: 256 })): Workload {
  return { name, spec: specJson(p), layers: [0, 1], results, memory: memoryTrace(), inputSets: 4 };
}

/** A realistic report: one workload with naive (3 passes) and flash (1 fused pass). */
export function sampleReport(workloads: Workload[] = [
  workload('shape', [
    kernelResult('naive', [['QKᵀ', 0.4], ['softmax', 0.2], ['PV', 0.4]]),
    kernelResult('flash', [['fused', 0.25]]),
  ]),
]): ProfileReport {
  const first = workloads[0];
  return {
    schema: REPORT_SCHEMA,
    version: REPORT_VERSION,
    exporter: EXPORTER,
    id: '2026-11-22T10-00-00-000Z-abc123',
    createdAt: '2026-11-22T10:00:00.000Z',
    title: 'B=2 Hq=8 Hkv=2 Nq=256 Nk=256 D=64 f32',
    source: { kind: 'shape' },
    units: { time: 'ms', memory: 'bytes', flops: 'FLOP', throughput: 'TFLOP/s', bandwidth: 'GB/s' },
    adapter: {
      vendor: 'nvidia',
      architecture: 'hopper',
      device: 'NVIDIA H100 80GB HBM3',
      description: 'NVIDIA H100 80GB HBM3',
      backend: 'vulkan',
      isFallback: false,
    },
    timestamps: { available: true, quantized: false },
    settings: { iterations: 3, warmup: 1, seed: 7, kernels: ['naive', 'flash'] },
    spec: first.spec,
    results: first.results,
    memory: first.memory,
    workloads,
  };
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(prefix = 'attnprof-test-'): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A .npy file as numpy's `np.save` writes it: magic, version, header length, the header dict, spaces and a
 * newline up to `total` bytes (numpy ≥ 1.23 pads the dict for growth and aligns to 64: 128 bytes for small
 * arrays; older writers align to 16), then the raw data. `major: 2` writes format 2.0 (4-byte header length).
 */
export function npyFile(dict: string, data: Uint8Array, { total = 128, major = 1 }: { total?: number; major?: 1 | 2 } = {}): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const headerLen = total - prefix;
  if (dict.length + 1 > headerLen) throw new Error('header does not fit');
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  out.set(Buffer.from(header, 'latin1'), prefix);
  out.set(data, total);
  return out;
}
