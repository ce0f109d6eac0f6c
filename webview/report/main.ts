/**
 * Report webview entry: tabs Summary, Flame chart, Memory, Roofline (and Padding when the report has a padding
 * analysis) for one report, or an A/B comparison.
 * Lifecycle: post `ready`, receive the report(s) (validated), render; UI state (tab, sort, zoom, search) goes to
 * setState so a hidden panel, or one restored after a reload, comes back as it was.
 */
import './report.css';
import type { PersistedReportView, ChartName, ReportExportFormat } from '../../extension/webview-host/protocol';
import type { ProfileReport } from '../../extension/report/schema';
import { buildFlameModel } from '../../extension/report/flame-model';
import { buildMemoryModel } from '../../extension/report/memory-model';
import { buildRooflineModel } from '../../extension/report/roofline-model';
import { parseReport } from '../../extension/report/schema';
import { registerToolkit, TAG } from '../shared/toolkit';
import { readTheme, watchTheme, type ThemeColors } from '../shared/theme';
import { svgText, svgToPng } from './chartExport';
import { renderCompare } from './compareView';
import { h, statusLine } from './dom';
import { FlameChart } from './flameChart';
import { memoryLegend, renderMemoryChart } from './memoryChart';
import { renderPaddingView } from './paddingView';
import { HostRequests, parseToReportView } from './messages';
import { rooflineLegend, renderRoofline } from './rooflineChart';
import { persisted, readUiState, type UiState } from './state';
import { renderRunFacts, renderSummaryTable, type SortState } from './summaryView';

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

export interface Shell {
  status: ReturnType<typeof statusLine>;
  exportChart(chart: ChartName, format: 'svg' | 'png', data: string | Promise<string>): void;
  exportReport(format: ReportExportFormat, side?: 'a' | 'b'): void;
  copyMarkdown(side?: 'a' | 'b'): void;
  save(patch: Partial<UiState>): void;
  ui: () => UiState;
  theme: () => ThemeColors;
  onTheme(cb: (t: ThemeColors) => void): void;
  onCleanup(cb: () => void): void;
}

