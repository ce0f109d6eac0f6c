/** The report webview's building blocks shared by its views: tabs, a themed SVG chart holder, the export toolbar. */
import type { ChartName, ReportExportFormat } from '../../extension/protocol/reportView';
import { TAG } from '../shared/toolkit';
import type { ThemeColors } from '../shared/theme';
import { svgText, svgToPng } from './chartExport';
import { h } from './dom';
import type { Shell } from './shell';

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
export const REPORT_FORMATS: [ReportExportFormat, string][] = [
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

