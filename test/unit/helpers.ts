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

/**
 * The last argument of every call of `fn` in `code` (balanced parentheses; trimmed). For WGSL generated by the
 * kernels: which stride each call site passes to a matrix load or store.
 */
export function lastArgsOf(code: string, fn: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`\\b${fn}\\(`, 'g');
  for (let m = re.exec(code); m; m = re.exec(code)) {
    if (/fn\s+$/.test(code.slice(Math.max(0, m.index - 8), m.index))) continue; // the declaration
    let depth = 1;
    let lastComma = -1;
    let i = m.index + m[0].length;
    for (; i < code.length && depth > 0; i++) {
      if (code[i] === '(') depth++;
      else if (code[i] === ')') depth--;
      else if (code[i] === ',' && depth === 1) lastComma = i;
    }
    out.push(code.slice(lastComma + 1, i - 1).trim());
  }
  return out;
}

const WGSL_BYTES: Record<string, number> = { f16: 2, f32: 4, u32: 4, i32: 4, 'atomic<u32>': 4, 'atomic<i32>': 4, 'vec2<f32>': 8, 'vec2<u32>': 8, 'vec4<f32>': 16, 'vec4<f16>': 8 };

/**
 * The bytes of each `var<workgroup>` of an assembled shader, by name: array lengths evaluated from the shader's
 * module-scope `const NAME: u32 = …;` declarations (literals, products, sums, quotients and `select` of them).
 */
export function workgroupVariableBytes(code: string): Record<string, number> {
  const consts = new Map<string, number>();
  const evaluate = (expr: string): number => {
    const js = expr.replace(/\b(\d+)u\b/g, '$1').replace(/\b[A-Z_][A-Z0-9_]*\b/g, (name) => {
      const v = consts.get(name);
      if (v === undefined) throw new Error(`workgroupVariableBytes: unknown constant ${name} in ${expr}`);
      return String(v);
    });
    if (!/^[\d\s+*/()?:=<>,a-z]*$/.test(js)) throw new Error(`workgroupVariableBytes: cannot evaluate ${expr}`);
    const value = new Function('select', `return (${js});`)((f: number, t: number, c: boolean) => (c ? t : f)) as number;
    return Math.floor(value);
  };
  // Module-scope u32 constants in order: the assembler's literals first, then the kernel's own (`16u * NSG`).
  for (const m of code.matchAll(/^const (\w+): u32 = ([^;]+);/gm)) consts.set(m[1], evaluate(m[2]));
  const out: Record<string, number> = {};
  for (const m of code.matchAll(/var<workgroup>\s+(\w+)\s*:\s*([^;]+);/g)) {
    const type = m[2].trim();
    const arr = /^array<\s*(\w+(?:<\w+>)?)\s*,\s*(.+)>$/.exec(type);
    const elem = arr ? arr[1] : type;
    const size = WGSL_BYTES[elem];
    if (size === undefined) throw new Error(`workgroupVariableBytes: unknown type ${elem}`);
    out[m[1]] = size * (arr ? evaluate(arr[2]) : 1);
  }
  return out;
}
