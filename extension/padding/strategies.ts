/**
 * The padding arithmetic: what each batching strategy processes for n sequences, batch size B and max length
 * L. Pure and exact (integer sums, BigInt where they could pass 2^53). Batches are consecutive groups of B
 * rows; the last one may be short.
 *
 * - fixed: every sequence truncated/padded to L.
 * - dynamic: dataset order, each batch padded to its longest (truncated) sequence.
 * - bucketed: sorted by length, consecutive sorted batches, padded per batch (uniform-length batching).
 * - packed: rows of L tokens holding whole documents end to end, no padding inside a row but the tail; a
 *   sequence longer than L is split (PACKING_POLICY). With document masking every query sees only its own
 *   document, so the masked kernel does exactly the useful work.
 *
 * Truncation: fixed, dynamic and bucketed cut sequences at L (a training cutoff applies whatever the batching;
 * with the default L = the longest length nothing is cut). Packed splits instead, so it keeps every token.
 */
import { ExactSum, pairsOf, ratio } from './exact';
import type { StrategyAnalysis, StrategyName } from './types';

export const PACKING_POLICY =
  'first-fit decreasing: a sequence longer than L first fills ⌊len/L⌋ rows of its own, its remainder is a piece; ' +
  'pieces are placed longest first, each into the first row with room (rows in order of opening), a new row when none has.';

export interface PaddingOptions {
  batchSize: number;
  maxLength: number;
  causal: boolean;
}

/** One batch as the kernels run it: `seqLen` tokens per row, and either each row's length or its documents. */
export type BatchLayout =
  | { kind: 'padded'; seqLen: number; rowLengths: number[] }
  | { kind: 'packed'; seqLen: number; rowDocs: number[][] };

/** A strategy's numbers and a way to lay out any of its batches (for measuring a sample). */
export interface StrategyPlan {
  analysis: StrategyAnalysis;
  batch(index: number): BatchLayout;
  /** Rows and padded length of a batch, without building its layout (memory of every batch of 10M lengths). */
  batchShape(index: number): { rows: number; seqLen: number };
}

export class PaddingError extends Error {
  override name = 'PaddingError';
}

export function validateOptions(o: PaddingOptions): void {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new PaddingError(`batch size must be a positive integer, got ${o.batchSize}.`);
  if (!Number.isInteger(o.maxLength) || o.maxLength < 1) throw new PaddingError(`max length must be a positive integer, got ${o.maxLength}.`);
}

function median(sorted: ArrayLike<number>): number {
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : 0;
}

function paddedLengthSummary(perBatch: Int32Array): StrategyAnalysis['paddedLength'] {
  const s = Int32Array.from(perBatch).sort();
  return { min: s[0] ?? 0, median: median(s), max: s[s.length - 1] ?? 0 };
}

/** fixed, dynamic or bucketed over `order` (lengths in batching order). */
function paddedStrategy(name: StrategyName, order: Int32Array, o: PaddingOptions, fixed: boolean): StrategyPlan {
  const { batchSize: B, maxLength: L, causal } = o;
  const n = order.length;
  const batches = Math.ceil(n / B);
  const useful = new ExactSum();
  const slots = new ExactSum();
  const truncated = new ExactSum();
  const usefulPairs = new ExactSum();
  const unmaskedPairs = new ExactSum();
  const perBatch = new Int32Array(batches);
  for (let b = 0; b < batches; b++) {
    const from = b * B;
    const to = Math.min(n, from + B);
    let longest = 0;
    for (let i = from; i < to; i++) {
      const len = order[i];
      const kept = Math.min(len, L);
      useful.add(kept);
      truncated.add(len - kept);
      usefulPairs.add(pairsOf(kept, causal));
      if (kept > longest) longest = kept;
    }
    const padTo = fixed ? L : longest;
    perBatch[b] = padTo;
    slots.addProduct(to - from, padTo);
    unmaskedPairs.addProduct(to - from, pairsOf(padTo, causal));
  }
  const usefulTokens = useful.value();
  const eff = ratio(usefulPairs.value(), unmaskedPairs.value());
  return {
    analysis: {
      name,
      tokenEfficiency: ratio(usefulTokens, slots.value()),
      attentionEfficiency: eff,
      unmaskedAttentionEfficiency: eff,
      batches,
      rows: n,
      usefulTokens: Number(usefulTokens),
      paddedTokens: Number(slots.value() - usefulTokens),
      truncatedTokens: truncated.toNumber(),
      splitSequences: 0,
      usefulAttentionPairs: usefulPairs.toNumber(),
      unmaskedAttentionPairs: unmaskedPairs.toNumber(),
      paddedLength: paddedLengthSummary(perBatch),
    },
    batch(index) {
      if (!(index >= 0 && index < batches)) throw new RangeError(`${name} has no batch ${index}.`);
      const from = index * B;
      const rowLengths = Array.from(order.subarray(from, Math.min(n, from + B)), (len) => Math.min(len, L));
      return { kind: 'padded', seqLen: perBatch[index], rowLengths };
    },
    batchShape(index) {
      return { rows: Math.min(n, (index + 1) * B) - index * B, seqLen: perBatch[index] };
    },
  };
}

