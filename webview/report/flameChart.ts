/**
 * The flame chart on a 2D canvas: rectangles batched by fill (one path per colour), only the visible ones
 * (`forEachVisible` binary-searches each row and merges sub-pixel slivers), a label only where it fits, hover and
 * search as outlines. d3 supplies the time scale and its ticks; zoom/pan maths is in flame-model (clamped).
 */
import { scaleLinear } from 'd3';
import {
  FLAME_ROWS,
  boxAt,
  buildCategoryPrefix,
  spanShares,
  type CategoryPrefix,
  clampView,
  forEachVisible,
  searchBoxes,
  zoomView,
  type FlameBox,
  type FlameModel,
  type VisibleSpan,
} from '../../extension/report/flame-model';
import { formatBytes, formatFlops, formatMs } from '../../kernels/units';
import { TAG } from '../shared/toolkit';
import { textOn, type ThemeColors } from '../shared/theme';
import { kernelColor, mixColors } from './colors';
import { h, rate } from './dom';
import { placeTooltip } from './tooltip';

export interface FlameUiState {
  startMs: number;
  endMs: number;
  search: string;
}

export interface Paint {
  color: string;
  alpha: number;
}

export interface FlameChartOptions {
  /** How a box is filled; the default colours by kind, kernel and pass. */
  paint?: (box: FlameBox, theme: ThemeColors) => Paint;
  /** Extra tooltip line (the differential chart's change). */
  extraTooltip?: (box: FlameBox) => string | undefined;
  legend?: (theme: ThemeColors) => { label: string; paint: Paint }[];
  state?: Partial<FlameUiState>;
  onState?: (state: FlameUiState) => void;
  onExport?: (pngDataUrl: string) => void;
  ariaLabel: string;
}

const ROW_H = 22;
const AXIS_H = 28;
const GUTTER = 70;
const LABEL_PAD = 4;

/**
 * Pass colours never reuse a kernel's (naive orange, flash green): the kernel row and the pass row under it, and
 * their legend swatches, must be told apart. Known passes get fixed hues; the two that have no chart colour of
 * their own are mixed from two neighbours (blue + green = cyan, red + purple = pink), so they follow the theme.
 */
export function passColor(label: string, theme: ThemeColors): string {
  switch (label) {
    case 'QKᵀ':
      return theme.blue;
    case 'softmax':
      return theme.yellow;
    case 'PV':
      return theme.purple;
    case 'fused':
      return mixColors(theme.blue, theme.green, 0.5);
    case 'partial':
      return mixColors(theme.red, theme.purple, 0.5);
    case 'combine':
      return theme.red;
    default: {
      // Unknown passes: the pass palette only, never a kernel colour.
      const palette = [theme.blue, theme.yellow, theme.purple, theme.red, mixColors(theme.blue, theme.green, 0.5), mixColors(theme.red, theme.purple, 0.5)];
      let hash = 0;
      for (const ch of label) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
      return palette[hash % palette.length];
    }
  }
}

/** Default colours: passes by name, kernels by name (as on the roofline), layers neutral with a strip per workload. */
export function defaultPaint(model: FlameModel): (box: FlameBox, theme: ThemeColors) => Paint {
  // A train step box is labelled "flash · train step" but keeps its kernel's colour.
  const kernels = [...new Set(model.boxes.filter((b) => b.kind === 'kernel').map((b) => b.kernel ?? b.label))];
  return (box, theme) => {
    switch (box.kind) {
      case 'run':
      case 'layer':
        return { color: theme.neutral, alpha: 1 };
      case 'kernel':
        return { color: kernelColor(box.kernel ?? box.label, kernels, theme), alpha: 1 };
      case 'step':
        // Forward and backward halves of a train step: the neutral of layers, tinted apart.
        return { color: mixColors(theme.neutral, box.label === 'forward' ? theme.blue : theme.red, 0.35), alpha: 1 };
      case 'pass':
        return { color: passColor(box.label, theme), alpha: 1 };
    }
  };
}

