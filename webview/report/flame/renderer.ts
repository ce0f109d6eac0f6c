/**
 * Draws the flame chart's boxes on a canvas: the visible spans of each row (flame-model's `forEachVisible` binary-
 * searches each row and merges sub-pixel slivers into one span stacked from its boxes' paints), batched by fill into
 * one path per colour, a label only where it fits, search matches and the hovered box outlined, row names in the
 * gutter. Stateless: the pan-zoom view (panZoomView.ts) owns the canvas, the window and the pointer.
 */
import type { ScaleLinear } from 'd3';
import { FLAME_ROWS, forEachVisible, spanShares, type FlameBox, type FlameModel, type VisibleSpan } from '../../../extension/report/flame-model';
import { textOn, type ThemeColors } from '../../shared/theme';
import type { Paint, PaintIndex, PaintOf } from './paint';
import type { TimeWindow } from './viewport';

export const ROW_H = 22;
export const AXIS_H = 28;
export const GUTTER = 70;
const LABEL_PAD = 4;

export interface FlameFrame {
  model: FlameModel;
  view: TimeWindow;
  /** Time (ms) to pixel x. */
  x: ScaleLinear<number, number>;
  plotWidth: number;
  height: number;
  dpr: number;
  theme: ThemeColors;
  paints: PaintIndex;
  paint: PaintOf;
  /** Workload names in order: a strip per workload under the layer boxes when there are several. */
  workloads: readonly string[];
  search: { active: boolean; matches: ReadonlySet<number> };
  hover: FlameBox | undefined;
  /** Text width in pixels in the current font (cached by the caller). */
  measure: (text: string) => number;
}

export function drawBoxes(ctx: CanvasRenderingContext2D, f: FlameFrame): void {
  const { x, dpr, height: cssH } = f;
  const plotW = f.plotWidth;
  const t = f.theme;
  const view = f.view;
  // Collect visible spans into batches by paint; draw each batch as one path.
  const { paints, prefix } = f.paints;
  const batches = new Map<string, { paint: Paint; rects: number[] }>();
  const labelled: { span: VisibleSpan; x0: number; w: number; y: number; color: string; alpha: number }[] = [];
  const outlined: { x0: number; w: number; y: number; color: string; width: number }[] = [];
  const { active: searching, matches } = f.search;
  forEachVisible(f.model, { ...view, widthPx: plotW * dpr, minWidthPx: 1 }, (span) => {
    const x0 = Math.max(GUTTER, x(span.startMs));
    const x1 = Math.min(GUTTER + plotW, x(span.endMs));
    const w = Math.max(x1 - x0, 1 / dpr);
    const y = AXIS_H + span.row * ROW_H;
    const matched = searching && span.merged === 1 && matches.has(span.first.id);
    const dim = searching && !matched;
    // A merged span (boxes narrower than a pixel) is stacked from the paints of the boxes in it, each as tall as
    // its share of their time: the overview shows what the boxes are made of, whatever the zoom.
    const shares = spanShares(prefix, span);
    let top = y + 1;
    const full = ROW_H - 2;
    shares.forEach(([category, share], k) => {
      const paint = paints[category] ?? f.paint(span.first, t);
      const alpha = dim ? paint.alpha * 0.25 : paint.alpha;
      const key = `${paint.color}|${alpha}`;
      let batch = batches.get(key);
      if (!batch) batches.set(key, (batch = { paint: { color: paint.color, alpha }, rects: [] }));
      const bottom = k === shares.length - 1 ? y + 1 + full : top + share * full;
      // A 1 px gap between neighbours once boxes are wide enough to read as separate.
      if (bottom > top) batch.rects.push(x0, top, w > 3 ? w - 1 : w, bottom - top);
      top = bottom;
    });
    const paint = paints[shares[0][0]] ?? f.paint(span.first, t);
    if (span.merged === 1 && w > 24) labelled.push({ span, x0, w, y, color: paint.color, alpha: paint.alpha });
    if (matched) outlined.push({ x0, w, y, color: t.searchMatch, width: 2 });
    if (span.first.kind === 'layer' && span.merged === 1 && f.workloads.length > 1) {
      // A strip per workload shows the model's local/global (mask pattern) alternation at any zoom.
      const wi = f.workloads.indexOf(span.first.workload ?? '');
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
    if (f.measure(text) > avail) {
      const ellipsis = '…';
      let n = Math.floor((avail / f.measure(text)) * text.length);
      while (n > 2 && f.measure(text.slice(0, n) + ellipsis) > avail) n--;
      if (n <= 2) continue;
      text = text.slice(0, n) + ellipsis;
    }
    // A faint fill shows the page through it: read against the theme's foreground, not the fill's own colour.
    let tc = alpha < 0.6 ? t.foreground : textColors.get(color);
    if (!tc) textColors.set(color, (tc = textOn(color)));
    ctx.fillStyle = searching && !matches.has(span.first.id) ? t.foreground : tc;
    ctx.fillText(text, x0 + LABEL_PAD, y + ROW_H / 2);
  }
  for (const o of outlined) {
    ctx.strokeStyle = o.color;
    ctx.lineWidth = o.width;
    ctx.strokeRect(o.x0 + 1, o.y + 2, Math.max(o.w - 2, 1), ROW_H - 4);
  }
  if (f.hover) {
    const b = f.hover;
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
  f.model.rows.forEach((row, i) => ctx.fillText(row.label || FLAME_ROWS[i], 4, AXIS_H + i * ROW_H + ROW_H / 2));
}
