/**
 * The channel between the extension host and a report webview (`webview/report`). One discriminated union per
 * direction, one line per message. The webview imports this file with `import type` only, so the host's
 * validator below never lands in the browser bundle; the webview validates what it receives in
 * `webview/report/messages.ts`.
 *
 * Request/response: a webview request carries `requestId`; the host answers with one `result` carrying the
 * same id and `{ ok: true }` or `{ ok: false, error: { kind, message } }` (result.ts: every channel's shape).
 */
import type { ProfileReport } from '../report/schema';
import type { Outcome } from './result';

/** Formats the host can export a report to (all from the report itself, no webview data needed). */
export type ReportExportFormat = 'trace' | 'json' | 'csv' | 'markdown' | 'padding-csv' | 'padding-markdown';
/** Charts the webview can serialise. */
export type ChartName = 'flame' | 'memory' | 'roofline' | 'diff-flame' | 'padding-lengths' | 'padding-tokens' | 'padding-work' | 'padding-time';

export type ToReportView =
  /** Show one report (the answer to `ready`, or a newer version of the same report). */
  | { type: 'report'; report: ProfileReport }
  /** Show an A/B comparison of two reports (the answer to `ready` in a compare panel). */
  | { type: 'compare'; a: ProfileReport; b: ProfileReport }
  /**
   * The outcome of request `requestId`: `message` is what to tell the user when it worked (e.g. "saved to …"); a
   * failure's message is one sentence for the user, a cancelled one (the user closed the save dialog) says nothing.
   */
  | ({ type: 'result'; requestId: number } & Outcome<{ message?: string }, ReportViewErrorKind>);

export type ReportViewErrorKind = 'failed' | 'cancelled';

export type FromReportView =
  /** The webview's script is listening: send it the report (again, after the view was hidden and restored). */
  | { type: 'ready' }
  /** Put the summary of the shown report (or of report `side` of a comparison) on the clipboard as Markdown. */
  | { type: 'copyMarkdown'; requestId: number; side?: 'a' | 'b' }
  /** Ask where to save, then write the report (or side `side` of a comparison) in `format`. */
  | { type: 'export'; requestId: number; format: ReportExportFormat; side?: 'a' | 'b' }
  /** Save a chart the webview rendered: SVG text, or a PNG as a `data:image/png;base64,` URL. */
  | { type: 'saveChart'; requestId: number; chart: ChartName; format: 'svg' | 'png'; data: string }
  /** Something failed inside the webview; the host logs it (the webview has no other way to report). */
  | { type: 'log'; level: 'error' | 'warn'; message: string };

const EXPORT_FORMATS: readonly string[] = ['trace', 'json', 'csv', 'markdown', 'padding-csv', 'padding-markdown'] satisfies ReportExportFormat[];
const CHARTS: readonly string[] = ['flame', 'memory', 'roofline', 'diff-flame', 'padding-lengths', 'padding-tokens', 'padding-work', 'padding-time'] satisfies ChartName[];
/** A chart is at most this big as a message (a 4k PNG is a few MB; anything far bigger is a bug or hostile). */
export const MAX_CHART_CHARS = 64 * 1024 * 1024;

const isRequestId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isSide = (v: unknown): boolean => v === undefined || v === 'a' || v === 'b';

/** Validates a message from the webview (untrusted: the page may be compromised by a hostile report). */
export function isFromReportView(value: unknown): value is FromReportView {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
      return true;
    case 'copyMarkdown':
      return isRequestId(m.requestId) && isSide(m.side);
    case 'export':
      return isRequestId(m.requestId) && typeof m.format === 'string' && EXPORT_FORMATS.includes(m.format) && isSide(m.side);
    case 'saveChart':
      if (!isRequestId(m.requestId) || typeof m.chart !== 'string' || !CHARTS.includes(m.chart)) return false;
      if (typeof m.data !== 'string' || m.data.length > MAX_CHART_CHARS) return false;
      if (m.format === 'svg') return m.data.trimStart().startsWith('<svg');
      if (m.format === 'png') return m.data.startsWith('data:image/png;base64,');
      return false;
    case 'log':
      return (m.level === 'error' || m.level === 'warn') && typeof m.message === 'string';
    default:
      return false;
  }
}

/**
 * What the webview keeps with `setState` (VS Code hands it back to the `WebviewPanelSerializer` after a reload).
 * `content` is left out when the report is too big to keep in the state; the restored panel then says so.
 */
export interface PersistedReportView {
  content?: { kind: 'report'; report: ProfileReport } | { kind: 'compare'; a: ProfileReport; b: ProfileReport };
  /** UI state (tab, sort, zoom, search): owned and validated by the webview. */
  ui?: unknown;
}

/** Reports larger than this (as JSON) are not copied into the webview state. */
export const MAX_PERSISTED_CHARS = 8 * 1024 * 1024;