/** Each pass's share of the pass row's total time (what the overview's pass row should show in its colour). */
export function passTimeShares(model: FlameModel): Record<string, number> {
  const row = model.rows[FLAME_ROWS.indexOf('pass')];
  const byLabel: Record<string, number> = {};
  let total = 0;
  for (const b of row?.boxes ?? []) {
    byLabel[b.label] = (byLabel[b.label] ?? 0) + b.durationMs;
    total += b.durationMs;
  }
  for (const k of Object.keys(byLabel)) byLabel[k] = total > 0 ? byLabel[k] / total : 0;
  return byLabel;
}

export class FlameChart {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private readonly matchCount: HTMLElement;
  private readonly searchField: HTMLElement & { value: string };
  private readonly resizeObserver: ResizeObserver;
  private view: { startMs: number; endMs: number };
  private search = '';
  private matches = new Set<number>();
  private hover: FlameBox | undefined;
  private pointer: { x: number; y: number; clientX: number; clientY: number } | undefined;
  private drag: { x: number; startMs: number; endMs: number; moved: boolean } | undefined;
  private frame = 0;
  private readonly paint: (box: FlameBox, theme: ThemeColors) => Paint;
  private readonly textWidths = new Map<string, number>();
  private workloads: string[];
  private lastExamined = 0;
  /** Distinct paints of this model under the current theme, and each row's running time per paint. */
  private paints: Paint[] = [];
  private prefix!: CategoryPrefix;

  constructor(
    private readonly model: FlameModel,
    private theme: ThemeColors,
    private readonly options: FlameChartOptions,
  ) {
    this.paint = options.paint ?? defaultPaint(model);
    this.workloads = [...new Set(model.boxes.map((b) => b.workload).filter((w): w is string => !!w))];
    this.indexPaints();
    const s = options.state;
    this.view = clampView(s?.startMs ?? 0, s?.endMs ?? model.totalMs, model.totalMs);
    this.canvas = h('canvas', { tabindex: 0, role: 'img', 'aria-label': options.ariaLabel, class: 'flame-canvas' });
    // Geometry and each pass's share of the pass row's time, for checks that read the drawn pixels (the e2e test).
    Object.assign(this.canvas.dataset, { rowHeight: String(ROW_H), axisHeight: String(AXIS_H), gutter: String(GUTTER), passShares: JSON.stringify(passTimeShares(model)) });
    this.tooltip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
    this.matchCount = h('span', { class: 'match-count', 'aria-live': 'polite' });
    this.searchField = h(TAG.textField, { placeholder: 'Search kernels, passes, layers', 'aria-label': 'Search the flame chart', class: 'search' }) as HTMLElement & { value: string };
    const reset = h(TAG.button, { appearance: 'secondary', title: 'Show the whole run (Esc)' }, 'Reset zoom');
    reset.addEventListener('click', () => this.reset());
    const exportButton = h(TAG.button, { appearance: 'secondary', title: 'Save this view of the chart as a PNG image' }, 'Export PNG');
    exportButton.addEventListener('click', () => options.onExport?.(this.toPng()));
    this.searchField.addEventListener('input', () => this.setSearch(this.searchField.value));
    const help = h('span', { class: 'help' }, 'Wheel or W/S: zoom · drag or A/D: pan · click: focus · Esc: reset');
    const legend = h('div', { class: 'legend', 'aria-label': 'Legend' });
    const wrap = h('div', { class: 'canvas-wrap' }, this.canvas, this.tooltip);
    this.el = h('div', { class: 'flame' }, h('div', { class: 'toolbar' }, this.searchField, this.matchCount, reset, exportButton, help), wrap, legend);
    this.renderLegend(legend);
    this.bindEvents();
    this.resizeObserver = new ResizeObserver(() => this.scheduleDraw());
    this.resizeObserver.observe(wrap);
    if (s?.search) {
      this.searchField.value = s.search;
      this.setSearch(s.search);
    }
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.indexPaints();
    this.renderLegend(this.el.querySelector('.legend') as HTMLElement);
    this.scheduleDraw();
  }

  /** Boxes examined by the last draw (for the e2e test and the dev page: proof the query stays small). */
  get examined(): number {
    return this.lastExamined;
  }

  toPng(): string {
    this.draw();
    return this.canvas.toDataURL('image/png');
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    cancelAnimationFrame(this.frame);
  }

