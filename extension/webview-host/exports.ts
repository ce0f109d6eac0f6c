/** Host side of the report exports: ask where, render the file from the report, write it with workspace.fs. */
import * as vscode from 'vscode';
import type { ProfileReport } from '../report/schema';
import { paddingCsv, paddingMarkdown } from '../report/padding-model';
import { summaryCsv, summaryMarkdown } from '../report/summary';
import { toChromeTrace, validateChromeTrace } from '../report/trace';
import type { ChartName, ReportExportFormat } from '../protocol/reportView';

interface FileKind {
  suffix: string;
  filters: Record<string, string[]>;
}

const KINDS: Record<ReportExportFormat | 'svg' | 'png', FileKind> = {
  trace: { suffix: '.trace.json', filters: { 'Chrome trace (Perfetto, chrome://tracing)': ['json'] } },
  json: { suffix: '.report.json', filters: { 'attnprof report': ['json'] } },
  csv: { suffix: '.csv', filters: { CSV: ['csv'] } },
  markdown: { suffix: '.md', filters: { Markdown: ['md'] } },
  'padding-csv': { suffix: '.padding.csv', filters: { CSV: ['csv'] } },
  'padding-markdown': { suffix: '.padding.md', filters: { Markdown: ['md'] } },
  svg: { suffix: '.svg', filters: { 'SVG image': ['svg'] } },
  png: { suffix: '.png', filters: { 'PNG image': ['png'] } },
};

/** A file name from user text (a model name may hold slashes or dots). */
export function safeFileStem(s: string): string {
  const stem = s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return stem.slice(0, 80) || 'attnprof';
}

export function reportFileStem(report: ProfileReport): string {
  const date = report.createdAt.slice(0, 19).replace(/[:T]/g, '-');
  return safeFileStem(`${report.source.model ?? report.title}-${date}`);
}

/** Renders one export to bytes; throws with one sentence if the result would be invalid. */
export function renderExport(report: ProfileReport, format: ReportExportFormat): Uint8Array {
  const text = (s: string) => new TextEncoder().encode(s);
  switch (format) {
    case 'trace': {
      const trace = toChromeTrace(report);
      const problems = validateChromeTrace(trace);
      if (problems.length) throw new Error(`the Chrome trace would be invalid (${problems.slice(0, 3).join('; ')}).`);
      return text(JSON.stringify(trace));
    }
    case 'json':
      return text(JSON.stringify(report, null, 2) + '\n');
    case 'csv':
      return text(summaryCsv(report));
    case 'markdown':
      return text(report.padding && report.workloads.length === 0 ? paddingMarkdown(report.padding, report.title) : summaryMarkdown(report));
    case 'padding-csv':
    case 'padding-markdown':
      if (!report.padding) throw new Error('this report has no padding analysis to export.');
      return text(format === 'padding-csv' ? paddingCsv(report.padding) : paddingMarkdown(report.padding, report.title));
  }
}

/** Decodes a chart from the webview: SVG text, or a base64 PNG data URL (validated by the protocol guard). */
export function decodeChart(format: 'svg' | 'png', data: string): Uint8Array {
  if (format === 'svg') return new TextEncoder().encode(data.startsWith('<?xml') ? data : `<?xml version="1.0" encoding="UTF-8"?>\n${data}`);
  const bytes = Buffer.from(data.slice(data.indexOf(',') + 1), 'base64');
  // PNG signature: refuse to write anything else under a .png name.
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47) throw new Error('the chart image is not a PNG.');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function defaultFolder(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/** Shows a save dialog and writes `bytes`; resolves to the written URI, or undefined if the user cancelled. */
export async function saveWithDialog(stem: string, kind: ReportExportFormat | 'svg' | 'png', bytes: () => Uint8Array): Promise<vscode.Uri | undefined> {
  const { suffix, filters } = KINDS[kind];
  const folder = defaultFolder();
  const name = `${stem}${suffix}`;
  const uri = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(name),
    filters,
    saveLabel: 'Export',
  });
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, bytes());
  return uri;
}

export async function exportReport(report: ProfileReport, format: ReportExportFormat): Promise<vscode.Uri | undefined> {
  // Render before asking, so an invalid trace fails without a pointless dialog.
  const bytes = renderExport(report, format);
  return saveWithDialog(reportFileStem(report), format, () => bytes);
}

export async function exportChart(report: ProfileReport, chart: ChartName, format: 'svg' | 'png', data: string): Promise<vscode.Uri | undefined> {
  const bytes = decodeChart(format, data);
  return saveWithDialog(`${reportFileStem(report)}-${chart}`, format, () => bytes);
}
