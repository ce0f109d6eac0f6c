/**
 * The flame chart's pan-zoom view: the canvas sized to its container at the device's pixel ratio, wheel, drag and
 * keys moving the Viewport, the box under the pointer, and at most one redraw per animation frame (axis.ts draws
 * the time axis, renderer.ts the boxes). The chart (flameChart.ts) is told of every change and of the hover.
 */
import { scaleLinear } from 'd3';
import { boxAt, type FlameBox, type FlameModel } from '../../../extension/report/flame-model';
import type { ThemeColors } from '../../shared/theme';
import { h } from '../dom';
import { drawTimeAxis } from './axis';
import { indexPaints, passTimeShares, type PaintIndex, type PaintOf } from './paint';
import { AXIS_H, GUTTER, ROW_H, drawBoxes } from './renderer';
import type { Viewport } from './viewport';

export interface Pointer {
  x: number;
  y: number;
  clientX: number;
  clientY: number;
}

export interface PanZoomHooks {
  /** The window moved by a gesture that is over (a drag emits once, at its end). */
  onViewChange(): void;
  /** The box under the pointer (undefined when none, or while dragging). */
  onHover(box: FlameBox | undefined, pointer: Pointer | undefined): void;
  /** What is searched for: matching boxes are outlined, the others dimmed. */
  search(): { active: boolean; matches: ReadonlySet<number> };
}

export class FlamePanZoomView {
  readonly canvas: HTMLCanvasElement;
  private readonly resizeObserver: ResizeObserver;
  private hover: FlameBox | undefined;
  private pointer: Pointer | undefined;
  private drag: { x: number; from: { startMs: number; endMs: number }; moved: boolean } | undefined;
  private frame = 0;
  private readonly textWidths = new Map<string, number>();
  private readonly workloads: string[];
  private paints: PaintIndex;

  constructor(
    private readonly model: FlameModel,
    private readonly paint: PaintOf,
    private theme: ThemeColors,
    private readonly viewport: Viewport,
    private readonly hooks: PanZoomHooks,
    ariaLabel: string,
  ) {
    this.workloads = [...new Set(model.boxes.map((b) => b.workload).filter((w): w is string => !!w))];
    this.paints = indexPaints(model, paint, theme);
    this.canvas = h('canvas', { tabindex: 0, role: 'img', 'aria-label': ariaLabel, class: 'flame-canvas' });
    // Geometry and each pass's share of the pass row's time, for checks that read the drawn pixels (the e2e test).
    Object.assign(this.canvas.dataset, { rowHeight: String(ROW_H), axisHeight: String(AXIS_H), gutter: String(GUTTER), passShares: JSON.stringify(passTimeShares(model)) });
    this.bindEvents();
    this.resizeObserver = new ResizeObserver(() => this.scheduleDraw());
  }

  /** Redraw whenever `container` (the canvas' parent) changes size; a hidden tab draws when shown. */
  observe(container: HTMLElement): void {
    this.resizeObserver.observe(container);
  }

  /** Paints depend on the theme: indexed again (with the per-row running times) when it changes. */
  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.paints = indexPaints(this.model, this.paint, theme);
    this.scheduleDraw();
  }

  toPng(): string {
    this.draw();
    return this.canvas.toDataURL('image/png');
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    cancelAnimationFrame(this.frame);
  }

  /** Hover, zoom and resize redraw at most once per animation frame. */
  scheduleDraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private plotWidth(): number {
    return Math.max(1, this.canvas.clientWidth - GUTTER);
  }

  private timeAt(x: number): number {
    return this.viewport.timeAt(x, GUTTER, this.plotWidth());
  }

  private moved(): void {
    this.hooks.onViewChange();
    this.scheduleDraw();
  }

  private zoom(factor: number, anchorX?: number): void {
    const x = anchorX ?? this.pointer?.x ?? GUTTER + this.plotWidth() / 2;
    this.viewport.zoom(factor, this.timeAt(Math.max(GUTTER, x)));
    this.moved();
  }

  private pan(fraction: number): void {
    this.viewport.pan(fraction);
    this.moved();
  }

  reset(): void {
    this.viewport.reset();
    this.moved();
  }

  private boxUnder(x: number, y: number): FlameBox | undefined {
    if (x < GUTTER || y < AXIS_H) return undefined;
    return boxAt(this.model, Math.floor((y - AXIS_H) / ROW_H), this.timeAt(x));
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
      this.drag = { x: e.offsetX, from: this.viewport.view, moved: false };
    });
    c.addEventListener('pointermove', (e) => {
      this.pointer = { x: e.offsetX, y: e.offsetY, clientX: e.clientX, clientY: e.clientY };
      if (this.drag) {
        const dx = e.offsetX - this.drag.x;
        if (Math.abs(dx) > 3) this.drag.moved = true;
        if (this.drag.moved) {
          this.viewport.dragFrom(this.drag.from, dx, this.plotWidth());
          this.scheduleDraw();
        }
      }
      this.setHover(this.boxUnder(e.offsetX, e.offsetY));
    });
    c.addEventListener('pointerup', (e) => {
      const drag = this.drag;
      this.drag = undefined;
      if (drag?.moved) this.hooks.onViewChange();
      else {
        const box = this.boxUnder(e.offsetX, e.offsetY);
        if (box) {
          this.viewport.focus(box);
          this.moved();
        }
      }
    });
    c.addEventListener('pointerleave', () => {
      this.pointer = undefined;
      this.setHover(undefined);
    });
    c.addEventListener('keydown', (e) => {
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
      const act = actions[e.key.toLowerCase()];
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
    this.hooks.onHover(this.drag?.moved ? undefined : box, this.pointer);
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
    const view = this.viewport.view;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = t.background;
    ctx.fillRect(0, 0, cssW, cssH);
    const plotW = Math.max(1, cssW - GUTTER);
    const x = scaleLinear().domain([view.startMs, view.endMs]).range([GUTTER, GUTTER + plotW]);
    drawTimeAxis(ctx, view, { x, gutter: GUTTER, axisHeight: AXIS_H, width: cssW, height: cssH }, t, this.model.synthetic === true);

    drawBoxes(ctx, {
      model: this.model,
      view,
      x,
      plotWidth: plotW,
      height: cssH,
      dpr,
      theme: t,
      paints: this.paints,
      paint: this.paint,
      workloads: this.workloads,
      search: this.hooks.search(),
      hover: this.hover,
      measure: (text) => this.measure(ctx, text),
    });
  }
}
