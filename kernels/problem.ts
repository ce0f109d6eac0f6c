/**
 * One attention call as the kernels see it: shapes, masks and score modifiers.
 * Layout (C order), `bhsd` (default): q [B, Hq, Nq, D], k and v [B, Hkv, Nk, D], out [B, Hq, Nq, D];
 * `bshd`: q [B, Nq, Hq, D], k and v [B, Nk, Hkv, D], out [B, Nq, Hq, D]. The kernels read either through strides.
 */
import { visibleKeyCount, type NeighborhoodMask } from './mask';

export type { NeighborhoodMask };

export type DType = 'f32' | 'f16';
export type Layout = 'bhsd' | 'bshd';

/** Head dims the kernels run: any multiple of HEAD_DIM_MULTIPLE up to MAX_HEAD_DIM (tiles and vector widths adapt). */
export const HEAD_DIM_MULTIPLE = 8;
export const MAX_HEAD_DIM = 256;

/** Why a head dim cannot run (one sentence without the final period), or undefined when it can. */
export function headDimIssue(d: number): string | undefined {
  if (d % HEAD_DIM_MULTIPLE !== 0 || d > MAX_HEAD_DIM) {
    return `head dim ${d} is not supported; the kernels take a multiple of ${HEAD_DIM_MULTIPLE} up to ${MAX_HEAD_DIM}`;
  }
  return undefined;
}

export interface AttentionProblem {
  batch: number;
  heads: number; // query heads (Hq)
  kvHeads: number; // key/value heads (Hkv); Hq % Hkv == 0 (GQA/MQA)
  seqLenQ: number; // Nq
  seqLenK: number; // Nk
  headDim: number; // D
  dtype: DType;
  causal: boolean; // bottom-right aligned when Nq < Nk
  /** Sliding window W: query i sees keys j with i − W < j ≤ i (positions aligned bottom-right). 0 = none. */
  window: number;
  /** Softcap C: s ← C·tanh(s/C) after scaling. 0 = none. */
  softcap: number;
  /** Score scale; undefined means 1/√D. */
  scale?: number;
  /** Per-batch key lengths: keys at positions ≥ kvLens[b] are masked. */
  kvLens?: Int32Array;
  /**
   * Document masking for packed (varlen) rows: B·Nq pairs [start, end) in key positions — query i of batch
   * row b sees only keys start ≤ j < end of its own document (then causal, window and kvLens apply as well).
   * Both bounds must be non-decreasing in i within a batch row (true of documents laid end to end): the flash
   * kernels take the key range of a block of rows from its first and last row. Build it with `docBoundsFor`.
   */
  docBounds?: Int32Array;
  /**
   * 2-D neighbourhood (the ViT article's FlexAttention `mask_mod`; this is the one statement of its meaning, which
   * kernels/wgsl/mask.wgsl, kernels/mask.ts and the PyTorch bridge implement). Needs Nq = Nk = N. The last
   * rows·cols tokens are the patches of a rows × cols grid in row-major order (patch p at row ⌊p/cols⌋, column
   * p mod cols); the N − rows·cols tokens before them (a class token, registers) see every key and are seen by
   * every query. Patch query (r, c) sees patch key (r′, c′) iff |r − r′| < radius and |c − c′| < radius: radius 1
   * is only itself, radius ≥ max(rows, cols) is dense. Causal, window, kvLens and document masks apply as well.
   */
  neighborhood?: NeighborhoodMask;
  /** Memory layout of Q, K, V and O; undefined means `bhsd`. */
  layout?: Layout;
}


export class ProblemError extends Error {
  override name = 'ProblemError';
}

export function effectiveScale(p: AttentionProblem): number {
  return p.scale ?? 1 / Math.sqrt(p.headDim);
}

export function elementBytes(dtype: DType): number {
  return dtype === 'f16' ? 2 : 4;
}

/** Largest problem we accept at all, whatever the adapter: beyond this a typo is far likelier than intent. */
const MAX_ELEMENTS = 2 ** 34;

