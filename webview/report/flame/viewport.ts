/**
 * The pan-zoom state of the flame chart: the visible time window and the maths that moves it (wheel and key zoom
 * about an anchor, pan by a fraction of the window, drag, focus on a box, reset), clamped by flame-model's
 * clampView/zoomView for float precision. No DOM: the view maps pixels to times through `timeAt`.
 */
import { clampView, zoomView, type FlameBox } from '../../../extension/report/flame-model';

export interface TimeWindow {
  startMs: number;
  endMs: number;
}

export class Viewport {
  private window: TimeWindow;

  constructor(
    private readonly totalMs: number,
    initial?: Partial<TimeWindow>,
  ) {
    this.window = clampView(initial?.startMs ?? 0, initial?.endMs ?? totalMs, totalMs);
  }

  get view(): TimeWindow {
    return { ...this.window };
  }

  /** The time under pixel `x` of a plot that starts at `left` and is `width` pixels wide. */
  timeAt(x: number, left: number, width: number): number {
    const { startMs, endMs } = this.window;
    return startMs + ((x - left) / Math.max(1, width)) * (endMs - startMs);
  }

  /** factor < 1 zooms in, keeping `anchorMs` where it is on screen. */
  zoom(factor: number, anchorMs: number): void {
    this.window = zoomView(this.window, anchorMs, factor, this.totalMs);
  }

  /** Moves the window by a fraction of its own span (negative: earlier). */
  pan(fraction: number): void {
    const span = this.window.endMs - this.window.startMs;
    this.window = clampView(this.window.startMs + fraction * span, this.window.endMs + fraction * span, this.totalMs);
  }

  /** A drag of `dx` pixels on a plot `width` wide from the window `from` (taken when the drag began). */
  dragFrom(from: TimeWindow, dx: number, width: number): void {
    const msPerPx = (from.endMs - from.startMs) / Math.max(1, width);
    this.window = clampView(from.startMs - dx * msPerPx, from.endMs - dx * msPerPx, this.totalMs);
  }

  /** The box with a 5 % margin on each side. */
  focus(box: Pick<FlameBox, 'startMs' | 'durationMs'>): void {
    const margin = box.durationMs * 0.05;
    this.window = clampView(box.startMs - margin, box.startMs + box.durationMs + margin, this.totalMs);
  }

  reset(): void {
    this.window = clampView(0, this.totalMs, this.totalMs);
  }
}