function makeShell(): Shell {
  const status = statusLine();
  const answer = async (p: Promise<{ ok: boolean; message?: string; error?: string; cancelled?: boolean }>) => {
    const r = await p;
    if (r.ok) status.show(r.message ?? 'Done.');
    else if (!r.cancelled) status.show(r.error ?? 'Failed.', 'error');
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

/** Tabs (toolkit panels); the active one is kept in the state. Views render lazily when first shown. */
export function tabs(shell: Shell, items: { id: string; title: string; render: () => HTMLElement; onShow?: () => void }[], initialId?: string): HTMLElement {
  const panels = h(TAG.panels, { 'aria-label': 'Report views' });
  const rendered = new Map<string, HTMLElement>();
  const views = new Map<string, HTMLElement>();
  for (const item of items) {
    panels.append(h(TAG.panelTab, { id: `tab-${item.id}` }, item.title));
  }
  for (const item of items) {
    const view = h(TAG.panelView, { id: `view-${item.id}` });
    views.set(item.id, view);
    panels.append(view);
  }
  const show = (id: string) => {
    const item = items.find((i) => i.id === id) ?? items[0];
    if (!rendered.has(item.id)) {
      const el = item.render();
      rendered.set(item.id, el);
      views.get(item.id)?.append(el);
    }
    requestAnimationFrame(() => item.onShow?.());
  };
  // The saved tab wins (a restored panel comes back as it was); else the caller's pick, else the first.
  const initial = items.some((i) => i.id === shell.ui().tab) ? (shell.ui().tab as string) : items.some((i) => i.id === initialId) ? (initialId as string) : items[0].id;
  panels.setAttribute('activeid', `tab-${initial}`);
  show(initial);
  panels.addEventListener('change', (e) => {
    // Text fields inside the views also fire 'change', which bubbles: only the panels' own event is a tab switch.
    if (e.target !== panels) return;
    const active = (panels as HTMLElement & { activeid?: string }).activeid ?? '';
    const id = active.replace(/^tab-/, '');
    shell.save({ tab: id });
    show(id);
  });
  return panels;
}

/** A chart that re-renders on theme change and on width change (d3 SVG is cheap at these sizes). */
export function svgChartView(
  shell: Shell,
  chart: ChartName,
  build: (t: ThemeColors, width: number) => { svg: SVGSVGElement; root?: HTMLElement; legend?: HTMLElement },
  notes: string[] = [],
): HTMLElement {
  const holder = h('div', { class: 'chart-holder' });
  const legendHolder = h('div');
  let current: SVGSVGElement | undefined;
  let lastWidth = 0;
  const render = () => {
    const width = Math.floor(holder.clientWidth);
    if (width === 0) return;
    lastWidth = width;
    const { svg, root, legend } = build(shell.theme(), Math.max(360, width));
    current = svg;
    holder.replaceChildren(root ?? svg);
    legendHolder.replaceChildren(legend ?? '');
  };
  const svgButton = h(TAG.button, { appearance: 'secondary' }, 'Export SVG');
  svgButton.addEventListener('click', () => current && shell.exportChart(chart, 'svg', svgText(current)));
  const pngButton = h(TAG.button, { appearance: 'secondary' }, 'Export PNG');
  pngButton.addEventListener('click', () => current && shell.exportChart(chart, 'png', svgToPng(current)));
  // Render on the next frame: rendering inside the observer resizes what it observes (a "ResizeObserver loop").
  let frame = 0;
  const observer = new ResizeObserver(() => {
    if (Math.floor(holder.clientWidth) === lastWidth || frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      render();
    });
  });
  observer.observe(holder);
  shell.onCleanup(() => observer.disconnect());
  shell.onTheme(() => render());
  return h('div', { class: 'chart-view' }, h('div', { class: 'toolbar' }, svgButton, pngButton), holder, legendHolder, ...notes.map((n) => h('p', { class: 'note' }, n)));
}

/** Copy as Markdown and the Export ▾ menu (a disclosure of buttons: keyboard and screen-reader friendly). */
const REPORT_FORMATS: [ReportExportFormat, string][] = [
  ['trace', 'Chrome trace (.json, Perfetto)'],
  ['json', 'Report (.json)'],
  ['csv', 'Summary (.csv)'],
  ['markdown', 'Summary (.md)'],
];

export function reportToolbar(shell: Shell, side?: 'a' | 'b', formats: [ReportExportFormat, string][] = REPORT_FORMATS): HTMLElement {
  const copy = h(TAG.button, {}, 'Copy as Markdown');
  copy.addEventListener('click', () => shell.copyMarkdown(side));
  const toggle = h(TAG.button, { appearance: 'secondary', 'aria-haspopup': 'true', 'aria-expanded': 'false' }, 'Export ▾');
  const menu = h('div', { class: 'menu', role: 'menu', hidden: true });
  const close = () => {
    menu.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
  };
  for (const [format, label] of formats) {
    const item = h('button', { type: 'button', role: 'menuitem', class: 'menu-item' }, label);
    item.addEventListener('click', () => {
      close();
      shell.exportReport(format, side);
    });
    menu.append(item);
  }
  toggle.addEventListener('click', () => {
    menu.hidden = !menu.hidden;
    toggle.setAttribute('aria-expanded', String(!menu.hidden));
    if (!menu.hidden) (menu.firstElementChild as HTMLElement | null)?.focus();
  });
  menu.addEventListener('keydown', (e) => {
    const items = Array.from(menu.querySelectorAll<HTMLElement>('.menu-item'));
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'Escape') {
      close();
      toggle.focus();
    } else if (e.key === 'ArrowDown') items[(i + 1) % items.length]?.focus();
    else if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length]?.focus();
    else return;
    e.preventDefault();
  });
  document.addEventListener('click', (e) => {
    if (!menu.hidden && !menu.contains(e.target as Node) && e.target !== toggle) close();
  });
  return h('div', { class: 'toolbar' }, copy, h('span', { class: 'menu-anchor' }, toggle, menu), shell.status.el);
}

export function summaryView(shell: Shell, report: ProfileReport, sortKey: 'sort' | 'sortB' = 'sort', side?: 'a' | 'b'): HTMLElement {
  const holder = h('div', { class: 'table-holder' });
  const render = (sort: SortState | undefined) =>
    holder.replaceChildren(
      renderSummaryTable(report, sort, (s) => {
        shell.save({ [sortKey]: s });
        render(s);
        (holder.querySelector('th[aria-sort="ascending"] button, th[aria-sort="descending"] button') as HTMLElement | null)?.focus();
      }),
    );
  render(shell.ui()[sortKey]);
  const notes = report.workloads.flatMap((w) => w.results.filter((r) => r.notes.length).map((r) => `${w.name} · ${r.kernel}: ${r.notes.join(' ')}`));
  return h('div', { class: 'summary-view' }, reportToolbar(shell, side), holder, notes.length ? h('ul', { class: 'notes' }, ...notes.map((n) => h('li', {}, n))) : '');
}

