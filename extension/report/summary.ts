/** Text renderings of a report: the CLI's table, Markdown and CSV exports. Pure. */
import type { KernelResult } from './measurements';
import { describeShaderChecks, describeWork, formatBytes, formatFlops, formatMatrixConfig, formatMs, formatRatio } from '../../kernels/units';
import type { ProfileReport, SpecJson, Workload } from './schema';

/** Every mask option a spec ran with, as a user writes them: "causal, window=4096, softcap=30, kv-lens". */
export function maskOptions(spec: SpecJson): string[] {
  const parts: string[] = [spec.causal ? 'causal' : 'bidirectional'];
  if (spec.window > 0) parts.push(`window=${spec.window}`);
  if (spec.softcap > 0) parts.push(`softcap=${spec.softcap}`);
  // The default scale is 1/√D; another one was asked for and changes the result.
  if (Number.isFinite(spec.scale) && Math.abs(spec.scale - 1 / Math.sqrt(spec.headDim)) > 1e-6 * spec.scale) parts.push(`scale=${Number(spec.scale.toPrecision(4))}`);
  if (spec.neighborhood) {
    const g = spec.neighborhood;
    const global = spec.seqLenK - g.rows * g.cols;
    parts.push(`neighborhood=${g.radius} on ${g.rows}×${g.cols}${global > 0 ? `+${global}` : ''}`);
  }
  if (spec.layout === 'bshd') parts.push('bshd');
  if (spec.kvLens?.length) parts.push('kv-lens');
  if (spec.documents) {
    const n = spec.documents.reduce((a, r) => a + r.length, 0);
    parts.push(`packed documents (${n} in ${spec.documents.length} row${spec.documents.length > 1 ? 's' : ''})`);
  }
  return parts;
}

/** A short shape for titles and lists: "B=1 N=128 f32", "B=1 Nq=1 Nk=4096 f32" (decode), per the first workload. */
export function shortShape(report: Pick<ProfileReport, 'spec' | 'workloads'>): string {
  const s = report.workloads[0]?.spec ?? report.spec;
  if (!s) return '';
  return `B=${s.batch} ${s.seqLenQ === s.seqLenK ? `N=${s.seqLenQ}` : `Nq=${s.seqLenQ} Nk=${s.seqLenK}`} ${s.dtype}`;
}

/** A report's time of day for titles, "08:12:16" (seconds: two runs of one config in a minute stay apart). */
export function reportTime(createdAt: string): string {
  const d = new Date(createdAt);
  if (Number.isNaN(d.getTime())) return createdAt;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * The editor tab title of a report: it reads as a report, carries the shape and the time ("Attention report ·
 * Qwen2ForCausalLM B=1 N=128 f32 · 08:12:16"), and does not repeat the config's file name (Ctrl+P would rank the tab
 * above the file).
 */
export function reportTabTitle(report: ProfileReport): string {
  if (report.padding && report.workloads.length === 0) {
    return `Attention report · padding ${report.title.replace(/^Padding:\s*/i, '').replace(/\s*—.*$/, '')} · ${reportTime(report.createdAt)}`;
  }
  const name = report.source.model ?? (report.source.kind === 'shape' ? 'shape' : report.title.replace(/\s*—.*$/, ''));
  return `Attention report · ${name} ${shortShape(report)} · ${reportTime(report.createdAt)}`;
}

/** The Shape line of a report: dimensions, dtype and every mask option; per workload when they differ. */
export function describeShape(report: Pick<ProfileReport, 'spec' | 'workloads'>): string {
  const specs = report.workloads.length ? report.workloads.map((w) => ({ name: w.name, spec: w.spec })) : [{ name: '', spec: report.spec }];
  const dims = (s: SpecJson) => `B=${s.batch} Hq=${s.heads} Hkv=${s.kvHeads} Nq=${s.seqLenQ} Nk=${s.seqLenK} D=${s.headDim} ${s.dtype}`;
  const distinct = [...new Set(specs.map((x) => `${dims(x.spec)} ${maskOptions(x.spec).join(', ')}`))];
  if (distinct.length === 1) return `${dims(specs[0].spec)} ${maskOptions(specs[0].spec).join(', ')}`;
  return specs.map((x) => `${x.name}: ${dims(x.spec)} ${maskOptions(x.spec).join(', ')}`).join(' · ');
}

export interface SummaryRow {
  workload: string;
  /** "WebGPU", or "PyTorch 2.11.0 · NVIDIA H200" (version and device). */
  engine: string;
  kernel: string;
  /** The row's element type (PyTorch rows may differ from the workload's: bf16). */
  dtype: string;
  status: string;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  tflops: number;
  gbps: number;
  peakBytes: number;
  /** The profiler's own bytes live while the kernel ran (rotating input copies, timestamps): not in the peak. */
  overheadBytes: number;
  analyticPeakBytes: number;
  maxRelError: number;
  correct: boolean;
  speedupVsNaive: number;
  notes: string;
  /** Training rows of our kernels: the forward and backward parts of the step (median ms), NaN otherwise. */
  forwardMs: number;
  backwardMs: number;
  /** What the forward keeps for the backward (naive: P + O; flash: O + LSE); NaN when not a training row. */
  savedBytes: number;
}

/** Whether any row times a training step with a forward/backward split (then tables show it). */
export function hasTrainSplit(report: ProfileReport): boolean {
  return report.workloads.some((w) => w.results.some((r) => r.train !== undefined));
}

/** Whether the report holds rows of more than our WebGPU kernels (then tables show engine and dtype columns). */
export function hasTorchRows(report: ProfileReport): boolean {
  return report.workloads.some((w) => w.results.some((r) => r.engine === 'pytorch'));
}

/** The engine cell of a row: "WebGPU", or PyTorch with its version and device as the report recorded them. */
export function engineLabel(report: ProfileReport, r: KernelResult): string {
  if (r.engine !== 'pytorch') return 'WebGPU';
  const info = report.engines?.find((e) => e.id === 'pytorch');
  return info?.torch ? `PyTorch ${info.torch}${info.device ? ` · ${info.device}` : ''}` : 'PyTorch';
}

export function summaryRows(report: ProfileReport): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const w of report.workloads) {
    const naive = w.results.find((r) => r.kernel === 'naive' && r.status === 'ok');
    for (const r of w.results) rows.push(rowOf(report, w, r, naive));
  }
  return rows;
}

