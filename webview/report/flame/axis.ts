/**
 * The flame chart's time axis: a unit for the window's span (ns, µs, ms, s), d3's ticks, as many decimals as the
 * tick step needs, drawn on the canvas with the axis title in the gutter.
 */
import { scaleLinear } from 'd3';
import type { ThemeColors } from '../../shared/theme';
import type { TimeWindow } from './viewport';

export interface TimeTicks {
  unit: 'ns' | 'µs' | 'ms' | 's';
  ticks: { ms: number; label: string }[];
}

/** Ticks for a window drawn over `plotWidthPx` pixels: about one per 110 px. */
export function timeTicks(view: TimeWindow, plotWidthPx: number): TimeTicks {
  const span = view.endMs - view.startMs;
  const [unit, factor]: [TimeTicks['unit'], number] = span < 2e-3 ? ['ns', 1e6] : span < 2 ? ['µs', 1e3] : span < 2000 ? ['ms', 1] : ['s', 1e-3];
  const ticks = scaleLinear().domain([view.startMs, view.endMs]).ticks(Math.max(2, Math.floor(plotWidthPx / 110)));
  const step = ticks.length > 1 ? (ticks[1] - ticks[0]) * factor : 1;
  const decimals = Math.max(0, Math.min(9, -Math.floor(Math.log10(step) + 1e-9)));
  return { unit, ticks: ticks.map((ms) => ({ ms, label: (ms * factor).toFixed(decimals) })) };
}

export interface AxisGeometry {
  /** Pixel x of a time (ms). */
  x: (ms: number) => number;
  gutter: number;
  axisHeight: number;
  width: number;
  height: number;
}

export function drawTimeAxis(ctx: CanvasRenderingContext2D, view: TimeWindow, g: AxisGeometry, t: ThemeColors, synthetic: boolean): void {
  const { unit, ticks } = timeTicks(view, g.width - g.gutter);
  ctx.font = `${Math.round(t.fontSize * 0.9)}px ${t.fontFamily}`;
  ctx.textBaseline = 'middle';
  ctx.strokeStyle = t.border;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const tick of ticks) {
    const px = Math.round(g.x(tick.ms)) + 0.5;
    ctx.moveTo(px, g.axisHeight - 6);
    ctx.lineTo(px, g.height);
  }
  ctx.stroke();
  ctx.fillStyle = t.foreground;
  ctx.textAlign = 'center';
  for (const tick of ticks) {
    const px = g.x(tick.ms);
    const w = ctx.measureText(tick.label).width;
    if (px - w / 2 < g.gutter) continue;
    ctx.fillText(tick.label, Math.min(px, g.width - w / 2 - 2), g.axisHeight / 2);
  }
  ctx.textAlign = 'left';
  ctx.fillStyle = t.background;
  ctx.fillRect(0, 0, g.gutter - 2, g.axisHeight);
  ctx.fillStyle = t.muted;
  if (synthetic) {
    // Two short lines fit the gutter: the axis is laid out from median iterations, not a recorded timeline.
    ctx.fillText('synthetic', 4, g.axisHeight / 2 - 6);
    ctx.fillText(`time (${unit})`, 4, g.axisHeight / 2 + 7);
  } else ctx.fillText(`GPU time (${unit})`, 4, g.axisHeight / 2);
}
