/**
 * The flame chart's model on the webview side: how each box is painted under the current theme, and the index of
 * distinct paints with each row's running time per paint (what a merged sub-pixel span is stacked from). The boxes,
 * rows and visibility queries themselves are extension/report/flame-model.ts (the report's, tested there).
 */
import { FLAME_ROWS, buildCategoryPrefix, type CategoryPrefix, type FlameBox, type FlameModel } from '../../../extension/report/flame-model';
import type { ThemeColors } from '../../shared/theme';
import { kernelColor, mixColors } from '../colors';

export interface Paint {
  color: string;
  alpha: number;
}

export type PaintOf = (box: FlameBox, theme: ThemeColors) => Paint;

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
export function defaultPaint(model: FlameModel): PaintOf {
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

/** The distinct paints of a model under one theme, and each row's running time per paint. Rebuilt on a theme change. */
export interface PaintIndex {
  paints: Paint[];
  prefix: CategoryPrefix;
}

export function indexPaints(model: FlameModel, paint: PaintOf, theme: ThemeColors): PaintIndex {
  const index = new Map<string, number>();
  const paints: Paint[] = [];
  const categoryOf = (box: FlameBox) => {
    const p = paint(box, theme);
    const key = `${p.color}|${p.alpha}`;
    let i = index.get(key);
    if (i === undefined) {
      index.set(key, (i = paints.length));
      paints.push(p);
    }
    return i;
  };
  // Two passes: the first finds the categories, the second builds the sums with their final count.
  for (const box of model.boxes) categoryOf(box);
  return { paints, prefix: buildCategoryPrefix(model, categoryOf, Math.max(1, paints.length)) };
}
