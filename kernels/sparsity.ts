/**
 * Block skipping, counted on the host: which (query tile, key tile) pairs a fused kernel computes, decided by the
 * same rule the kernel applies before it loads a tile (kernels/mask.ts is the port of wgsl/mask.wgsl), with the
 * kernel's own tile sizes (its `tileSchedule` hook). Nothing here is measured: it is the work the kernel does.
 */
import type { AttentionProblem } from './problem';
import { rowsHull, tileVisible, visibleKeyCount } from './mask';

/** How a fused kernel walks the score matrix (what `AttentionKernel.tileSchedule` returns). */
export interface TileSchedule {
  /** Query rows per tile (one workgroup's rows). */
  rows: number;
  /** Keys per K/V tile. */
  keys: number;
  /**
   * true: a tile holds `rows` consecutive slots (query head of the GQA group, position) of one key/value head,
   * so a tile may span two heads (its positions are then 0..Nq−1); false: `rows` positions of one query head.
   */
  groupSlots: boolean;
  /** Keys per split when the keys are split over workgroups (decode); 0 = not split. */
  splitKeys: number;
}

export interface BlockWork {
  /** Visible (query, key) pairs over every batch row and query head, all masks applied. */
  visiblePairs: number;
  /** B·Hq·Nq·Nk. */
  densePairs: number;
  /** visiblePairs / densePairs. */
  visibleFraction: number;
  /** (query tile, key tile) pairs the kernel computes, over every batch row and head. */
  tilesComputed: number;
  /** What a kernel without skipping computes: every query tile × ⌈Nk / keys⌉ key tiles. */
  tilesTotal: number;
  tileFraction: number;
  /** 4·D per (live query row, key) of every computed tile: QKᵀ and P·V as executed. */
  flopsDone: number;
  /** 4·B·Hq·Nq·Nk·D. */
  flopsDense: number;
  /** The tile the counts are in, e.g. "64×32" (query rows × keys); absent for a kernel that materialises S. */
  tile?: string;
}

/** Batch rows whose masks differ (key lengths, documents) are counted one by one; otherwise row 0 stands for all. */
function distinctBatches(p: AttentionProblem): number[] {
  return p.kvLens || p.docBounds ? Array.from({ length: p.batch }, (_, b) => b) : [0];
}

export function blockWork(p: AttentionProblem, schedule?: TileSchedule): BlockWork {
  const batches = distinctBatches(p);
  const weight = batches.length === 1 ? p.batch : 1;
  const densePairs = p.batch * p.heads * p.seqLenQ * p.seqLenK;
  const flopsDense = 4 * densePairs * p.headDim;
  let visible = 0;
  for (const b of batches) {
    for (let i = 0; i < p.seqLenQ; i++) visible += visibleKeyCount(p, b, i);
  }
  const visiblePairs = visible * weight * p.heads;
  const base = { visiblePairs, densePairs, visibleFraction: densePairs ? visiblePairs / densePairs : 0, flopsDense };
  if (!schedule) {
    return { ...base, tilesComputed: 1, tilesTotal: 1, tileFraction: 1, flopsDone: flopsDense };
  }
  const { rows, keys, groupSlots, splitKeys } = schedule;
  const group = p.heads / p.kvHeads;
  const slots = groupSlots ? group * p.seqLenQ : p.seqLenQ;
  // A tile of slots shares one head's key tiles: `copies` such head groups per batch row.
  const copies = groupSlots ? p.kvHeads : p.heads;
  const keyTiles = Math.ceil(p.seqLenK / keys);
  const blocks = Math.ceil(slots / rows);
  let computed = 0;
  let pairsDone = 0;
  for (const b of batches) {
    for (let x = 0; x < blocks; x++) {
      const slot0 = x * rows;
      const slotLast = Math.min(slot0 + rows, slots) - 1;
      const spans = Math.floor(slot0 / p.seqLenQ) !== Math.floor(slotLast / p.seqLenQ);
      const iFirst = spans ? 0 : slot0 % p.seqLenQ;
      const iLast = spans ? p.seqLenQ - 1 : slotLast % p.seqLenQ;
      const live = slotLast - slot0 + 1;
      const [lo, hi] = rowsHull(p, b, iFirst, iLast);
      const splits = splitKeys > 0 ? Math.ceil(p.seqLenK / splitKeys) : 1;
      for (let z = 0; z < splits; z++) {
        const kStart = splitKeys > 0 ? Math.max(lo, z * splitKeys) : lo;
        const kEnd = splitKeys > 0 ? Math.min(hi, (z + 1) * splitKeys) : hi;
        for (let t0 = Math.floor(kStart / keys) * keys; t0 < kEnd; t0 += keys) {
          const t1 = Math.min(t0 + keys, p.seqLenK) - 1;
          if (!tileVisible(p, b, iFirst, iLast, t0, t1)) continue;
          computed++;
          pairsDone += live * (t1 - t0 + 1);
        }
      }
    }
  }
  const tilesComputed = computed * weight * copies;
  const tilesTotal = blocks * keyTiles * p.batch * copies;
  return {
    ...base,
    tilesComputed,
    tilesTotal,
    tileFraction: tilesTotal ? tilesComputed / tilesTotal : 0,
    flopsDone: 4 * pairsDone * weight * copies * p.headDim,
    tile: `${rows}×${keys}`,
  };
}