function statusOf(r: KernelResult): string {
  if (r.status === 'failed') return `failed: ${r.error ?? ''}`;
  if (r.status === 'skipped') return `skipped: ${r.error ?? ''}`;
  return r.correct ? 'ok' : 'WRONG RESULT';
}

function rowOf(report: ProfileReport, w: Workload, r: KernelResult, naive: KernelResult | undefined): SummaryRow {
  const median = r.timings?.medianMs ?? Number.NaN;
  return {
    workload: w.name,
    engine: engineLabel(report, r),
    kernel: r.kernel,
    dtype: (r.dtype ?? w.spec.dtype) + (r.mode === 'train' ? ' fwd+bwd' : ''),
    status: statusOf(r),
    medianMs: median,
    p10Ms: r.timings?.p10Ms ?? Number.NaN,
    p90Ms: r.timings?.p90Ms ?? Number.NaN,
    // Only a run has a rate: a failed or skipped row shows none rather than 0.
    tflops: r.status === 'ok' ? r.tflops : Number.NaN,
    gbps: r.status === 'ok' ? r.gbps : Number.NaN,
    peakBytes: r.peakBytes,
    overheadBytes: r.overheadBytes ?? 0,
    analyticPeakBytes: r.analyticPeakBytes,
    maxRelError: r.maxRelError,
    correct: r.correct,
    speedupVsNaive: naive?.timings && r.timings ? naive.timings.medianMs / r.timings.medianMs : Number.NaN,
    notes: r.notes.join(' '),
    forwardMs: r.train?.forward?.medianMs ?? Number.NaN,
    backwardMs: r.train?.backward?.medianMs ?? Number.NaN,
    savedBytes: r.train?.savedBytes ?? Number.NaN,
  };
}

/** "1.1 ms – 1.3 ms": the 10th to 90th percentile of a row's iterations, or "–" for a row that did not run. */
export function rangeCell(r: SummaryRow, sep = ' – '): string {
  return Number.isFinite(r.p10Ms) && Number.isFinite(r.p90Ms) ? `${formatMs(r.p10Ms)}${sep}${formatMs(r.p90Ms)}` : '–';
}

/** "0.41 ms | 1.02 ms": the forward and backward parts of a training step. */
export function splitCell(r: SummaryRow): string {
  return Number.isFinite(r.forwardMs) && Number.isFinite(r.backwardMs) ? `${formatMs(r.forwardMs)} | ${formatMs(r.backwardMs)}` : '–';
}

const fmt = (v: number, digits: number): string =>
  !Number.isFinite(v) ? '–' : v !== 0 && Math.abs(v) < 10 ** -digits * 10 ? v.toPrecision(2) : v.toFixed(digits);
const fmtErr = (v: number): string => (Number.isFinite(v) ? v.toExponential(1) : '–');

