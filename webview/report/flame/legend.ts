/** The flame chart's legend: one swatch per kernel and pass name (or the caller's items), painted like the boxes. */
import type { FlameModel } from '../../../extension/report/flame-model';
import type { ThemeColors } from '../../shared/theme';
import { h } from '../dom';
import type { Paint, PaintOf } from './paint';

export interface LegendItem {
  label: string;
  paint: Paint;
}

/** "kernel naive", "pass QKᵀ", … in the order they first appear, each with its box's paint. */
export function defaultLegend(model: FlameModel, paint: PaintOf, theme: ThemeColors): LegendItem[] {
  const seen = new Map<string, Paint>();
  for (const b of model.boxes) {
    if (b.kind !== 'kernel' && b.kind !== 'pass') continue;
    const key = `${b.kind === 'kernel' ? 'kernel' : 'pass'} ${b.label}`;
    if (!seen.has(key)) seen.set(key, paint(b, theme));
  }
  return [...seen].map(([label, p]) => ({ label, paint: p }));
}

export function renderLegend(legend: HTMLElement, items: readonly LegendItem[]): void {
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