  /** Paints depend on the theme: index them (and the per-row running times) again when it changes. */
  private indexPaints(): void {
    const index = new Map<string, number>();
    this.paints = [];
    const categoryOf = (box: FlameBox) => {
      const p = this.paint(box, this.theme);
      const key = `${p.color}|${p.alpha}`;
      let i = index.get(key);
      if (i === undefined) {
        index.set(key, (i = this.paints.length));
        this.paints.push(p);
      }
      return i;
    };
    // Two passes: the first finds the categories, the second builds the sums with their final count.
    for (const box of this.model.boxes) categoryOf(box);
    this.prefix = buildCategoryPrefix(this.model, categoryOf, Math.max(1, this.paints.length));
  }

  private renderLegend(legend: HTMLElement): void {
    const items = this.options.legend?.(this.theme) ?? this.defaultLegend();
    legend.replaceChildren(
      ...items.map(({ label, paint }) => {
        const swatch = h('canvas', { width: 12, height: 12, class: 'swatch', 'aria-hidden': 'true' });
        const ctx = swatch.getContext('2d');
        if (ctx) {
          ctx.globalAlpha = paint.alpha;
          ctx.fillStyle = paint.color;
          ctx.fillRect(0, 0, 12, 12);
        }
        return h('span', { class: 'legend-item' }, swatch, label);
      }),
    );
  }

  private defaultLegend(): { label: string; paint: Paint }[] {
    const seen = new Map<string, Paint>();
    for (const b of this.model.boxes) {
      if (b.kind !== 'kernel' && b.kind !== 'pass') continue;
      const key = `${b.kind === 'kernel' ? 'kernel' : 'pass'} ${b.label}`;
      if (!seen.has(key)) seen.set(key, this.paint(b, this.theme));
    }
    return [...seen].map(([label, paint]) => ({ label, paint }));
  }

  private setSearch(query: string): void {
    this.search = query;
    this.matches = searchBoxes(this.model, query);
    this.matchCount.textContent = query.trim() ? `${this.matches.size} match${this.matches.size === 1 ? '' : 'es'}` : '';
    this.emitState();
    this.scheduleDraw();
  }

  private reset(): void {
    this.view = clampView(0, this.model.totalMs, this.model.totalMs);
    this.emitState();
    this.scheduleDraw();
  }

  private emitState(): void {
    this.options.onState?.({ ...this.view, search: this.search });
  }

  private plotWidth(): number {
    return Math.max(1, this.canvas.clientWidth - GUTTER);
  }

  private timeAt(x: number): number {
    const { startMs, endMs } = this.view;
    return startMs + ((x - GUTTER) / this.plotWidth()) * (endMs - startMs);
  }

  private zoom(factor: number, anchorX?: number): void {
    const x = anchorX ?? this.pointer?.x ?? GUTTER + this.plotWidth() / 2;
    this.view = zoomView(this.view, this.timeAt(Math.max(GUTTER, x)), factor, this.model.totalMs);
    this.emitState();
    this.scheduleDraw();
  }

  private pan(fraction: number): void {
    const span = this.view.endMs - this.view.startMs;
    this.view = clampView(this.view.startMs + fraction * span, this.view.endMs + fraction * span, this.model.totalMs);
    this.emitState();
    this.scheduleDraw();
  }

  private focusBox(box: FlameBox): void {
    const margin = box.durationMs * 0.05;
    this.view = clampView(box.startMs - margin, box.startMs + box.durationMs + margin, this.model.totalMs);
    this.emitState();
    this.scheduleDraw();
  }

  private boxUnder(x: number, y: number): FlameBox | undefined {
    if (x < GUTTER || y < AXIS_H) return undefined;
    const row = Math.floor((y - AXIS_H) / ROW_H);
    return boxAt(this.model, row, this.timeAt(x));
  }