/**
 * A sorted ascending copy of positive lengths: a counting sort when the values are small next to their
 * number (10M lengths under 64k tokens: linear, a second faster than a comparison sort), else a native sort.
 */
export function sortedLengths(a: ArrayLike<number>): Int32Array {
  let max = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
  if (a.length < 4096 || max > 4 * a.length || max > 1 << 24) return Int32Array.from(a).sort();
  const counts = new Int32Array(max + 1);
  for (let i = 0; i < a.length; i++) counts[a[i]]++;
  const out = new Int32Array(a.length);
  let at = 0;
  for (let v = 0; v <= max; v++) {
    const c = counts[v];
    if (c) {
      out.fill(v, at, at + c);
      at += c;
    }
  }
  return out;
}

/** Rows of packed documents: `rowOfPiece[i]` is the row of piece `pieces[i]`; rows in order of opening. */
export interface Packing {
  rows: number;
  /** Piece lengths in placement order (full rows of split sequences first, then the rest longest first). */
  pieces: Int32Array;
  rowOfPiece: Int32Array;
  /** Tokens used per row. */
  rowFill: Int32Array;
  splitSequences: number;
}

/**
 * First-fit decreasing (PACKING_POLICY) with a max-segment tree over rows' free space: the first row with
 * room for a piece is found in O(log rows), so a million sequences pack in well under a second.
 */
export function packRows(lengths: ArrayLike<number>, L: number): Packing {
  let fullRows = 0;
  let splitSequences = 0;
  let restCount = 0;
  for (let i = 0; i < lengths.length; i++) {
    const len = lengths[i];
    if (len > L) splitSequences++;
    fullRows += Math.floor(len / L);
    if (len % L) restCount++;
  }
  const pieceCount = fullRows + restCount;
  const pieces = new Int32Array(pieceCount);
  const rowOfPiece = new Int32Array(pieceCount);
  pieces.fill(L, 0, fullRows);
  for (let i = 0; i < fullRows; i++) rowOfPiece[i] = i;
  // The remainders are placed in order longest first, so they are sorted where they end up: in `pieces`.
  const rest = pieces.subarray(fullRows);
  let r = 0;
  for (let i = 0; i < lengths.length; i++) if (lengths[i] % L) rest[r++] = lengths[i] % L;
  sortDescendingInPlace(rest, L);

  // Leaves: free space of rows fullRows.. (at most one row per piece); every unopened row has L free. A
  // row's fill is L minus its leaf, so no separate array of fills is kept (10M lengths: 40 MB less).
  let size = 1;
  while (size < Math.max(1, restCount)) size *= 2;
  const tree = new Int32Array(2 * size).fill(L);
  let opened = 0;
  for (let p = 0; p < restCount; p++) {
    const len = rest[p];
    if (2 * len > L && tree[1] < len) {
      // A run of equal pieces longer than L/2 that fits in no open row: each opens a row of its own (no
      // row can take two, and the rows they leave have less than len free). Opened in bulk: 10M lengths
      // would otherwise pay a tree walk per piece.
      let end = p;
      while (end < restCount && rest[end] === len) end++;
      for (let q = p; q < end; q++) {
        const leaf = opened + q - p;
        tree[size + leaf] = L - len;
        rowOfPiece[fullRows + q] = fullRows + leaf;
      }
      let lo = size + opened;
      let hi = size + opened + (end - p) - 1;
      opened += end - p;
      while (lo > 1) {
        lo >>= 1;
        hi >>= 1;
        for (let node = lo; node <= hi; node++) tree[node] = Math.max(tree[2 * node], tree[2 * node + 1]);
      }
      p = end - 1;
      continue;
    }
    let node = 1;
    while (node < size) node = tree[2 * node] >= len ? 2 * node : 2 * node + 1;
    const leaf = node - size;
    tree[node] -= len;
    for (node >>= 1; node >= 1; node >>= 1) tree[node] = Math.max(tree[2 * node], tree[2 * node + 1]);
    if (leaf + 1 > opened) opened = leaf + 1;
    rowOfPiece[fullRows + p] = fullRows + leaf;
  }
  const rows = fullRows + opened;
  const rowFill = new Int32Array(rows);
  rowFill.fill(L, 0, fullRows);
  for (let leaf = 0; leaf < opened; leaf++) rowFill[fullRows + leaf] = L - tree[size + leaf];
  return { rows, pieces, rowOfPiece, rowFill, splitSequences };
}

