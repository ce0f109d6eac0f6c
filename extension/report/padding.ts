/**
 * The Padding tab's section of the report (`ProfileReport.padding`, and the JSON of `attnprof padding --json`): how
 * much each batching strategy wastes on a real set of sequence lengths, and (when measured) what it costs on this
 * GPU. The report's own wire types: extension/padding/types.ts has the analysis' internal counterparts and
 * extension/engine/reportWire.ts fills these from them, checked field by field at compile time. Every field states
 * its unit.
 *
 * Vocabulary: a *sequence* is one dataset example of `length` tokens; a *row* is one sequence slot of a
 * batch (padded strategies) or one packed row of `maxLength` tokens (packed); a *batch* is up to `batchSize`
 * consecutive rows. Attention work is counted in (query, key) pairs for one head of one layer: a sequence of
 * length n costs n² pairs, or n·(n+1)/2 when causal.
 */
import type { DType } from './measurements';

export type StrategyName = 'fixed' | 'dynamic' | 'bucketed' | 'packed';

/** One histogram bin of sequence lengths: `count` sequences with lo ≤ length < hi (tokens). */
export interface LengthBin {
  lo: number;
  hi: number;
  count: number;
}

/** The input lengths (before truncation), in tokens. */
export interface LengthDistribution {
  /** Sequences. */
  n: number;
  /** Σ length, tokens (exact below 2^53). */
  totalTokens: number;
  minLength: number;
  maxLength: number;
  meanLength: number;
  /** Percentiles (nearest rank), tokens. */
  p50Length: number;
  p90Length: number;
  p99Length: number;
  /** Equal-width bins from 0 covering every length (width a 1-2-5 step), in order. */
  bins: LengthBin[];
}

/** A reason a line (or element) of the lengths file was skipped. */
export interface BadLine {
  /**
   * 1-based line number (text, JSONL, CSV), element number (.npy, C order) or entry number (JSON histogram, in
   * JSON object order: integer keys ascending first, then the others as written).
   */
  line: number;
  reason: string;
}

export type LengthsFormat = 'text' | 'jsonl' | 'npy' | 'histogram-csv' | 'histogram-json';

export interface LengthsSource {
  /** The file as given by the user. */
  file: string;
  format: LengthsFormat;
  /** True when some lengths are token estimates from `text` (≈ chars/4 for Latin, 1 per CJK character). */
  estimated: boolean;
  /** How many records were estimates (0 unless `estimated`). */
  estimatedCount: number;
  /**
   * Order the `dynamic` strategy batches in: the file's order, or (histograms, which have none) a
   * deterministic shuffle with `shuffleSeed`.
   */
  order: 'file' | 'shuffled';
  shuffleSeed?: number;
  /** Lines that were skipped; never fatal. */
  badLines: { count: number; first: BadLine[] };
}

/** Largest batch of a strategy for the model's attention (one layer, forward): what must fit in GPU memory. */
export interface BatchMemory {
  /** Rows of that batch. */
  rows: number;
  /** Its padded row length, tokens. */
  seqLen: number;
  /** A materialised f32 score matrix S: rows·Hq·seqLen²·4 bytes (what a naive kernel allocates). */
  scoreBytes: number;
  /** Q and O (rows·Hq·seqLen·D) plus K and V (rows·Hkv·seqLen·D) at the model's dtype, bytes. */
  qkvoBytes: number;
  /** scoreBytes + qkvoBytes: peak bytes with S materialised. A fused (flash) kernel needs about qkvoBytes. */
  peakBytes: number;
}

/** Kernel times of a strategy's sampled batches, extrapolated to the whole dataset. */
export interface StrategyMeasurement {
  /** Indices (0-based, in the strategy's batch order) of the batches that were timed. */
  sampledBatches: number[];
  /** Median kernel time of each sampled batch (same order), ms per layer forward. */
  batchMs: number[];
  /** Mean of batchMs, ms. */
  meanBatchMs: number;
  /** meanBatchMs × batches: the extrapolated time for the whole dataset, ms per layer forward. */
  totalMs: number;
  /** totalMs / useful tokens, in ns per token. */
  nsPerUsefulToken: number;
  /** Packed only: the same rows without document masking (a kernel that does not skip masked blocks), ms. */
  unmaskedBatchMs?: number[];
  /** Packed only: mean(unmaskedBatchMs) × batches, ms. */
  unmaskedTotalMs?: number;
  /** Largest max-relative-error of the sampled runs against the float64 reference. */
  maxRelError: number;
  /** Every sampled run matched the reference within tolerance. */
  correct: boolean;
}

