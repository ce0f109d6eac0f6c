/**
 * The flame chart's model: rows run → layer → kernel → pass, boxes placed on one GPU time axis (ms).
 * Each model layer gets, for every kernel that ran, that kernel's median iteration (its passes at their GPU
 * timestamp offsets), so the layer's width is what the layer would take with that kernel.
 *
 * Pure (no DOM, no vscode): the webview draws it, the tests dump it as text.
 * Invariant the renderer relies on: inside a row, boxes are sorted by start and do not overlap, so both start
 * and end times are monotonic and the visible range is found by binary search (see `forEachVisible`).
 */
import type { KernelResult, IterationTrace } from './measurements';
import { formatMs, formatPercent } from '../../kernels/units';
import type { ProfileReport, SpecJson, Workload } from './schema';

/** `step`: the forward or the backward part of a training step (children of the kernel's "train step" box). */
export type FlameBoxKind = 'run' | 'layer' | 'kernel' | 'step' | 'pass';

export interface FlameBox {
  /** Index in `FlameModel.boxes` (stable for a model: search results and hover keep it). */
  id: number;
  row: number;
  startMs: number;
  durationMs: number;
  label: string;
  kind: FlameBoxKind;
  /** Identity across reports, for the differential chart: "workload|L3|flash|fused#0". */
  key: string;
  workload?: string;
  layer?: number;
  kernel?: string;
  pass?: string;
  /** FLOPs and bytes of the kernel this box belongs to (passes carry their kernel's totals). */
  flops?: number;
  bytes?: number;
  /** One more line for the tooltip: which iteration, the spread, the mask pattern. */
  detail?: string;
}

export interface FlameRow {
  label: string;
  /** Sorted by start, non-overlapping. */
  boxes: FlameBox[];
}

export interface FlameModel {
  rows: FlameRow[];
  boxes: FlameBox[];
  totalMs: number;
  /** Intervals dropped or clamped while building (negative/NaN GPU durations, overlapping passes). */
  warnings: string[];
  /**
   * The time axis is built, not recorded: every model layer shows the same median iteration of each kernel laid
   * end to end (one iteration was measured per workload, not one per layer). Said on the axis and in tooltips.
   */
  synthetic?: boolean;
  /** Some kernel's boxes come from its per-pass iterations (a GPU timestamp at every pass), not its timed ones. */
  perPass?: boolean;
}

export const FLAME_ROWS = ['run', 'layer', 'kernel', 'pass'] as const;
/**
 * With PyTorch rows in the report, each engine has a lane of two rows: ours ('WebGPU', its passes) and PyTorch's
 * (its backends, and their GPU kernels or CPU ops from torch.profiler).
 */
export const ENGINE_FLAME_ROWS = ['run', 'layer', 'WebGPU', 'pass', 'PyTorch', 'torch op'] as const;
/** In train mode our kernels' boxes are train steps, split into forward and backward before their passes. */
export const TRAIN_FLAME_ROWS = ['run', 'layer', 'train step', 'fwd / bwd', 'pass'] as const;

/** The rows of a model: ours (train mode adds the forward/backward row), then PyTorch's lane when it ran. */
export function flameRows(train: boolean, torchLane: boolean): string[] {
  if (!train) return torchLane ? [...ENGINE_FLAME_ROWS] : [...FLAME_ROWS];
  return torchLane ? ['run', 'layer', 'WebGPU train step', 'fwd / bwd', 'pass', 'PyTorch', 'torch op'] : [...TRAIN_FLAME_ROWS];
}

/** The mask pattern of a workload, as a user reads it in a config. */
export function maskPattern(spec: SpecJson): string {
  const parts: string[] = [];
  if (spec.window > 0) parts.push(`window ${spec.window}`);
  else parts.push(spec.causal ? 'causal' : 'full');
  if (spec.window > 0 && spec.causal) parts.push('causal');
  if (spec.softcap > 0) parts.push(`softcap ${spec.softcap}`);
  return parts.join(', ');
}

/** The iteration whose duration is the median one (a real iteration, so its passes add up). */
export function medianIteration(iterations: readonly IterationTrace[]): { iteration: IterationTrace; index: number } | undefined {
  const valid = iterations
    .map((iteration, index) => ({ iteration, index }))
    .filter((x) => Number.isFinite(x.iteration.durationMs) && x.iteration.durationMs >= 0);
  if (valid.length === 0) return undefined;
  valid.sort((p, q) => p.iteration.durationMs - q.iteration.durationMs);
  return valid[(valid.length - 1) >> 1];
}

