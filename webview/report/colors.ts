/**
 * Colour arithmetic for the charts: theme colours arrive as any CSS colour (`#rgb`, `#rrggbbaa`, `rgb()`), so
 * they are normalised through a 2D canvas before mixing. Used to derive extra, still theme-following hues
 * (cyan from blue and green, pink from red and purple) where the six chart colours are not enough.
 */

import type { ThemeColors } from '../shared/theme';

let scratch: CanvasRenderingContext2D | null | undefined;

/** [r, g, b] of any CSS colour the canvas understands; black when it cannot be read. */
export function rgbOf(color: string): [number, number, number] {
  if (scratch === undefined) {
    const c = document.createElement('canvas');
    c.width = c.height = 1;
    scratch = c.getContext('2d');
  }
  const hex = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(color.trim());
  if (hex) return [0, 2, 4].map((i) => Number.parseInt(hex[1].slice(i, i + 2), 16)) as [number, number, number];
  if (!scratch) return [0, 0, 0];
  scratch.fillStyle = '#000';
  scratch.fillStyle = color;
  const v = scratch.fillStyle;
  if (v.startsWith('#')) return [1, 3, 5].map((i) => Number.parseInt(v.slice(i, i + 2), 16)) as [number, number, number];
  const m = v.match(/[\d.]+/g);
  return m && m.length >= 3 ? [Number(m[0]), Number(m[1]), Number(m[2])] : [0, 0, 0];
}

/** `a` moved a fraction `t` (0–1) of the way to `b`, as #rrggbb (alpha dropped: chart fills are opaque). */
export function mixColors(a: string, b: string, t: number): string {
  const x = rgbOf(a);
  const y = rgbOf(b);
  return `#${x.map((v, i) => Math.round(v + (y[i] - v) * t).toString(16).padStart(2, '0')).join('')}`;
}

/** One colour per kernel in every chart (naive orange, flash green, the others from the series in order). */
export function kernelColor(kernel: string, kernels: string[], t: ThemeColors): string {
  if (kernel === 'naive') return t.orange;
  if (kernel === 'flash') return t.green;
  return t.series[(kernels.indexOf(kernel) + 2) % t.series.length];
}