function header(report: ProfileReport): string[] {
  const a = report.adapter;
  const lines = [
    `adapter: ${a.description}${a.vendor ? ` (${a.vendor}${a.backend ? `, ${a.backend}` : ''})` : ''}${a.isFallback ? ' — SOFTWARE FALLBACK: timings are not representative of a GPU' : ''}`,
    ...(a.f16Note ? [`f16: ${a.f16Note}`] : []),
    ...(a.shaderChecks !== undefined ? [`shader checks: ${describeShaderChecks(a.shaderChecks)}`] : []),
    ...(a.subgroupMatrixConfigs?.length ? [`tensor cores: ${a.subgroupMatrixConfigs.map(formatMatrixConfig).join(', ')}`] : []),
    `timestamps: ${report.timestamps.available ? (report.timestamps.quantized ? 'GPU, quantized' : 'GPU, not quantized') : 'unavailable (wall clock)'} · iterations: ${report.settings.iterations} (+${report.settings.warmup} warm-up)${report.settings.mode === 'train' ? ' · mode: train (forward + backward)' : ''}`,
    `shape: ${describeShape(report)}`,
    ...(report.settings.dtypeChoice ? [`dtype: ${report.settings.dtypeChoice}`] : []),
    ...(report.notes ?? []).map((n) => `note: ${n}`),
  ];
  if (report.settings.mode === 'train') lines.push(trainFlopsLine(report));
  const torch = report.engines?.find((e) => e.id === 'pytorch');
  if (torch) lines.push(`pytorch: ${torch.python ?? torch.label} — CUDA events per iteration on a GPU, wall clock on CPU`);
  return lines;
}

/** FLOPs of one training step, forward and backward shown apart (flash-attn's convention: backward = 2.5× forward). */
export function trainFlopsLine(report: ProfileReport): string {
  const f = report.spec.flops;
  const more = report.workloads.length > 1 ? ` (${report.workloads[0].name})` : '';
  return `FLOPs per training step${more}: forward ${formatFlops(f)} + backward ${formatFlops(2.5 * f)} (2.5× forward) = ${formatFlops(3.5 * f)}`;
}

/** One row's display cells, shared by the terminal table and Markdown (same columns, same formatting). */
function displayCells(r: SummaryRow, engines: boolean, train = false): string[] {
  return [
    r.workload,
    ...(engines ? [r.engine] : []),
    r.kernel,
    ...(engines ? [r.dtype] : []),
    formatMs(r.medianMs),
    rangeCell(r, '–'),
    ...(train ? [splitCell(r)] : []),
    fmt(r.tflops, 2),
    fmt(r.gbps, 1),
    r.peakBytes ? formatBytes(r.peakBytes) : '–',
    ...(train ? [Number.isFinite(r.savedBytes) ? formatBytes(r.savedBytes) : '–'] : []),
    fmtErr(r.maxRelError),
    formatRatio(r.speedupVsNaive, 1),
    r.status,
  ];
}

/** Fixed-width table for a terminal. */
export function summaryTable(report: ProfileReport): string {
  const engines = hasTorchRows(report);
  const train = hasTrainSplit(report);
  const cols = ['workload', ...(engines ? ['engine'] : []), 'kernel', ...(engines ? ['dtype'] : []), 'median', 'p10–p90', ...(train ? ['fwd | bwd'] : []), 'TFLOP/s', 'GB/s', 'peak mem', ...(train ? ['saved for bwd'] : []), 'max rel err', 'vs naive', 'status'];
  const body = summaryRows(report).map((r) => displayCells(r, engines, train));
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const work = workLines(report);
  return [...header(report), '', line(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), ...(work.length ? ['', ...work] : [])].join('\n');
}

/** Under masks: per kernel, the visible share of S, the tiles it computed and the FLOPs done vs dense (block skipping). */
export function workLines(report: ProfileReport): string[] {
  const lines: string[] = [];
  for (const w of report.workloads) {
    for (const r of w.results) {
      if (r.status === 'ok' && r.work && r.work.visibleFraction < 1) lines.push(`${w.name} · ${r.kernel}: ${describeWork(r.work)}`);
    }
  }
  return lines;
}

export function summaryMarkdown(report: ProfileReport): string {
  const engines = hasTorchRows(report);
  const train = hasTrainSplit(report);
  const cols = ['Workload', ...(engines ? ['Engine'] : []), 'Kernel', ...(engines ? ['Dtype'] : []), 'Median', 'p10–p90', ...(train ? ['Forward | backward'] : []), 'TFLOP/s', 'GB/s', 'Peak GPU memory', ...(train ? ['Saved for backward'] : []), 'Max rel. error', 'vs naive', 'Status'];
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rows = summaryRows(report).map((r) => displayCells(r, engines, train).map(esc));
  return [
    `### ${esc(report.title)}`,
    '',
    ...header(report).map((l) => `${l}  `),
    '',
    `| ${cols.map(esc).join(' | ')} |`,
    `|${cols.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...workLines(report).map((l) => `${esc(l)}  `),
  ].join('\n');
}

export function summaryCsv(report: ProfileReport): string {
  const engines = hasTorchRows(report);
  const cols: (keyof SummaryRow)[] = [
    'workload', ...(engines ? (['engine'] as const) : []), 'kernel', ...(engines ? (['dtype'] as const) : []), 'status', 'medianMs', 'p10Ms', 'p90Ms', 'tflops', 'gbps', 'peakBytes', 'analyticPeakBytes',
    'maxRelError', 'correct', 'speedupVsNaive', 'notes',
  ];
  const cell = (v: unknown): string => {
    const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...summaryRows(report).map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}
