/**
 * Padding hints for training configs (issue 5): which fields carry the padding CodeLens (the training length
 * and batch: `cutoff_len`, `max_length`, `per_device_train_batch_size`, their Python/shell equivalents), the
 * defaults the "Analyze Padding Efficiency…" command offers, and the lens text from a cached analysis. Pure.
 */
import { formatPercent, formatRatio } from '../../kernels/units';
import type { ModelAttention, ParsedConfig } from '../model';
import type { PaddingAnalysis } from '../report/padding';

export interface PaddingLensTarget {
  line: number;
  column: number;
  key: string;
  model: string;
  /** B from the file's batch field, when it has one. */
  batchSize?: number;
  /** L from the file's training length field, when it has one. */
  maxLength?: number;
  causal: boolean;
}

/** A Python class-token flag is reported with role seqLen (it adds a token) but is not a training length. */
const NOT_A_LENGTH = /cls|class/i;

function lengthField(m: ModelAttention) {
  return m.fields.find((f) => f.role === 'seqLen' && !NOT_A_LENGTH.test(f.key));
}

/** B and L a training file states (undefined where it states none: the command then offers 8 / the longest). */
export function paddingDefaults(m: ModelAttention): { batchSize?: number; maxLength?: number; causal: boolean } {
  const hasBatch = m.fields.some((f) => f.role === 'batch');
  return {
    ...(hasBatch && m.batch > 0 ? { batchSize: m.batch } : {}),
    ...(lengthField(m) && m.seqLen > 0 ? { maxLength: m.seqLen } : {}),
    causal: m.causal,
  };
}

/**
 * One target per model whose sequence lengths vary (text: a training length or batch field), on its training length
 * field (else its batch field); none for image models, whose every sequence has the same number of patches, and
 * none in a file without such fields.
 */
export function paddingLensTargets(parsed: ParsedConfig): PaddingLensTarget[] {
  const out: PaddingLensTarget[] = [];
  for (const m of parsed.models) {
    if (m.unsupported) continue;
    if (m.fields.some((f) => f.role === 'imageSize' || f.role === 'patchSize')) continue;
    const d = paddingDefaults(m);
    const f = lengthField(m) ?? m.fields.find((x) => x.role === 'batch');
    // One lens per line: a field recorded twice (a model and its sibling config) would stack duplicates.
    if (!f || out.some((o) => o.line === f.line)) continue;
    out.push({ line: f.line, column: f.column, key: f.key, model: m.name, ...d });
  }
  return out;
}

/** "padding: fixed wastes 71 % of tokens · bucketed 2.7× less attention work" (+ measured saving when present). */
export function paddingLensTitle(a: PaddingAnalysis): string {
  const fixed = a.strategies.find((s) => s.name === 'fixed');
  const r = a.recommendation;
  const parts = [`padding: fixed wastes ${fixed ? formatPercent(1 - fixed.tokenEfficiency) : '–'} of tokens`];
  if (r.strategy === 'fixed') parts.push('no strategy does less attention work');
  else {
    parts.push(`${r.strategy} ${formatRatio(r.attentionWorkRatioVsFixed)} less attention work`);
    if (r.measuredSavingVsFixed !== undefined) parts.push(`${formatPercent(r.measuredSavingVsFixed)} faster measured`);
  }
  return parts.join(' · ');
}

/** The tooltip: what the numbers are for. */
export function paddingLensTooltip(a: PaddingAnalysis): string {
  return `${a.n.toLocaleString('en-US')} sequences from ${a.lengths.file}, B = ${a.batchSize}, L = ${a.maxLength}${a.causal ? ', causal' : ''}. ${a.recommendation.text}`;
}

/** Analyses are cached per file version and per (B, L, causal): a key that changes when any of them does. */
export function paddingCacheKey(file: string, mtimeMs: number, size: number, batchSize: number | undefined, maxLength: number | undefined, causal: boolean): string {
  return JSON.stringify([file, mtimeMs, size, batchSize ?? 0, maxLength ?? 0, causal]);
}