const PADDING_FORMATS: [ReportExportFormat, string][] = [
  ['json', 'Report (.json)'],
  ['padding-csv', 'Padding table (.csv)'],
  ['padding-markdown', 'Padding table (.md)'],
];

function paddingTab(shell: Shell, report: ProfileReport, alone: boolean) {
  const padding = report.padding;
  if (!padding) return [];
  return [
    {
      id: 'padding',
      title: 'Padding',
      render: () =>
        renderPaddingView(
          shell,
          report,
          padding,
          (chart, build, notes) => svgChartView(shell, chart, build, notes),
          // A padding-only report has no Summary tab: its toolbar lives here.
          alone ? reportToolbar(shell, undefined, PADDING_FORMATS) : h('span'),
        ),
    },
  ];
}

function renderReport(shell: Shell, report: ProfileReport): HTMLElement {
  if (report.padding && report.workloads.length === 0) {
    // A padding analysis without kernel runs: no summary, flame, memory or roofline to show.
    return h('div', { class: 'report' }, h('h1', {}, report.title), tabs(shell, paddingTab(shell, report, true), 'padding'));
  }
  const flameModel = buildFlameModel(report);
  const memoryModel = buildMemoryModel(report);
  const rooflineModel = buildRooflineModel(report);
  const torchEngine = report.engines?.find((e) => e.id === 'pytorch' && e.torch);
  let flame: FlameChart | undefined;
  const panels = tabs(shell, [
    { id: 'summary', title: 'Summary', render: () => summaryView(shell, report) },
    {
      id: 'flame',
      title: 'Flame chart',
      render: () => {
        flame = new FlameChart(flameModel, shell.theme(), {
          ariaLabel: `Flame chart of ${report.title}: run, layers, kernels, passes over GPU time. Keys: W/S zoom, A/D pan, Esc reset.`,
          ...(shell.ui().flame ? { state: shell.ui().flame } : {}),
          onState: (s) => shell.save({ flame: s }),
          onExport: (png) => shell.exportChart('flame', 'png', png),
        });
        const chart = flame;
        shell.onTheme((t) => chart.setTheme(t));
        shell.onCleanup(() => chart.destroy());
        const desc =
          report.source.kind === 'config'
            ? 'Synthetic time axis: one median iteration of each kernel was measured per workload and is repeated for every model layer, so the axis adds up what the model would take; box widths are GPU timestamps.'
            : 'Each kernel at its median iteration; widths are GPU timestamps.';
        const torchNote = torchEngine
          ? [h('p', { class: 'note' }, `PyTorch lane: one iteration of each backend under torch.profiler (its GPU kernels, or its operators on a CPU), on ${torchEngine.label}; the summary's times are the timed iterations.`)]
          : [];
        return h('div', {}, h('p', { class: 'note' }, desc), ...torchNote, chart.el, ...flameModel.warnings.slice(0, 5).map((w) => h('p', { class: 'note warning-text' }, w)));
      },
      onShow: () => flame?.scheduleDraw(),
    },
    {
      id: 'memory',
      title: 'Memory',
      render: () =>
        svgChartView(
          shell,
          'memory',
          (t, width) => {
            const { svg, root } = renderMemoryChart(memoryModel, t, width);
            return { svg, root, legend: memoryLegend(memoryModel, t) };
          },
          ['Every GPU buffer the profiler allocated (tracked allocator, host clock). Dashed: what the analytic model expects each kernel to hold.', ...memoryModel.warnings.slice(0, 5)],
        ),
    },
    {
      id: 'roofline',
      title: 'Roofline',
      render: () =>
        svgChartView(shell, 'roofline', (t, width) => ({ svg: renderRoofline(rooflineModel, t, width), legend: rooflineLegend(rooflineModel, t) }), [
          'Intensity counts the minimum traffic (Q, K, V read once, O written once); a kernel that re-reads K/V sits lower than its point suggests.',
          ...(torchEngine ? [`The torch:* points ran on ${torchEngine.label}; the ceilings are the WebGPU adapter's (FP32, no tensor cores), so a PyTorch point can sit above them.`] : []),
        ]),
    },
    ...paddingTab(shell, report, false),
  ], report.padding ? 'padding' : undefined);
  return h('div', { class: 'report' }, h('h1', {}, report.title), renderRunFacts(report), panels);
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