/** Builds a model from rows of boxes, checking the row invariant (used by `buildFlameModel` and by tests). */
export class FlameModelBuilder {
  private readonly rows: FlameRow[];
  private readonly boxes: FlameBox[] = [];
  readonly warnings: string[] = [];

  constructor(rowLabels: readonly string[]) {
    this.rows = rowLabels.map((label) => ({ label, boxes: [] }));
  }

  /** Adds a box; drops a bad interval and clamps an overlap (GPU timestamps can be off by a tick). */
  add(box: Omit<FlameBox, 'id'>): FlameBox | undefined {
    const row = this.rows[box.row];
    if (!row) throw new RangeError(`no flame row ${box.row}`);
    if (!Number.isFinite(box.startMs) || !Number.isFinite(box.durationMs) || box.durationMs < 0) {
      this.warnings.push(`dropped ${box.label}: bad interval (${box.startMs}, ${box.durationMs})`);
      return undefined;
    }
    const prev = row.boxes[row.boxes.length - 1];
    let { startMs, durationMs } = box;
    if (prev) {
      const prevEnd = prev.startMs + prev.durationMs;
      if (startMs < prevEnd) {
        const end = startMs + durationMs;
        if (startMs < prev.startMs) throw new RangeError(`flame row ${box.row}: ${box.label} starts before ${prev.label}`);
        // Sub-picosecond overlaps are float rounding of offsets added to the cursor, not a GPU report.
        if (prevEnd - startMs > 1e-9 * Math.max(1, prevEnd)) this.warnings.push(`clamped ${box.label}: overlapped ${prev.label} by ${formatMs(prevEnd - startMs)}`);
        startMs = prevEnd;
        durationMs = Math.max(0, end - prevEnd);
      }
    }
    const full: FlameBox = { ...box, startMs, durationMs, id: this.boxes.length };
    row.boxes.push(full);
    this.boxes.push(full);
    return full;
  }

  build(): FlameModel {
    let totalMs = 0;
    for (const row of this.rows) {
      const last = row.boxes[row.boxes.length - 1];
      if (last) totalMs = Math.max(totalMs, last.startMs + last.durationMs);
    }
    return { rows: this.rows, boxes: this.boxes, totalMs, warnings: this.warnings };
  }
}

interface LayerSlot {
  layer: number | undefined;
  workload: Workload;
}

/** Every model layer in order, each with the workload that stands for it; a plain shape is one unnumbered slot. */
function layerSlots(report: ProfileReport): LayerSlot[] {
  const slots: LayerSlot[] = [];
  for (const workload of report.workloads) {
    if (report.source.kind === 'config' && workload.layers.length > 0) {
      for (const layer of workload.layers) slots.push({ layer, workload });
    } else {
      slots.push({ layer: undefined, workload });
    }
  }
  // Model order: layer 0, 1, 2 … regardless of which workload (local/global) measured it.
  return slots.sort((a, b) => (a.layer ?? -1) - (b.layer ?? -1));
}

function timedResults(w: Workload): { result: KernelResult; iteration: IterationTrace; index: number; of: number; perPass: boolean }[] {
  const out = [];
  for (const result of w.results) {
    if (result.status !== 'ok') continue;
    // A kernel of several passes: the breakdown from its per-pass iterations (its timed ones hold no passes).
    const perPass = result.iterations.filter((it) => it.perPass);
    const drawn = perPass.length ? perPass : result.iterations;
    const m = medianIteration(drawn);
    if (m) out.push({ result, ...m, of: drawn.length, perPass: drawn === perPass });
  }
  return out;
}