export interface StrategyAnalysis {
  name: StrategyName;
  /** Useful tokens / token slots processed (rows × padded length), 0–1. */
  tokenEfficiency: number;
  /**
   * Useful attention pairs / pairs the kernel computes, 0–1. Padded strategies: a kernel computes every
   * (query, key) of each padded row. Packed with document masking: 1 (the masked kernel does only useful work).
   */
  attentionEfficiency: number;
  /** Useful pairs / pairs of a kernel that does not skip masked blocks, 0–1 (packed: rows·maxLength² pairs). */
  unmaskedAttentionEfficiency: number;
  batches: number;
  /** Rows processed: sequences (fixed, dynamic, bucketed) or packed rows of maxLength tokens. */
  rows: number;
  /** Tokens that reach the model (after truncation to maxLength; packed splits instead), tokens. */
  usefulTokens: number;
  /** Token slots filled with padding, tokens. */
  paddedTokens: number;
  /** Tokens cut off by truncation to maxLength (0 for packed, which splits), tokens. */
  truncatedTokens: number;
  /** Packed: sequences longer than maxLength, split into pieces that are documents of their own. */
  splitSequences: number;
  /** Useful (query, key) pairs per head per layer. */
  usefulAttentionPairs: number;
  /** Pairs a kernel that does not skip masked blocks computes, per head per layer. */
  unmaskedAttentionPairs: number;
  /** Padded row length per batch, tokens: smallest, median and largest over the batches. */
  paddedLength: { min: number; median: number; max: number };
  /** Largest batch's memory for the model's attention (absent without a model or shape). */
  memory?: BatchMemory;
  /** Extrapolated measured time for the whole dataset, ms per layer forward (present when measured). */
  measuredMs?: number;
  measurement?: StrategyMeasurement;
}

/** The model's attention the memory and the measurement use. */
export interface PaddingAttention {
  /** Model (or "shape") the numbers are for. */
  name: string;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Element type the measurement runs at. */
  dtype: DType;
  /** Bytes per element of Q/K/V/O in the memory estimate: the model's torch_dtype for a config, else dtype's. */
  dtypeBytes: number;
  causal: boolean;
}

export interface PaddingRecommendation {
  /** The strategy recommended: least measured time when measured, else least attention work. */
  strategy: StrategyName;
  /** One line with numbers, e.g. "bucketed: 2.7× less attention work than fixed; 31 % faster measured". */
  text: string;
  /** Attention work of fixed / of the recommended strategy (packed counts masked work), ×. */
  attentionWorkRatioVsFixed: number;
  /** 1 − measured(recommended) / measured(fixed), 0–1; present when measured. */
  measuredSavingVsFixed?: number;
}

export interface PaddingAnalysis {
  /** The section's own version (1). */
  version: 1;
  /** Sequences analysed. */
  n: number;
  /** Rows per batch (B). */
  batchSize: number;
  /** L: fixed pads/truncates to it; dynamic and bucketed truncate to it; packed rows hold L tokens. */
  maxLength: number;
  /** Attention work counted as triangles (len·(len+1)/2) instead of squares. */
  causal: boolean;
  /** How packed rows are filled (see strategies.ts `PACKING_POLICY`). */
  packingPolicy: string;
  lengths: LengthsSource;
  distribution: LengthDistribution;
  /** In the order fixed, dynamic, bucketed, packed. */
  strategies: StrategyAnalysis[];
  attention?: PaddingAttention;
  /** How the measurement sampled (absent when not measured). */
  measurement?: {
    kernel: 'flash';
    adapter: string;
    /** Batches timed per strategy (the same count for each, or all of a strategy's batches if fewer). */
    samplesPerStrategy: number;
    iterations: number;
    warmup: number;
    /** One sentence a reader can check, e.g. "4 of 250 batches per strategy (first, last, evenly spread) …". */
    description: string;
  };
  recommendation: PaddingRecommendation;
}