  private bindEvents(): void {
    const c = this.canvas;
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) this.pan((e.deltaX || e.deltaY) / 1000);
        else this.zoom(Math.exp(e.deltaY * 0.002), e.offsetX);
      },
      { passive: false },
    );
    c.addEventListener('pointerdown', (e) => {
      c.setPointerCapture(e.pointerId);
      this.drag = { x: e.offsetX, ...this.view, moved: false };
    });
    c.addEventListener('pointermove', (e) => {
      this.pointer = { x: e.offsetX, y: e.offsetY, clientX: e.clientX, clientY: e.clientY };
      if (this.drag) {
        const dx = e.offsetX - this.drag.x;
        if (Math.abs(dx) > 3) this.drag.moved = true;
        if (this.drag.moved) {
          const msPerPx = (this.drag.endMs - this.drag.startMs) / this.plotWidth();
          this.view = clampView(this.drag.startMs - dx * msPerPx, this.drag.endMs - dx * msPerPx, this.model.totalMs);
          this.scheduleDraw();
        }
      }
      this.setHover(this.boxUnder(e.offsetX, e.offsetY));
    });
    c.addEventListener('pointerup', (e) => {
      const drag = this.drag;
      this.drag = undefined;
      if (drag?.moved) this.emitState();
      else {
        const box = this.boxUnder(e.offsetX, e.offsetY);
        if (box) this.focusBox(box);
      }
    });
    c.addEventListener('pointerleave', () => {
      this.pointer = undefined;
      this.setHover(undefined);
    });
    c.addEventListener('keydown', (e) => {
      const k = e.key.toLowerCase();
      const actions: Record<string, () => void> = {
        w: () => this.zoom(0.8),
        '+': () => this.zoom(0.8),
        '=': () => this.zoom(0.8),
        s: () => this.zoom(1.25),
        '-': () => this.zoom(1.25),
        a: () => this.pan(-0.1),
        arrowleft: () => this.pan(-0.1),
        d: () => this.pan(0.1),
        arrowright: () => this.pan(0.1),
        escape: () => this.reset(),
      };
      const act = actions[k];
      if (act && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        act();
      }
    });
  }

  private setHover(box: FlameBox | undefined): void {
    if (box !== this.hover) {
      this.hover = box;
      this.scheduleDraw();
    }
    this.updateTooltip();
  }

  private updateTooltip(): void {
    const box = this.hover;
    const p = this.pointer;
    if (!box || !p || this.drag?.moved) {
      this.tooltip.hidden = true;
      return;
    }
    const lines: (string | HTMLElement)[] = [h('strong', {}, box.label)];
    const where = [box.kind, box.workload, box.layer !== undefined && box.kind !== 'layer' ? `layer ${box.layer}` : undefined].filter(Boolean).join(' · ');
    lines.push(where);
    lines.push(`${formatMs(box.durationMs)} (${(box.durationMs * 1000).toFixed(3)} µs)`);
    if (box.flops !== undefined) {
      const kernelNote = box.kind === 'pass' ? ' (whole kernel)' : '';
      lines.push(`${formatFlops(box.flops)}${kernelNote}, ${formatBytes(box.bytes ?? 0)} moved at minimum`);
      if (box.kind === 'kernel' && box.durationMs > 0) lines.push(`${rate(box.flops / (box.durationMs * 1e-3) / 1e12)} TFLOP/s`);
    }
    if (box.detail) lines.push(box.detail);
    if (this.model.synthetic && box.kind !== 'run') lines.push(h('em', {}, 'Synthetic timeline: each layer repeats its workload’s median iteration; the start time is not a measurement.'));
    const extra = this.options.extraTooltip?.(box);
    if (extra) lines.push(h('span', { class: 'tooltip-extra' }, extra));
    this.tooltip.replaceChildren(...lines.map((l) => h('div', {}, l)));
    this.tooltip.hidden = false;
    placeTooltip(this.tooltip, p.clientX, p.clientY);
  }

  /** Hover, zoom and resize redraw at most once per animation frame. */
  scheduleDraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private measure(ctx: CanvasRenderingContext2D, text: string): number {
    let w = this.textWidths.get(text);
    if (w === undefined) {
      w = ctx.measureText(text).width;
      if (this.textWidths.size > 10_000) this.textWidths.clear();
      this.textWidths.set(text, w);
    }
    return w;
  }

  private draw(): void {
    const cssW = this.canvas.parentElement?.clientWidth ?? 0;
    if (cssW === 0) return; // hidden tab: drawn when shown (ResizeObserver fires)
    const cssH = AXIS_H + this.model.rows.length * ROW_H + 4;
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(cssW * dpr) || this.canvas.height !== Math.round(cssH * dpr)) {
      this.canvas.width = Math.round(cssW * dpr);
      this.canvas.height = Math.round(cssH * dpr);
      this.canvas.style.width = `${cssW}px`;
      this.canvas.style.height = `${cssH}px`;
      this.textWidths.clear();
    }
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const t = this.theme;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = t.background;
    ctx.fillRect(0, 0, cssW, cssH);
    const plotW = Math.max(1, cssW - GUTTER);
    const x = scaleLinear().domain([this.view.startMs, this.view.endMs]).range([GUTTER, GUTTER + plotW]);
    this.drawAxis(ctx, x, cssW, cssH);

    // Collect visible spans into batches by paint; draw each batch as one path.
    const batches = new Map<string, { paint: Paint; rects: number[] }>();
    const labelled: { span: VisibleSpan; x0: number; w: number; y: number; color: string; alpha: number }[] = [];
    const outlined: { x0: number; w: number; y: number; color: string; width: number }[] = [];
    const searching = this.matches.size > 0 || this.search.trim() !== '';
    this.lastExamined = forEachVisible(this.model, { ...this.view, widthPx: plotW * dpr, minWidthPx: 1 }, (span) => {
      const x0 = Math.max(GUTTER, x(span.startMs));
      const x1 = Math.min(GUTTER + plotW, x(span.endMs));
      const w = Math.max(x1 - x0, 1 / dpr);
      const y = AXIS_H + span.row * ROW_H;
      const matched = searching && span.merged === 1 && this.matches.has(span.first.id);
      const dim = searching && !matched;
      // A merged span (boxes narrower than a pixel) is stacked from the paints of the boxes in it, each as tall as
      // its share of their time: the overview shows what the boxes are made of, whatever the zoom.
      const shares = spanShares(this.prefix, span);
      let top = y + 1;
      const full = ROW_H - 2;
      shares.forEach(([category, share], k) => {
        const paint = this.paints[category] ?? this.paint(span.first, t);
        const alpha = dim ? paint.alpha * 0.25 : paint.alpha;
        const key = `${paint.color}|${alpha}`;
        let batch = batches.get(key);
        if (!batch) batches.set(key, (batch = { paint: { color: paint.color, alpha }, rects: [] }));
        const bottom = k === shares.length - 1 ? y + 1 + full : top + share * full;
        // A 1 px gap between neighbours once boxes are wide enough to read as separate.
        if (bottom > top) batch.rects.push(x0, top, w > 3 ? w - 1 : w, bottom - top);
        top = bottom;
      });
      const paint = this.paints[shares[0][0]] ?? this.paint(span.first, t);
      if (span.merged === 1 && w > 24) labelled.push({ span, x0, w, y, color: paint.color, alpha: paint.alpha });
      if (matched) outlined.push({ x0, w, y, color: t.searchMatch, width: 2 });
      if (span.first.kind === 'layer' && span.merged === 1 && this.workloads.length > 1) {
        // A strip per workload shows the model's local/global (mask pattern) alternation at any zoom.
        const wi = this.workloads.indexOf(span.first.workload ?? '');
        const strip = t.series[(t.series.length - 1 - wi + t.series.length) % t.series.length];
        const sk = `${strip}|1`;
        let sb = batches.get(sk);
        if (!sb) batches.set(sk, (sb = { paint: { color: strip, alpha: 1 }, rects: [] }));
        sb.rects.push(x0, y + ROW_H - 5, w > 3 ? w - 1 : w, 4);
      }
    });
    for (const { paint, rects } of batches.values()) {
      ctx.globalAlpha = paint.alpha;
      ctx.fillStyle = paint.color;
      ctx.beginPath();
      for (let i = 0; i < rects.length; i += 4) ctx.rect(rects[i], rects[i + 1], rects[i + 2], rects[i + 3]);
      ctx.fill();
    }
    ctx.globalAlpha = 1;

    // Labels only where they fit (truncated with an ellipsis when at least a few characters do).
    ctx.font = `${Math.round(t.fontSize * 0.92)}px ${t.fontFamily}`;
    ctx.textBaseline = 'middle';
    const textColors = new Map<string, string>();
    for (const { span, x0, w, y, color, alpha } of labelled) {
      const avail = w - 2 * LABEL_PAD;
      let text = span.first.label;
      if (this.measure(ctx, text) > avail) {
        const ellipsis = '…';
        let n = Math.floor((avail / this.measure(ctx, text)) * text.length);
        while (n > 2 && this.measure(ctx, text.slice(0, n) + ellipsis) > avail) n--;
        if (n <= 2) continue;
        text = text.slice(0, n) + ellipsis;
      }
      // A faint fill shows the page through it: read against the theme's foreground, not the fill's own colour.
      let tc = alpha < 0.6 ? t.foreground : textColors.get(color);
      if (!tc) textColors.set(color, (tc = textOn(color)));
      ctx.fillStyle = searching && !this.matches.has(span.first.id) ? t.foreground : tc;
      ctx.fillText(text, x0 + LABEL_PAD, y + ROW_H / 2);
    }
    for (const o of outlined) {
      ctx.strokeStyle = o.color;
      ctx.lineWidth = o.width;
      ctx.strokeRect(o.x0 + 1, o.y + 2, Math.max(o.w - 2, 1), ROW_H - 4);
    }
    if (this.hover) {
      const b = this.hover;
      const x0 = Math.max(GUTTER, x(b.startMs));
      const x1 = Math.min(GUTTER + plotW, x(b.startMs + b.durationMs));
      ctx.strokeStyle = t.foreground;
      ctx.lineWidth = 2;
      ctx.strokeRect(x0, AXIS_H + b.row * ROW_H + 1, Math.max(x1 - x0, 2), ROW_H - 2);
    }
    // Row names in the gutter.
    ctx.fillStyle = t.background;
    ctx.fillRect(0, AXIS_H, GUTTER - 2, cssH - AXIS_H);
    ctx.fillStyle = t.muted;
    ctx.textAlign = 'left';
    this.model.rows.forEach((row, i) => ctx.fillText(row.label || FLAME_ROWS[i], 4, AXIS_H + i * ROW_H + ROW_H / 2));
  }

  private drawAxis(ctx: CanvasRenderingContext2D, x: ReturnType<typeof scaleLinear<number, number>>, cssW: number, cssH: number): void {
    const t = this.theme;
    const span = this.view.endMs - this.view.startMs;
    const [unit, factor] = span < 2e-3 ? ['ns', 1e6] : span < 2 ? ['µs', 1e3] : span < 2000 ? ['ms', 1] : ['s', 1e-3];
    const ticks = x.ticks(Math.max(2, Math.floor((cssW - GUTTER) / 110)));
    const step = ticks.length > 1 ? (ticks[1] - ticks[0]) * (factor as number) : 1;
    const decimals = Math.max(0, Math.min(9, -Math.floor(Math.log10(step) + 1e-9)));
    ctx.font = `${Math.round(t.fontSize * 0.9)}px ${t.fontFamily}`;
    ctx.textBaseline = 'middle';
    ctx.strokeStyle = t.border;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const tick of ticks) {
      const px = Math.round(x(tick)) + 0.5;
      ctx.moveTo(px, AXIS_H - 6);
      ctx.lineTo(px, cssH);
    }
    ctx.stroke();
    ctx.fillStyle = t.foreground;
    ctx.textAlign = 'center';
    for (const tick of ticks) {
      const px = x(tick);
      const label = (tick * (factor as number)).toFixed(decimals);
      const w = ctx.measureText(label).width;
      if (px - w / 2 < GUTTER) continue;
      ctx.fillText(label, Math.min(px, cssW - w / 2 - 2), AXIS_H / 2);
    }
    ctx.textAlign = 'left';
    ctx.fillStyle = t.background;
    ctx.fillRect(0, 0, GUTTER - 2, AXIS_H);
    ctx.fillStyle = t.muted;
    if (this.model.synthetic) {
      // Two short lines fit the gutter: the axis is laid out from median iterations, not a recorded timeline.
      ctx.fillText('synthetic', 4, AXIS_H / 2 - 6);
      ctx.fillText(`time (${unit})`, 4, AXIS_H / 2 + 7);
    } else ctx.fillText(`GPU time (${unit})`, 4, AXIS_H / 2);
  }
}
