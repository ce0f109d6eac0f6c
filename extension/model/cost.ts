/**
 * Analytic attention cost. FLOPs follow flash-attn's convention: forward = 4·B·Hq·(visible query–key
 * pairs)·D, counting query heads under GQA; masks count only what a query can see. Window W follows
 * kernels/problem.ts: query i sees keys j with i − W < j ≤ i (positions bottom-right aligned).
 */
import { layerCounts } from './layers';
import type { LayerKind, ModelAttention } from './types';

export interface LayerCost {
  kind: LayerKind;
  flops: number;
  /** Q, K, V and O of one layer: B·(2·Hq·Nq + 2·Hkv·Nk)·D·bytes. */
  qkvoBytes: number;
  /** A materialised score matrix (naive attention): B·Hq·Nq·Nk·bytes, masks or not. */
  scoreBytes: number;
  /** Visible (query, key) pairs per batch row and head. */
  visiblePairs: number;
}

/** The cost of one layer of a kind, and how many layers have that kind. */
export interface KindCost extends LayerCost {
  layers: number;
}

export interface ModelCost {
  /** One entry per layer kind (not per layer: a config may state billions), in order of first appearance. */
  perKind: KindCost[];
  totalFlops: number;
  flopsPerLayerMax: number;
  scoreBytesPerLayer: number;
  /** 2·layers·Hkv·D·bytes. */
  kvCacheBytesPerToken: number;
  /** The same with Hkv = Hq. */
  kvCacheBytesPerTokenMha: number;
  /** 1 − Hkv/Hq. */
  gqaSaving: number;
  /** For batch × seqLen tokens; sliding-window layers keep only the window. */
  kvCacheBytesTotal: number;
  /** totalFlops at the measured TFLOP/s, when one is given. */
  estimatedMs?: number;
  batch: number;
  seqLen: number;
  dtypeBytes: number;
}

export interface CostOptions {
  batch?: number;
  seqLen?: number;
  dtypeBytes?: number;
  measuredTflops?: number;
}

/** Σ_{p=0}^{m−1} min(p + 1, W): keys visible to the first m positions (W = ∞ when window is 0). */
function prefixVisible(m: number, window: number): number {
  if (m <= 0) return 0;
  if (window <= 0 || m <= window) return (m * (m + 1)) / 2;
  return (window * (window + 1)) / 2 + (m - window) * window;
}

/** Visible pairs for nq queries over nk keys; queries are aligned to the last keys (bottom-right). */
export function visiblePairs(nq: number, nk: number, causal: boolean, window = 0): number {
  if (nq <= 0 || nk <= 0) return 0;
  if (!causal && window <= 0) return nq * nk;
  // Query i sits at key position p = i + nk − nq; positions p < 0 see nothing.
  return prefixVisible(nk, window) - prefixVisible(Math.max(0, nk - nq), window);
}

export function modelCost(m: ModelAttention, opts: CostOptions = {}): ModelCost {
  const batch = opts.batch ?? m.batch;
  const seqLen = opts.seqLen ?? m.seqLen;
  const bytes = opts.dtypeBytes ?? m.dtypeBytes;
  const empty = m.unsupported !== undefined;
  const hq = empty ? 0 : m.heads;
  const hkv = empty ? 0 : m.kvHeads;
  const d = empty ? 0 : m.headDim;

  const perKind: KindCost[] = [];
  for (const [kind, layers] of empty ? [] : layerCounts(m)) {
    const window = kind === 'local' ? m.slidingWindow : 0;
    const pairs = visiblePairs(seqLen, seqLen, m.causal, window);
    perKind.push({
      kind,
      layers,
      visiblePairs: pairs,
      flops: 4 * batch * hq * pairs * d,
      qkvoBytes: batch * (2 * hq * seqLen + 2 * hkv * seqLen) * d * bytes,
      scoreBytes: batch * hq * seqLen * seqLen * bytes,
    });
  }
  const totalFlops = perKind.reduce((s, l) => s + l.flops * l.layers, 0);
  const perTokenLayer = 2 * hkv * d * bytes;
  const kvCacheBytesTotal = perKind.reduce(
    (s, l) => s + l.layers * perTokenLayer * batch * (l.kind === 'local' && m.slidingWindow > 0 ? Math.min(seqLen, m.slidingWindow) : seqLen),
    0,
  );
  const layers = empty ? 0 : m.layers;
  const cost: ModelCost = {
    perKind,
    totalFlops,
    flopsPerLayerMax: perKind.reduce((s, l) => Math.max(s, l.flops), 0),
    scoreBytesPerLayer: perKind.reduce((s, l) => Math.max(s, l.scoreBytes), 0),
    kvCacheBytesPerToken: 2 * layers * hkv * d * bytes,
    kvCacheBytesPerTokenMha: 2 * layers * hq * d * bytes,
    gqaSaving: hq > 0 ? 1 - hkv / hq : 0,
    kvCacheBytesTotal,
    batch,
    seqLen,
    dtypeBytes: bytes,
  };
  if (opts.measuredTflops !== undefined && opts.measuredTflops > 0) {
    cost.estimatedMs = (totalFlops / (opts.measuredTflops * 1e12)) * 1e3;
  }
  return cost;
}