/** Checks the shape alone (no adapter limits); throws ProblemError with one clear sentence. */
export function validateProblem(p: AttentionProblem): void {
  const dims: [string, number][] = [
    ['batch', p.batch],
    ['query heads', p.heads],
    ['key/value heads', p.kvHeads],
    ['query length', p.seqLenQ],
    ['key length', p.seqLenK],
    ['head dim', p.headDim],
  ];
  for (const [name, v] of dims) {
    if (!Number.isInteger(v) || v < 1) throw new ProblemError(`${name} must be a positive integer, got ${v}.`);
  }
  if (p.heads % p.kvHeads !== 0) {
    throw new ProblemError(
      `query heads (${p.heads}) must be a multiple of key/value heads (${p.kvHeads}) for GQA/MQA.`,
    );
  }
  const dimIssue = headDimIssue(p.headDim);
  if (dimIssue) throw new ProblemError(`${dimIssue}.`);
  if (!Number.isInteger(p.window) || p.window < 0) {
    throw new ProblemError(`window must be a non-negative integer, got ${p.window}.`);
  }
  if (!(p.softcap >= 0) || !Number.isFinite(p.softcap)) {
    throw new ProblemError(`softcap must be a non-negative number, got ${p.softcap}.`);
  }
  if (p.scale !== undefined && !Number.isFinite(p.scale)) {
    throw new ProblemError(`scale must be a finite number, got ${p.scale}.`);
  }
  if (p.kvLens) {
    if (p.kvLens.length !== p.batch) {
      throw new ProblemError(`kv-lens has ${p.kvLens.length} entries but the batch is ${p.batch}.`);
    }
    for (const len of p.kvLens) {
      if (len < 0) throw new ProblemError(`kv-lens must be non-negative, got ${len}.`);
    }
  }
  if (p.docBounds) validateDocBounds(p, p.docBounds);
  if (p.neighborhood) validateNeighborhood(p, p.neighborhood);
  if (p.layout !== undefined && p.layout !== 'bhsd' && p.layout !== 'bshd') {
    throw new ProblemError(`layout must be bhsd ([B, H, N, D]) or bshd ([B, N, H, D]), got '${String(p.layout)}'.`);
  }
  const qElems = p.batch * p.heads * p.seqLenQ * p.headDim;
  const kElems = p.batch * p.kvHeads * p.seqLenK * p.headDim;
  if (qElems > MAX_ELEMENTS || kElems > MAX_ELEMENTS) {
    throw new ProblemError(
      `the shape is absurdly large (${(Math.max(qElems, kElems) / 1e9).toFixed(1)} G elements per tensor); nothing was allocated.`,
    );
  }
}