/** Sorts values in [0, max] descending, in place: counting when max is small next to their number. */
function sortDescendingInPlace(a: Int32Array, max: number): void {
  if (a.length < 4096 || max > 4 * a.length || max > 1 << 24) {
    a.sort();
    a.reverse();
    return;
  }
  const counts = new Int32Array(max + 1);
  for (let i = 0; i < a.length; i++) counts[a[i]]++;
  let at = 0;
  for (let v = max; v >= 0; v--) {
    const c = counts[v];
    if (c) {
      a.fill(v, at, at + c);
      at += c;
    }
  }
}

function packedStrategy(lengths: Int32Array, o: PaddingOptions): StrategyPlan {
  const { batchSize: B, maxLength: L, causal } = o;
  const packing = packRows(lengths, L);
  const useful = new ExactSum();
  const usefulPairs = new ExactSum();
  for (const len of packing.pieces) {
    useful.add(len);
    usefulPairs.add(pairsOf(len, causal));
  }
  const slots = new ExactSum();
  slots.addProduct(packing.rows, L);
  const unmasked = new ExactSum();
  unmasked.addProduct(packing.rows, pairsOf(L, causal));
  const batches = Math.ceil(packing.rows / B);
  let docsByRow: number[][] | undefined;
  return {
    analysis: {
      name: 'packed',
      tokenEfficiency: ratio(useful.value(), slots.value()),
      attentionEfficiency: packing.rows ? 1 : 0,
      unmaskedAttentionEfficiency: ratio(usefulPairs.value(), unmasked.value()),
      batches,
      rows: packing.rows,
      usefulTokens: useful.toNumber(),
      paddedTokens: Number(slots.value() - useful.value()),
      truncatedTokens: 0,
      splitSequences: packing.splitSequences,
      usefulAttentionPairs: usefulPairs.toNumber(),
      unmaskedAttentionPairs: unmasked.toNumber(),
      paddedLength: { min: L, median: L, max: L },
    },
    batch(index) {
      if (!(index >= 0 && index < batches)) throw new RangeError(`packed has no batch ${index}.`);
      if (!docsByRow) {
        docsByRow = Array.from({ length: packing.rows }, () => []);
        for (let i = 0; i < packing.pieces.length; i++) docsByRow[packing.rowOfPiece[i]].push(packing.pieces[i]);
      }
      return { kind: 'packed', seqLen: L, rowDocs: docsByRow.slice(index * B, Math.min(packing.rows, (index + 1) * B)) };
    },
    batchShape(index) {
      return { rows: Math.min(packing.rows, (index + 1) * B) - index * B, seqLen: L };
    },
  };
}

/**
 * All four strategies over `lengths` in dataset order (each a positive integer number of tokens).
 * `sorted` may pass the lengths already sorted ascending (saves a sort of a large set).
 */
export function planStrategies(lengths: Int32Array, o: PaddingOptions, sorted?: Int32Array): StrategyPlan[] {
  validateOptions(o);
  if (lengths.length === 0) throw new PaddingError('no sequence lengths to analyse.');
  const ascending = sorted ?? sortedLengths(lengths);
  return [
    paddedStrategy('fixed', lengths, o, true),
    paddedStrategy('dynamic', lengths, o, false),
    paddedStrategy('bucketed', ascending, o, false),
    packedStrategy(lengths, o),
  ];
}
