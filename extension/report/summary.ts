/** Text renderings of a report: the CLI's table, Markdown and CSV exports. Pure. */
import type { KernelResult } from '../../kernels/runner';
import { formatBytes, formatMs } from '../../kernels/units';
import type { ProfileReport, Workload } from './schema';

export interface SummaryRow {
  workload: string;
  kernel: string;
  status: string;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  tflops: number;
  gbps: number;
  peakBytes: number;
  analyticPeakBytes: number;
  maxRelError: number;
  correct: boolean;
  speedupVsNaive: number;
  notes: string;
}

export function summaryRows(report: ProfileReport): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const w of report.workloads) {
    const naive = w.results.find((r) => r.kernel === 'naive' && r.status === 'ok');
    for (const r of w.results) rows.push(rowOf(w, r, naive));
  }
  return rows;
}

function rowOf(w: Workload, r: KernelResult, naive: KernelResult | undefined): SummaryRow {
  const median = r.timings?.medianMs ?? Number.NaN;
  return {
    workload: w.name,
    kernel: r.kernel,
    status: r.status === 'failed' ? `failed: ${r.error ?? ''}` : r.correct ? 'ok' : 'WRONG RESULT',
    medianMs: median,
    p10Ms: r.timings?.p10Ms ?? Number.NaN,
    p90Ms: r.timings?.p90Ms ?? Number.NaN,
    tflops: r.tflops,
    gbps: r.gbps,
    peakBytes: r.peakBytes,
    analyticPeakBytes: r.analyticPeakBytes,
    maxRelError: r.maxRelError,
    correct: r.correct,
    speedupVsNaive: naive?.timings && r.timings ? naive.timings.medianMs / r.timings.medianMs : Number.NaN,
    notes: r.notes.join(' '),
  };
}

const fmt = (v: number, digits: number): string =>
  !Number.isFinite(v) ? '–' : v !== 0 && Math.abs(v) < 10 ** -digits * 10 ? v.toPrecision(2) : v.toFixed(digits);
const fmtErr = (v: number): string => (Number.isFinite(v) ? v.toExponential(1) : '–');

function header(report: ProfileReport): string[] {
  const a = report.adapter;
  const lines = [
    `adapter: ${a.description} (${a.vendor}${a.backend ? `, ${a.backend}` : ''})${a.isFallback ? ' — SOFTWARE FALLBACK: timings are not representative of a GPU' : ''}`,
    `timestamps: ${report.timestamps.available ? (report.timestamps.quantized ? 'GPU, quantized' : 'GPU, not quantized') : 'unavailable (wall clock)'} · iterations: ${report.settings.iterations} (+${report.settings.warmup} warm-up)`,
  ];
  return lines;
}

/** One row's display cells, shared by the terminal table and Markdown (same columns, same formatting). */
function displayCells(r: SummaryRow): string[] {
  return [
    r.workload,
    r.kernel,
    formatMs(r.medianMs),
    `${formatMs(r.p10Ms)}–${formatMs(r.p90Ms)}`,
    fmt(r.tflops, 2),
    fmt(r.gbps, 1),
    r.peakBytes ? formatBytes(r.peakBytes) : '–',
    fmtErr(r.maxRelError),
    Number.isFinite(r.speedupVsNaive) ? `${r.speedupVsNaive.toFixed(1)}×` : '–',
    r.status,
  ];
}

/** Fixed-width table for a terminal. */
export function summaryTable(report: ProfileReport): string {
  const cols = ['workload', 'kernel', 'median', 'p10–p90', 'TFLOP/s', 'GB/s', 'peak mem', 'max rel err', 'vs naive', 'status'];
  const body = summaryRows(report).map(displayCells);
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [...header(report), '', line(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function summaryMarkdown(report: ProfileReport): string {
  const cols = ['Workload', 'Kernel', 'Median', 'p10–p90', 'TFLOP/s', 'GB/s', 'Peak GPU memory', 'Max rel. error', 'vs naive', 'Status'];
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rows = summaryRows(report).map((r) => displayCells(r).map(esc));
  return [
    `### ${esc(report.title)}`,
    '',
    ...header(report).map((l) => `${l}  `),
    '',
    `| ${cols.join(' | ')} |`,
    `|${cols.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
}

export function summaryCsv(report: ProfileReport): string {
  const cols: (keyof SummaryRow)[] = [
    'workload', 'kernel', 'status', 'medianMs', 'p10Ms', 'p90Ms', 'tflops', 'gbps', 'peakBytes', 'analyticPeakBytes',
    'maxRelError', 'correct', 'speedupVsNaive', 'notes',
  ];
  const cell = (v: unknown): string => {
    const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...summaryRows(report).map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}
