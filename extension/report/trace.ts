/**
 * Chrome Trace Event JSON (object form) from a report: opens as is in Perfetto and chrome://tracing.
 * `X` events for kernel iterations and their passes (GPU timestamps), `C` counters for live GPU bytes
 * (host clock), `M` metadata naming the tracks. `ts`/`dur` are in µs.
 */
import type { ProfileReport } from './schema';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'C' | 'M';
  ts?: number;
  dur?: number;
  pid: number;
  tid?: number;
  cat?: string;
  args?: Record<string, string | number | boolean>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string>;
}

const GPU_PID = 1;
const MEMORY_PID = 2;
/** PyTorch's rows (their kernels from torch.profiler) in a process of their own. */
const TORCH_PID = 3;
const GAP_US = 50;

export function toChromeTrace(report: ProfileReport): ChromeTrace {
  const events: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid: GPU_PID, args: { name: `GPU: ${report.adapter.description}` } },
    { name: 'process_sort_index', ph: 'M', pid: GPU_PID, args: { sort_index: 0 } },
    { name: 'process_name', ph: 'M', pid: MEMORY_PID, args: { name: 'GPU memory (tracked allocator, host clock)' } },
    { name: 'process_sort_index', ph: 'M', pid: MEMORY_PID, args: { sort_index: 1 } },
  ];
  const torch = report.workloads.some((w) => w.results.some((r) => r.engine === 'pytorch' && r.status === 'ok'));
  if (torch) {
    const label = report.engines?.find((e) => e.id === 'pytorch')?.label ?? 'PyTorch';
    events.push(
      { name: 'process_name', ph: 'M', pid: TORCH_PID, args: { name: `${label} (torch.profiler)` } },
      { name: 'process_sort_index', ph: 'M', pid: TORCH_PID, args: { sort_index: 2 } },
    );
  }
  let cursorUs = 0;
  report.workloads.forEach((w, wi) => {
    const tid = wi + 1;
    events.push({ name: 'thread_name', ph: 'M', pid: GPU_PID, tid, args: { name: w.name } });
    if (torch) events.push({ name: 'thread_name', ph: 'M', pid: TORCH_PID, tid, args: { name: w.name } });
    for (const r of w.results) {
      if (r.status !== 'ok' || r.iterations.length === 0) continue;
      const pid = r.engine === 'pytorch' ? TORCH_PID : GPU_PID;
      const base = cursorUs;
      let end = base;
      r.iterations.forEach((it, i) => {
        const ts = base + it.startMs * 1000;
        events.push({
          name: r.kernel,
          cat: 'kernel',
          ph: 'X',
          ts,
          dur: it.durationMs * 1000,
          pid,
          tid,
          // A per-pass iteration (the breakdown) has a timestamp at every pass, each adding to its duration.
          args: { iteration: i, workload: w.name, flops: r.flops, 'duration (µs)': it.durationMs * 1000, ...(it.perPass ? { 'per-pass timing': true } : {}) },
        });
        // A training step: its forward and backward as slices between the step and its passes.
        for (const step of ['forward', 'backward'] as const) {
          const of = it.passes.filter((x) => x.step === step);
          if (!of.length) continue;
          const end = Math.max(...of.map((x) => x.startMs + x.durationMs));
          events.push({
            name: step,
            cat: 'step',
            ph: 'X',
            ts: base + of[0].startMs * 1000,
            dur: (end - of[0].startMs) * 1000,
            pid,
            tid,
            args: { kernel: r.kernel, iteration: i },
          });
        }
        for (const pass of it.passes) {
          events.push({
            name: pass.name,
            cat: 'pass',
            ph: 'X',
            ts: base + pass.startMs * 1000,
            dur: pass.durationMs * 1000,
            pid,
            tid,
            args: { kernel: r.kernel, iteration: i },
          });
        }
        end = Math.max(end, ts + it.durationMs * 1000);
      });
      cursorUs = end + GAP_US;
    }
  });
  let memoryOffsetUs = 0;
  for (const w of report.workloads) {
    let last = 0;
    for (const m of w.memory) {
      const ts = memoryOffsetUs + m.timeMs * 1000;
      last = Math.max(last, ts);
      events.push({
        name: 'GPU bytes',
        ph: 'C',
        ts,
        pid: MEMORY_PID,
        tid: 0,
        args: { live: m.liveBytes },
      });
    }
    memoryOffsetUs = last + GAP_US;
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: {
      exporter: report.exporter,
      reportVersion: String(report.version),
      adapter: report.adapter.description,
      softwareAdapter: String(report.adapter.isFallback),
      timestampsQuantized: String(report.timestamps.quantized),
      createdAt: report.createdAt,
    },
  };
}

/** Structural check of a Chrome trace (used by tests and before writing one). */
export function validateChromeTrace(trace: ChromeTrace): string[] {
  const problems: string[] = [];
  if (!Array.isArray(trace.traceEvents)) return ['traceEvents is not an array'];
  trace.traceEvents.forEach((e, i) => {
    if (!['X', 'C', 'M'].includes(e.ph)) problems.push(`event ${i}: unknown phase ${e.ph}`);
    if (typeof e.pid !== 'number') problems.push(`event ${i}: no pid`);
    if (e.ph !== 'M' && !(typeof e.ts === 'number' && Number.isFinite(e.ts) && e.ts >= 0)) problems.push(`event ${i}: bad ts`);
    if (e.ph === 'X' && !(typeof e.dur === 'number' && e.dur >= 0)) problems.push(`event ${i}: bad dur`);
  });
  return problems;
}