export function buildFlameModel(report: ProfileReport): FlameModel {
  const torchLane = report.workloads.some((w) => w.results.some((r) => r.engine === 'pytorch' && r.status === 'ok' && r.iterations.length > 0));
  const train = report.workloads.some((w) => w.results.some((r) => r.engine !== 'pytorch' && r.status === 'ok' && r.iterations.some((it) => it.passes.some((x) => x.step))));
  const b = new FlameModelBuilder(flameRows(train, torchLane));
  // Our lane starts at row 2; PyTorch's follows ours (2 rows, 3 in train mode).
  const torchRow = train ? 5 : 4;
  let cursor = 0;
  let drawnPerPass = false;
  const layerBoxes: Omit<FlameBox, 'id'>[] = [];
  const kernelBoxes: Omit<FlameBox, 'id'>[] = [];
  const stepBoxes: Omit<FlameBox, 'id'>[] = [];
  const passBoxes: Omit<FlameBox, 'id'>[] = [];
  for (const slot of layerSlots(report)) {
    const w = slot.workload;
    const layerKey = `${w.name}|L${slot.layer ?? '-'}`;
    const layerStart = cursor;
    for (const { result: r, iteration: it, index, of: count, perPass } of timedResults(w)) {
      if (perPass) drawnPerPass = true;
      const kernelKey = `${layerKey}|${r.kernel}`;
      const t = r.timings;
      // One lane per engine: ours in rows 2–3 (2–4 with the forward/backward row of train mode), PyTorch's after
      // them (its boxes come from torch.profiler).
      const lane = r.engine === 'pytorch' ? torchRow : 2;
      const steps = r.engine !== 'pytorch' && train;
      const passRow = steps ? lane + 2 : lane + 1;
      const which =
        r.engine === 'pytorch'
          ? `profiled iteration ${index + 1} of ${count} (the median; torch.profiler)`
          : perPass
            ? `per-pass iteration ${index + 1} of ${count} (the median; its timestamp at every pass adds to it)`
            : `iteration ${index + 1} of ${count} (the median)`;
      kernelBoxes.push({
        row: lane,
        startMs: cursor,
        durationMs: it.durationMs,
        label: steps ? `${r.kernel} · train step` : r.kernel,
        kind: 'kernel',
        key: kernelKey,
        workload: w.name,
        layer: slot.layer,
        kernel: r.kernel,
        flops: r.flops,
        bytes: r.bytesMoved,
        detail: `${which}${t ? `; timed median ${formatMs(t.medianMs)}, p10–p90 ${formatMs(t.p10Ms)}–${formatMs(t.p90Ms)}` : ''}`,
      });
      if (steps) {
        for (const step of ['forward', 'backward'] as const) {
          const of = it.passes.filter((x) => x.step === step);
          if (!of.length) continue;
          const start = of[0].startMs;
          const end = Math.max(...of.map((x) => x.startMs + x.durationMs));
          const flops = step === 'forward' ? r.train?.forwardFlops : r.train?.backwardFlops;
          stepBoxes.push({
            row: lane + 1,
            startMs: cursor + (start - it.startMs),
            durationMs: end - start,
            label: step,
            kind: 'step',
            key: `${kernelKey}|${step}`,
            workload: w.name,
            layer: slot.layer,
            kernel: r.kernel,
            ...(flops ? { flops } : {}),
            bytes: r.bytesMoved,
            detail: `${r.kernel} ${step}${step === 'forward' ? ' (keeps what the backward needs)' : ' (dQ, dK, dV from dO)'}${it.durationMs > 0 ? `, ${formatPercent((end - start) / it.durationMs, 1)} of the train step` : ''}`,
          });
        }
      }
      const seen = new Map<string, number>();
      for (const pass of it.passes) {
        const n = seen.get(pass.name) ?? 0;
        seen.set(pass.name, n + 1);
        passBoxes.push({
          row: passRow,
          startMs: cursor + (pass.startMs - it.startMs),
          durationMs: pass.durationMs,
          label: pass.name,
          kind: 'pass',
          key: `${kernelKey}|${pass.name}#${n}`,
          workload: w.name,
          layer: slot.layer,
          kernel: r.kernel,
          pass: pass.name,
          flops: r.flops,
          bytes: r.bytesMoved,
          detail: `${r.kernel} ${r.engine === 'pytorch' ? 'kernel' : 'pass'}${it.durationMs > 0 ? `, ${formatPercent(pass.durationMs / it.durationMs, 1)} of the kernel` : ''}`,
        });
      }
      cursor += it.durationMs;
    }
    if (cursor > layerStart) {
      layerBoxes.push({
        row: 1,
        startMs: layerStart,
        durationMs: cursor - layerStart,
        label: slot.layer === undefined ? w.name : `layer ${slot.layer}`,
        kind: 'layer',
        key: layerKey,
        workload: w.name,
        layer: slot.layer,
        detail: `${w.name}: ${maskPattern(w.spec)}; every kernel that ran, one after another`,
      });
    }
  }
  if (cursor > 0) {
    b.add({ row: 0, startMs: 0, durationMs: cursor, label: report.title, kind: 'run', key: 'run', detail: report.adapter.description });
  }
  for (const box of [...layerBoxes, ...kernelBoxes, ...stepBoxes, ...passBoxes]) b.add(box);
  const model = b.build();
  const slots = layerSlots(report);
  if (slots.length > report.workloads.length) model.synthetic = true;
  if (drawnPerPass) model.perPass = true;
  return model;
}

