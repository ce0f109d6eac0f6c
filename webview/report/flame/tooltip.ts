/**
 * The flame chart's tooltip: what it says about a box (pure text, tested), and the element that shows it next to
 * the pointer (placed by the charts' shared placeTooltip).
 */
import type { FlameBox } from '../../../extension/report/flame-model';
import { formatBytes, formatFlops, formatMs, formatRate } from '../../../kernels/units';
import { h } from '../dom';
import { placeTooltip } from '../tooltip';

export interface TooltipLine {
  text: string;
  /** title: the box's name; note: a caveat; extra: the caller's line (the differential chart's change). */
  style?: 'title' | 'note' | 'extra';
}

export function tooltipLines(box: FlameBox, synthetic: boolean, extra?: string): TooltipLine[] {
  const lines: TooltipLine[] = [{ text: box.label, style: 'title' }];
  lines.push({ text: [box.kind, box.workload, box.layer !== undefined && box.kind !== 'layer' ? `layer ${box.layer}` : undefined].filter(Boolean).join(' · ') });
  lines.push({ text: `${formatMs(box.durationMs)} (${(box.durationMs * 1000).toFixed(3)} µs)` });
  if (box.flops !== undefined) {
    const kernelNote = box.kind === 'pass' ? ' (whole kernel)' : '';
    lines.push({ text: `${formatFlops(box.flops)}${kernelNote}, ${formatBytes(box.bytes ?? 0)} moved at minimum` });
    if (box.kind === 'kernel' && box.durationMs > 0) lines.push({ text: `${formatRate(box.flops / (box.durationMs * 1e-3) / 1e12)} TFLOP/s` });
  }
  if (box.detail) lines.push({ text: box.detail });
  if (synthetic && box.kind !== 'run') lines.push({ text: 'Synthetic timeline: each layer repeats its workload’s median iteration; the start time is not a measurement.', style: 'note' });
  if (extra) lines.push({ text: extra, style: 'extra' });
  return lines;
}

export class FlameTooltip {
  readonly el: HTMLElement = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });

  show(lines: readonly TooltipLine[], clientX: number, clientY: number): void {
    const node = (l: TooltipLine): HTMLElement | string =>
      l.style === 'title' ? h('strong', {}, l.text) : l.style === 'note' ? h('em', {}, l.text) : l.style === 'extra' ? h('span', { class: 'tooltip-extra' }, l.text) : l.text;
    this.el.replaceChildren(...lines.map((l) => h('div', {}, node(l))));
    this.el.hidden = false;
    placeTooltip(this.el, clientX, clientY);
  }

  hide(): void {
    this.el.hidden = true;
  }
}
