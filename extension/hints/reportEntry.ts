/**
 * A finished report reduced to what a list row and a CodeLens show: which kernel won and how fast.
 * Only kernels that ran and matched the float64 reference compete: a fast wrong kernel is a bug, not a result.
 */
import type { KernelResult } from '../report/measurements';
import type { ProfileReport, Workload } from '../report/schema';
import { shortShape } from '../report/summary';
import { shortMs, shortRatio } from '../../kernels/units';

export interface KernelTime {
  kernel: string;
  medianMs: number;
  /** Set when the report has PyTorch rows: the row's dtype, said beside the time ("bf16"). */
  dtype?: string;
}

export interface WorkloadBest {
  name: string;
  /** Model layers this workload's one measurement stands for. */
  layerCount: number;
  best?: KernelTime;
  /** The fastest of our WGSL kernels, when a PyTorch backend is the fastest overall. */
  bestOurs?: KernelTime;
  naiveMs?: number;
  /** Kernels that failed or disagreed with the reference. */
  broken: string[];
}

export interface ReportEntry {
  id: string;
  title: string;
  createdAt: string;
  sourceKind: ProfileReport['source']['kind'];
  /** The config file profiled (a path, or a URI string for unsaved documents). */
  sourceFile?: string;
  model?: string;
  adapter: string;
  isFallback: boolean;
  /** Kernel with the least time over all layers, and that time (Σ median × layers). */
  best?: KernelTime & { layers: number };
  workloads: WorkloadBest[];
  /** "B=1 N=128 f32": the shape profiled (absent in entries stored by older versions). */
  shape?: string;
  /** A padding analysis: the recommended strategy and its line (the side panel shows it instead of a kernel). */
  padding?: { strategy: string; text: string };
}

const usable = (r: KernelResult): boolean => r.status === 'ok' && r.correct && r.timings !== undefined && Number.isFinite(r.timings.medianMs);

function workloadBest(w: Workload): WorkloadBest {
  const mixed = w.results.some((r) => r.engine === 'pytorch');
  const fastest = (pick: (r: KernelResult) => boolean): KernelTime | undefined => {
    let best: KernelTime | undefined;
    for (const r of w.results) {
      if (!usable(r) || !r.timings || !pick(r)) continue;
      if (!best || r.timings.medianMs < best.medianMs) {
        best = { kernel: r.kernel, medianMs: r.timings.medianMs, ...(mixed ? { dtype: r.dtype ?? w.spec.dtype } : {}) };
      }
    }
    return best;
  };
  const best = fastest(() => true);
  const ours = mixed ? fastest((r) => r.engine !== 'pytorch') : undefined;
  const naive = w.results.find((r) => r.kernel === 'naive' && usable(r));
  return {
    name: w.name,
    layerCount: Math.max(1, w.layers.length),
    best,
    ...(ours && best && ours.kernel !== best.kernel ? { bestOurs: ours } : {}),
    naiveMs: naive?.timings?.medianMs,
    // A backend that cannot express the problem (skipped) is not broken.
    broken: w.results.filter((r) => r.status !== 'skipped' && !(r.status === 'ok' && r.correct)).map((r) => r.kernel),
  };
}

export function entryOf(report: ProfileReport): ReportEntry {
  const workloads = report.workloads.map(workloadBest);
  // The overall winner must have run on every workload, or its total would look cheaper than it is.
  const totals = new Map<string, number>();
  for (const w of report.workloads) {
    const layers = Math.max(1, w.layers.length);
    for (const r of w.results) {
      if (usable(r) && r.timings) totals.set(r.kernel, (totals.get(r.kernel) ?? 0) + r.timings.medianMs * layers);
    }
  }
  const complete = [...totals].filter(([k]) => report.workloads.every((w) => w.results.some((r) => r.kernel === k && usable(r))));
  complete.sort((a, b) => a[1] - b[1]);
  const layers = workloads.reduce((s, w) => s + w.layerCount, 0);
  const a = report.adapter;
  return {
    id: report.id,
    title: report.title,
    createdAt: report.createdAt,
    sourceKind: report.source.kind,
    sourceFile: report.source.file,
    model: report.source.model,
    adapter: a.description || a.device || a.vendor || 'unknown adapter',
    isFallback: a.isFallback,
    ...(report.workloads.length ? { shape: shortShape(report) } : {}),
    best: complete.length ? { kernel: complete[0][0], medianMs: complete[0][1], layers } : undefined,
    workloads,
    ...(report.padding ? { padding: { strategy: report.padding.recommendation.strategy, text: report.padding.recommendation.text } } : {}),
  };
}

/**
 * "flash 3.1 ms/layer, 24× naive" for one workload; with PyTorch rows the fastest overall and the fastest of ours:
 * "torch:sdpa-cudnn bf16 0.24 ms/layer · flash f16 0.9 ms".
 */
function workloadText(w: WorkloadBest): string {
  if (!w.best) return w.broken.length ? `no kernel passed (${w.broken.join(', ')} failed)` : 'no result';
  const dt = (k: KernelTime) => (k.dtype ? ` ${k.dtype}` : '');
  let s = `${w.best.kernel}${dt(w.best)} ${shortMs(w.best.medianMs)}/layer`;
  if (w.bestOurs) return `${s} · ${w.bestOurs.kernel}${dt(w.bestOurs)} ${shortMs(w.bestOurs.medianMs)}`;
  if (w.best.kernel !== 'naive' && w.naiveMs !== undefined) s += `, ${shortRatio(w.naiveMs / w.best.medianMs)} naive`;
  return s;
}

/**
 * The "measured: …" CodeLens for one model: its workloads are those named after it (a model with local and
 * global layers has one per kind, see engine/workloads.ts).
 */
export function measuredText(entry: ReportEntry, modelName?: string): string | undefined {
  const mine = entry.workloads.filter(
    (w) => modelName === undefined || entry.workloads.length === 1 || w.name === modelName || w.name.startsWith(`${modelName} · `),
  );
  if (mine.length === 0) return undefined;
  const parts = mine.map((w) => {
    const kind = modelName !== undefined && w.name.startsWith(`${modelName} · `) ? `${w.name.slice(modelName.length + 3)}: ` : '';
    return kind + workloadText(w);
  });
  const broken = [...new Set(mine.flatMap((w) => w.broken))];
  let s = `measured: ${parts.join(' · ')}`;
  if (broken.length && mine.some((w) => w.best)) s += ` · ⚠ ${broken.join(', ')} failed or wrong`;
  if (entry.isFallback) s += ' (software adapter)';
  return s;
}

/** The side panel's "best" cell: "flash 86 ms (28 layers)". */
export function bestText(entry: ReportEntry): string {
  if (entry.padding && entry.workloads.length === 0) return `padding → ${entry.padding.text}`;
  if (!entry.best) return 'no kernel passed';
  const layers = entry.best.layers > 1 ? ` (${entry.best.layers} layers)` : '';
  return `${entry.best.kernel} ${shortMs(entry.best.medianMs)}${layers}`;
}