function validateNeighborhood(p: AttentionProblem, g: NeighborhoodMask): void {
  for (const [name, v] of [['neighbourhood radius', g.radius], ['grid rows', g.rows], ['grid columns', g.cols]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ProblemError(`${name} must be a positive integer, got ${v}.`);
  }
  if (p.seqLenQ !== p.seqLenK) {
    throw new ProblemError(`a 2-D neighbourhood needs as many queries as keys (the same tokens), got ${p.seqLenQ} and ${p.seqLenK}.`);
  }
  if (g.rows * g.cols > p.seqLenK) {
    throw new ProblemError(`a ${g.rows}×${g.cols} patch grid has ${g.rows * g.cols} tokens, more than the sequence's ${p.seqLenK}.`);
  }
}

/**
 * The patch grid of a sequence of n tokens when none is given: √n × √n when n is a square, else a class token
 * followed by √(n−1) × √(n−1) patches when n − 1 is one; undefined otherwise.
 */
export function gridFromLength(n: number): { rows: number; cols: number; classTokens: number } | undefined {
  for (const classTokens of [0, 1]) {
    const side = Math.round(Math.sqrt(n - classTokens));
    if (side >= 1 && side * side === n - classTokens) return { rows: side, cols: side, classTokens };
  }
  return undefined;
}

/**
 * The neighbourhood mask for a sequence of n tokens: the given grid (the n − rows·cols tokens before it are
 * class/register tokens), else the grid of `gridFromLength`. Throws ProblemError with one sentence otherwise.
 */
export function neighborhoodFor(n: number, radius: number, grid?: { rows: number; cols: number }): NeighborhoodMask {
  if (!Number.isInteger(radius) || radius < 1) throw new ProblemError(`the neighbourhood radius must be a positive integer, got ${radius}.`);
  if (grid) {
    if (grid.rows * grid.cols > n) {
      throw new ProblemError(`a ${grid.rows}×${grid.cols} patch grid has ${grid.rows * grid.cols} tokens, more than the sequence's ${n}.`);
    }
    return { radius, rows: grid.rows, cols: grid.cols };
  }
  const g = gridFromLength(n);
  if (!g) {
    throw new ProblemError(`${n} tokens are neither a square grid nor a class token and a square grid; give the grid as --grid H×W.`);
  }
  return { radius, rows: g.rows, cols: g.cols };
}

function validateDocBounds(p: AttentionProblem, bounds: Int32Array): void {
  const want = 2 * p.batch * p.seqLenQ;
  if (bounds.length !== want) {
    throw new ProblemError(`document bounds have ${bounds.length} entries; B·Nq·2 = ${want} expected.`);
  }
  for (let b = 0; b < p.batch; b++) {
    let prevStart = 0;
    let prevEnd = 0;
    for (let i = 0; i < p.seqLenQ; i++) {
      const at = 2 * (b * p.seqLenQ + i);
      const start = bounds[at];
      const end = bounds[at + 1];
      if (!(start >= 0 && start <= end && end <= p.seqLenK)) {
        throw new ProblemError(`document bounds of batch ${b} query ${i} are [${start}, ${end}); need 0 ≤ start ≤ end ≤ ${p.seqLenK}.`);
      }
      if (start < prevStart || end < prevEnd) {
        throw new ProblemError(`document bounds of batch ${b} go backwards at query ${i}; documents must be laid end to end.`);
      }
      prevStart = start;
      prevEnd = end;
    }
  }
}

/**
 * Document bounds for packed rows of `seqLen` tokens (Nq = Nk = seqLen): row b holds documents of the given
 * lengths end to end from position 0. Positions after the last document are padding and see no key (their
 * output is 0, as for any row that sees nothing).
 */
export function docBoundsFor(rows: readonly (readonly number[])[], seqLen: number): Int32Array {
  const bounds = new Int32Array(2 * rows.length * seqLen);
  rows.forEach((docs, b) => {
    let start = 0;
    for (const len of docs) {
      if (!Number.isInteger(len) || len < 1) throw new ProblemError(`a packed document must have at least one token, got ${len}.`);
      if (start + len > seqLen) throw new ProblemError(`packed row ${b} holds ${start + len} tokens, more than its ${seqLen}.`);
      for (let i = start; i < start + len; i++) {
        bounds[2 * (b * seqLen + i)] = start;
        bounds[2 * (b * seqLen + i) + 1] = start + len;
      }
      start += len;
    }
    for (let i = start; i < seqLen; i++) {
      bounds[2 * (b * seqLen + i)] = start;
      bounds[2 * (b * seqLen + i) + 1] = start;
    }
  });
  return bounds;
}

export const qElements = (p: AttentionProblem): number => p.batch * p.heads * p.seqLenQ * p.headDim;
export const kvElements = (p: AttentionProblem): number => p.batch * p.kvHeads * p.seqLenK * p.headDim;

/**
 * Number of (query, key) pairs a query row can see, summed over rows, for one (batch, head).
 * Counts causal, window and neighbourhood masks (flash-attn's convention counts the visible area), ignores kvLens and
 * document bounds (they differ per batch row; the padding analysis counts packed work itself).
 */
export function visiblePairs(p: AttentionProblem): number {
  if (p.neighborhood) {
    const shared = { ...p, kvLens: undefined, docBounds: undefined };
    let total = 0;
    for (let i = 0; i < p.seqLenQ; i++) total += visibleKeyCount(shared, 0, i);
    return total;
  }
  const nq = p.seqLenQ;
  const nk = p.seqLenK;
  const offset = nk - nq; // bottom-right alignment: query i sits at key position i + offset
  if (!p.causal && p.window === 0) return nq * nk;
  let total = 0;
  for (let i = 0; i < nq; i++) {
    const pos = i + offset;
    const hi = Math.min(pos, nk - 1); // causal or window: j ≤ i
    const lo = p.window > 0 ? Math.max(0, pos - p.window + 1) : 0;
    if (hi >= lo) total += hi - lo + 1;
  }
  return total;
}

/** Forward FLOPs: 4·B·Hq·(visible Nq·Nk)·D — flash-attn's convention (causal ≈ halved; window = visible area). */
export function attentionFlops(p: AttentionProblem): number {
  return 4 * p.batch * p.heads * visiblePairs(p) * p.headDim;
}

/** Bytes that must move at least once: Q, K, V read and O written. */
export function minimumBytes(p: AttentionProblem): number {
  return (2 * qElements(p) + 2 * kvElements(p)) * elementBytes(p.dtype);
}

/** Bytes of a materialised score matrix S = QKᵀ in f32 (what `naive` allocates). */
export function scoreMatrixBytes(p: AttentionProblem): number {
  return p.batch * p.heads * p.seqLenQ * p.seqLenK * 4;
}

export function describeProblem(p: AttentionProblem): string {
  const parts = [`B=${p.batch} Hq=${p.heads} Hkv=${p.kvHeads} Nq=${p.seqLenQ} Nk=${p.seqLenK} D=${p.headDim} ${p.dtype}`];
  if (p.causal) parts.push('causal');
  if (p.window) parts.push(`window=${p.window}`);
  if (p.softcap) parts.push(`softcap=${p.softcap}`);
  if (p.scale !== undefined) parts.push(`scale=${p.scale}`);
  if (p.layout === 'bshd') parts.push('bshd');
  if (p.kvLens) parts.push('kv-lens');
  if (p.docBounds) parts.push('doc-masked');
  if (p.neighborhood) {
    const g = p.neighborhood;
    const extra = p.seqLenK - g.rows * g.cols;
    parts.push(`neighborhood=${g.radius} on ${g.rows}×${g.cols}${extra ? ` (+${extra} global token${extra > 1 ? 's' : ''})` : ''}`);
  }
  return parts.join(' ');
}