/** Index of the first box in `boxes` whose end is after `timeMs` (ends are monotonic in a row). */
function firstEndingAfter(boxes: readonly FlameBox[], timeMs: number, count: { n: number }): number {
  let lo = 0;
  let hi = boxes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    count.n++;
    const bx = boxes[mid];
    if (bx.startMs + bx.durationMs <= timeMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Index of the first box starting at or after `timeMs`, searching forward from `from` by galloping (1, 2, 4 …
 * then bisecting), so skipping k slivers costs O(log k) probes rather than O(log n).
 */
function firstStartingAt(boxes: readonly FlameBox[], timeMs: number, from: number, count: { n: number }): number {
  let step = 1;
  let lo = from;
  while (from + step - 1 < boxes.length) {
    count.n++;
    if (boxes[from + step - 1].startMs >= timeMs) break;
    lo = from + step;
    step *= 2;
  }
  let hi = Math.min(from + step - 1, boxes.length);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    count.n++;
    if (boxes[mid].startMs < timeMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface FlameView {
  startMs: number;
  endMs: number;
  /** Width of the chart in (device) pixels: boxes narrower than `minWidthPx` are merged per pixel. */
  widthPx: number;
  minWidthPx?: number;
}

/**
 * A box to draw: a real box, or (`merged` > 1) a run of consecutive boxes each narrower than the minimum width,
 * drawn as one rectangle spanning them. `first` is the first box of the run; `index` its position in its row, so
 * the run is `row.boxes[index … index + merged)` (its colours come from `spanShares`, never from `first` alone).
 */
export interface VisibleSpan {
  first: FlameBox;
  row: number;
  index: number;
  startMs: number;
  endMs: number;
  merged: number;
}

/**
 * Per row, the running total of box durations for each category (a paint: a pass, a kernel, a diff bucket):
 * `sums[(i) * categories + c]` is the time of category c in boxes [0, i). Built once per model and colouring, so a
 * merged span's make-up costs O(categories), not O(boxes in it): the overview stays as cheap as before.
 */
export interface CategoryPrefix {
  categories: number;
  /** Category of each box, by box id. */
  categoryOf: Uint32Array;
  rows: Float64Array[];
}

export function buildCategoryPrefix(model: FlameModel, categoryOf: (box: FlameBox) => number, categories: number): CategoryPrefix {
  const of = new Uint32Array(model.boxes.length);
  for (const box of model.boxes) of[box.id] = categoryOf(box);
  const rows = model.rows.map((row) => {
    const sums = new Float64Array((row.boxes.length + 1) * categories);
    row.boxes.forEach((box, i) => {
      const base = i * categories;
      for (let c = 0; c < categories; c++) sums[base + categories + c] = sums[base + c];
      sums[base + categories + of[box.id]] += box.durationMs;
    });
    return sums;
  });
  return { categories, categoryOf: of, rows };
}

/**
 * What a span is made of: [category, fraction of the span's box time] for each category present, largest first.
 * A box's colour never depends on zoom: a merged span is drawn as these shares (stacked), so a pass that takes
 * 45 % of the kernel shows as 45 % of the ink at any zoom, not as the colour of whichever box came first.
 */
export function spanShares(prefix: CategoryPrefix, span: Pick<VisibleSpan, 'row' | 'index' | 'merged' | 'first'>): [number, number][] {
  if (span.merged === 1) return [[prefix.categoryOf[span.first.id], 1]];
  const sums = prefix.rows[span.row];
  const k = prefix.categories;
  const a = span.index * k;
  const b = (span.index + span.merged) * k;
  let total = 0;
  const out: [number, number][] = [];
  for (let c = 0; c < k; c++) {
    const t = sums[b + c] - sums[a + c];
    if (t > 0) {
      out.push([c, t]);
      total += t;
    }
  }
  // Zero-length boxes only: the first one's category.
  if (total <= 0) return [[prefix.categoryOf[span.first.id], 1]];
  return out.map(([c, t]) => [c, t / total] as [number, number]).sort((x, y) => y[1] - x[1]);
}

/**
 * Calls `visit` for every span in the view; returns how many boxes were examined (binary-search probes included).
 * Cost per row: O(log n + boxes wider than a pixel + pixels × log n), never O(n) when zoomed out: a box narrower
 * than a pixel makes the walk jump (by binary search) to the first box starting in the next pixel.
 */
export function forEachVisible(model: FlameModel, view: FlameView, visit: (span: VisibleSpan) => void): number {
  const count = { n: 0 };
  const span = view.endMs - view.startMs;
  if (!(span > 0) || !(view.widthPx > 0)) return 0;
  const msPerPx = span / view.widthPx;
  const minMs = (view.minWidthPx ?? 1) * msPerPx;
  model.rows.forEach((row, r) => {
    const boxes = row.boxes;
    let i = firstEndingAfter(boxes, view.startMs, count);
    while (i < boxes.length) {
      const box = boxes[i];
      count.n++;
      if (box.startMs >= view.endMs) break;
      const end = box.startMs + box.durationMs;
      if (box.durationMs >= minMs) {
        visit({ first: box, row: r, index: i, startMs: box.startMs, endMs: end, merged: 1 });
        i++;
        continue;
      }
      // A sliver: merge everything that starts before the next pixel boundary into one span.
      const next = firstStartingAt(boxes, box.startMs + minMs, i + 1, count);
      const last = boxes[next - 1];
      visit({ first: box, row: r, index: i, startMs: box.startMs, endMs: Math.max(end, last.startMs + last.durationMs), merged: next - i });
      i = next;
    }
  });
  return count.n;
}

/** The box under a point, or undefined. */
export function boxAt(model: FlameModel, row: number, timeMs: number): FlameBox | undefined {
  const boxes = model.rows[row]?.boxes;
  if (!boxes) return undefined;
  const i = firstEndingAfter(boxes, timeMs, { n: 0 });
  const box = boxes[i];
  return box && box.startMs <= timeMs ? box : undefined;
}

/** Ids of boxes whose label, kernel, pass or workload contains `query` (case-insensitive); empty query: none. */
export function searchBoxes(model: FlameModel, query: string): Set<number> {
  const q = query.trim().toLowerCase();
  const hits = new Set<number>();
  if (!q) return hits;
  for (const box of model.boxes) {
    const text = `${box.label}\n${box.kernel ?? ''}\n${box.pass ?? ''}\n${box.workload ?? ''}`.toLowerCase();
    if (text.includes(q)) hits.add(box.id);
  }
  return hits;
}

/** Zoom limits: never narrower than 1 ns (float precision of ms offsets on long runs) nor wider than the run. */
export const MIN_SPAN_MS = 1e-6;

/** Clamps a view window into [0, totalMs] with a span in [MIN_SPAN_MS, totalMs], keeping its centre if it can. */
export function clampView(startMs: number, endMs: number, totalMs: number): { startMs: number; endMs: number } {
  const total = Math.max(totalMs, MIN_SPAN_MS);
  let span = Math.min(Math.max(endMs - startMs, MIN_SPAN_MS), total);
  if (!Number.isFinite(span)) span = total;
  let start = Number.isFinite(startMs) ? startMs : 0;
  start = Math.min(Math.max(start, 0), total - span);
  return { startMs: start, endMs: start + span };
}

/** Zooms by `factor` (<1 in, >1 out) keeping the time under `anchorMs` where it is on screen. */
export function zoomView(
  view: { startMs: number; endMs: number },
  anchorMs: number,
  factor: number,
  totalMs: number,
): { startMs: number; endMs: number } {
  const start = anchorMs - (anchorMs - view.startMs) * factor;
  const end = anchorMs + (view.endMs - anchorMs) * factor;
  if (end - start < MIN_SPAN_MS) {
    // At the limit, keep the anchor fixed instead of letting the clamp recentre the view.
    const frac = (anchorMs - view.startMs) / (view.endMs - view.startMs);
    return clampView(anchorMs - frac * MIN_SPAN_MS, anchorMs + (1 - frac) * MIN_SPAN_MS, totalMs);
  }
  return clampView(start, end, totalMs);
}

/** Readable text of a model, one box per line, indented by row (tests compare this). */
export function dumpFlameModel(model: FlameModel, digits = 3): string {
  const lines: string[] = [`total ${model.totalMs.toFixed(digits)} ms`];
  const walk = (row: number, from: number, to: number) => {
    const boxes = model.rows[row]?.boxes ?? [];
    for (const box of boxes) {
      const end = box.startMs + box.durationMs;
      if (box.startMs < from - 1e-9 || end > to + 1e-9) continue;
      lines.push(`${'  '.repeat(row)}${box.label} [${box.startMs.toFixed(digits)}–${end.toFixed(digits)}]`);
      walk(row + 1, box.startMs, end);
    }
  };
  walk(0, 0, model.totalMs);
  for (const w of model.warnings) lines.push(`! ${w}`);
  return lines.join('\n');
}
