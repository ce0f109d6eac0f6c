/**
 * Which layers are local (sliding window) and which global, without an array per layer: a config may state
 * 2^32 layers. A pattern is a list of runs repeated cyclically until `layers` layers are covered
 * (Gemma-2: [local × 1, global × 1]; Qwen2 with max_window_layers 28 of 32: [global × 28, local × 4]).
 */
import type { LayerKind, LayerRun, ModelAttention } from './types';

type Layered = Pick<ModelAttention, 'layers' | 'slidingWindow' | 'layerPattern'>;

/** Run-length encoding of a list of kinds (adjacent equal kinds merged). */
export function runsOf(kinds: Iterable<LayerKind>): LayerRun[] {
  const runs: LayerRun[] = [];
  for (const kind of kinds) {
    const last = runs[runs.length - 1];
    if (last?.kind === kind) last.count++;
    else runs.push({ kind, count: 1 });
  }
  return runs;
}

function period(runs: readonly LayerRun[]): number {
  return runs.reduce((s, r) => s + r.count, 0);
}

/** How many of `layers` layers each kind covers when `runs` repeat cyclically (kinds in first-seen order). */
export function countKinds(runs: readonly LayerRun[], layers: number): Map<LayerKind, number> {
  const out = new Map<LayerKind, number>();
  const p = period(runs);
  if (p <= 0 || layers <= 0) return out;
  const full = Math.floor(layers / p);
  let rest = layers - full * p;
  for (const r of runs) {
    const partial = Math.min(r.count, rest);
    rest -= partial;
    out.set(r.kind, (out.get(r.kind) ?? 0) + r.count * full + partial);
  }
  for (const [k, n] of out) if (n === 0) out.delete(k);
  return out;
}

/** Layers per kind of a model: one kind (local when a window is set) unless a pattern says otherwise. */
export function layerCounts(m: Layered): Map<LayerKind, number> {
  if (m.layerPattern?.length) return countKinds(m.layerPattern, m.layers);
  return m.layers > 0 ? new Map([[m.slidingWindow > 0 ? 'local' : 'global', m.layers]]) : new Map();
}

/**
 * Layer indices of each kind, for the report's layer rows. Only for real models: the caller refuses layer
 * counts beyond `limit` before asking (an array per layer of 2^32 layers is what this module avoids).
 */
export function layerIndices(m: Layered, limit: number): Map<LayerKind, number[]> {
  if (m.layers > limit) throw new RangeError(`${m.layers} layers is over the limit of ${limit}`);
  const out = new Map<LayerKind, number[]>();
  const runs = m.layerPattern?.length ? m.layerPattern : [{ kind: m.slidingWindow > 0 ? 'local' : 'global', count: Math.max(1, m.layers) } as LayerRun];
  if (period(runs) <= 0) return out;
  let i = 0;
  while (i < m.layers) {
    for (const r of runs) {
      let list = out.get(r.kind);
      if (!list) out.set(r.kind, (list = []));
      for (let c = 0; c < r.count && i < m.layers; c++) list.push(i++);
      if (i >= m.layers) break;
    }
  }
  return out;
}

/** "local × 1, global × 1 (repeating)" for text output. */
export function patternText(m: Layered): string {
  if (!m.layerPattern?.length) return '';
  const repeats = period(m.layerPattern) < m.layers;
  return m.layerPattern.map((r) => `${r.kind} × ${r.count}`).join(', ') + (repeats ? ' (repeating)' : '');
}
