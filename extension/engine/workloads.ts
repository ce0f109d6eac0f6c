/**
 * From a model's attention (config parsing) to the problems the kernels run: one workload per distinct
 * layer kind (Gemma-2: local and global layers), each standing for its layers in the report.
 */
import type { ModelAttention } from '../model';
import { ABSURD_SIZES, layerIndices } from '../model';
import { AttentionProblem, DType, Layout, ProblemError, headDimIssue, neighborhoodFor } from '../../kernels/problem';
import type { WorkloadRequest } from '../protocol/worker';

/**
 * When a config states only its positions table (Qwen2-7B: 131072) and no training length, profiling and
 * the cost hints use at most this many tokens: a full-context profile would run for minutes and naive's S
 * would not fit. An explicit length (training cutoff, SEQ_LEN, the seqLen setting or --seq-len) is used as is.
 */
export const DEFAULT_SEQ_CAP = 4096;

/** The sequence length to profile or cost a model at, given an optional explicit override. */
export function profileSeqLen(m: Pick<ModelAttention, 'seqLen' | 'maxSeqLen'>, override?: number): number {
  if (override) return override;
  return m.seqLen === m.maxSeqLen ? Math.min(m.seqLen, DEFAULT_SEQ_CAP) : m.seqLen;
}

/**
 * Where the profile length comes from, in a few words for a CodeLens or hover: "attnprof.seqLen", the config's
 * field ("cutoff_len", "SEQ_LEN"), "image tokens", or "max positions 131072, capped". Same rule as profileSeqLen.
 */
export function seqLenOrigin(m: Pick<ModelAttention, 'seqLen' | 'maxSeqLen' | 'fields'>, override?: number): string {
  if (override) return 'attnprof.seqLen';
  const field = (role: 'seqLen' | 'maxSeqLen' | 'imageSize') => m.fields.find((f) => f.role === role)?.key;
  if (m.seqLen !== m.maxSeqLen) return field('seqLen') ?? 'the config';
  if (field('imageSize')) return 'image tokens';
  if (m.seqLen > DEFAULT_SEQ_CAP) return `max positions ${m.maxSeqLen}, capped`;
  return field('maxSeqLen') ?? 'the config';
}

export interface WorkloadOverrides {
  dtype: DType;
  batch?: number;
  seqLen?: number;
  /** 2-D neighbourhood radius for vision models (overrides a script's NEIGHBORHOOD); 0 = none. */
  neighborhood?: number;
  /** The patch grid when it is not the model's own (or not derivable from the sequence length). */
  grid?: { rows: number; cols: number };
  /** Or only its width: ⌊N/W⌋ rows of W, the tokens before them global. */
  gridWidth?: number;
  /** Memory layout to time (default bhsd). */
  layout?: Layout;
}

export function workloadsFromModels(models: readonly ModelAttention[], o: WorkloadOverrides): WorkloadRequest[] {
  const out: WorkloadRequest[] = [];
  const reasons: string[] = [];
  for (const m of models) {
    if (m.unsupported) {
      reasons.push(`${m.name}: ${m.unsupported}`);
      continue;
    }
    const dimIssue = headDimIssue(m.headDim);
    if (dimIssue) {
      reasons.push(`${m.name}: ${dimIssue}`);
      continue;
    }
    if (m.layers > ABSURD_SIZES.layers) {
      reasons.push(`${m.name}: ${m.layers} layers is more than any real model (${ABSURD_SIZES.layers}); check num_hidden_layers`);
      continue;
    }
    const seq = profileSeqLen(m, o.seqLen);
    const kinds = layerIndices(m, ABSURD_SIZES.layers);
    // A sliding window at least as long as the sequence hides no key: local layers then compute exactly what global
    // ones do, so they are one workload (measured once), named so the report says why.
    const merged = m.slidingWindow > 0 && seq <= m.slidingWindow && kinds.size > 1;
    const byKind: Map<string, number[]> = merged ? new Map([['all', [...kinds.values()].flat().sort((a, b) => a - b)]]) : kinds;
    for (const [kind, layers] of byKind) {
      const window = kind === 'local' ? m.slidingWindow : 0;
      const problem: AttentionProblem = {
        batch: o.batch ?? m.batch,
        heads: m.heads,
        kvHeads: m.kvHeads,
        seqLenQ: seq,
        seqLenK: seq,
        headDim: m.headDim,
        dtype: o.dtype,
        causal: m.causal,
        window,
        softcap: m.softcap,
        ...(o.layout === 'bshd' ? { layout: o.layout } : {}),
      };
      const radius = o.neighborhood ?? m.neighborhood ?? 0;
      if (radius > 0) {
        if (m.causal) {
          throw new ProblemError(`a 2-D neighbourhood is for vision models (bidirectional attention over a patch grid); ${m.name} is causal.`);
        }
        // --grid, or W of --neighborhood W:R; else the grid the length implies (a square, or a class token and a square).
        const byWidth = o.gridWidth ? { rows: Math.floor(seq / o.gridWidth), cols: o.gridWidth } : undefined;
        if (byWidth && byWidth.rows < 1) throw new ProblemError(`a grid ${o.gridWidth} wide is wider than ${m.name}'s ${seq} tokens.`);
        problem.neighborhood = neighborhoodFor(seq, radius, o.grid ?? byWidth);
      }
      const label = merged
        ? `${m.name} · local = global layers (window ${m.slidingWindow} ≥ N ${seq})`
        : byKind.size > 1
          ? `${m.name} · ${kind} layers`
          : m.name;
      out.push({ name: label, problem, layers });
    }
  }
  if (out.length === 0) {
    throw new ProblemError(
      reasons.length ? `nothing to profile: ${reasons.join('; ')}.` : 'no attention spec was found in the file.',
    );
  }
  return out;
}
