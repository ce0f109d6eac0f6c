/**
 * Report webview entry, and only that: the host channel, the persisted state, the theme, and which view is on
 * screen (one report, reportView.ts; or an A/B comparison, compareView.ts). Views get a Shell (shell.ts).
 * Lifecycle: post `ready`, receive the report(s) (validated), render; UI state (tab, sort, zoom, search) goes to
 * setState so a hidden panel, or one restored after a reload, comes back as it was.
 */
import './report.css';
import type { PersistedReportView } from '../../extension/protocol/reportView';
import { parseReport } from '../../extension/report/schema';
import { registerToolkit } from '../shared/toolkit';
import { readTheme, watchTheme, type ThemeColors } from '../shared/theme';
import { renderCompare } from './compareView';
import { statusLine } from './dom';
import { HostRequests, parseToReportView, type ResultMessage } from './messages';
import { renderReport } from './reportView';
import type { Shell } from './shell';
import { persisted, readUiState, type UiState } from './state';

registerToolkit();

const app = document.getElementById('app') ?? document.body;
const requests = new HostRequests();
let theme = readTheme();
const saved = (requests.channel.getState() ?? {}) as PersistedReportView;
let ui: UiState = readUiState(saved.ui);
let content: PersistedReportView['content'];
/** Theme and resize listeners of what is on screen now. */
let onThemeChange: ((t: ThemeColors) => void)[] = [];
let teardown: (() => void)[] = [];

let saveTimer = 0;
function saveState(patch: Partial<UiState>): void {
  ui = { ...ui, ...patch };
  // Zoom and hover fire often; VS Code serialises the state, so write it at most every 200 ms.
  window.clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => requests.channel.setState(persisted(content, ui)), 200);
}

function logToHost(level: 'error' | 'warn', message: string): void {
  requests.channel.post({ type: 'log', level, message });
}
window.addEventListener('error', (e) => logToHost('error', `${e.message} (${e.filename}:${e.lineno})`));

function makeShell(): Shell {
  const status = statusLine();
  const answer = async (p: Promise<ResultMessage>) => {
    const r = await p;
    if (r.ok) status.show(r.message ?? 'Done.');
    else if (r.error.kind !== 'cancelled') status.show(r.error.message, 'error');
  };
  return {
    status,
    exportChart: (chart, format, data) =>
      void Promise.resolve(data)
        .then((d) => answer(requests.request({ type: 'saveChart', chart, format, data: d })))
        .catch((e: Error) => status.show(e.message, 'error')),
    exportReport: (format, side) => void answer(requests.request({ type: 'export', format, ...(side ? { side } : {}) })),
    copyMarkdown: (side) => void answer(requests.request({ type: 'copyMarkdown', ...(side ? { side } : {}) })),
    save: saveState,
    ui: () => ui,
    theme: () => theme,
    onTheme: (cb) => onThemeChange.push(cb),
    onCleanup: (cb) => teardown.push(cb),
  };
}

function show(next: NonNullable<PersistedReportView['content']>): void {
  for (const t of teardown) t();
  teardown = [];
  onThemeChange = [];
  content = next;
  const shell = makeShell();
  app.replaceChildren(next.kind === 'report' ? renderReport(shell, next.report) : renderCompare(shell, next.a, next.b));
  requests.channel.setState(persisted(content, ui));
}

watchTheme((t) => {
  theme = t;
  for (const cb of onThemeChange) cb(t);
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = parseToReportView(event.data);
  if (!m) {
    logToHost('warn', `ignored a malformed message: ${JSON.stringify(event.data)?.slice(0, 200)}`);
    return;
  }
  if (m.type === 'result') requests.settle(m);
  else if (m.type === 'report') show({ kind: 'report', report: m.report });
  else show({ kind: 'compare', a: m.a, b: m.b });
});

// Rehydrate at once from the saved state (no blank panel while the host answers), then ask for the real thing.
try {
  const c = saved.content;
  if (c?.kind === 'report') show({ kind: 'report', report: parseReport(c.report) });
  else if (c?.kind === 'compare') show({ kind: 'compare', a: parseReport(c.a), b: parseReport(c.b) });
} catch (e) {
  logToHost('warn', `saved state ignored: ${(e as Error).message}`);
}
requests.channel.post({ type: 'ready' });
