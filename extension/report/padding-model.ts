/**
 * The Padding tab's model (and its CSV/Markdown exports) from a report's `padding` section: the histogram with
 * L, a stacked bar per strategy for token slots and for attention work, measured time per strategy, the
 * recommendation with its numbers, and the table. Pure: the webview draws it, the host exports it, tests read it.
 */
import { formatBytes, formatMs, formatPercent, formatRatio } from '../../kernels/units';
import type { LengthBin, PaddingAnalysis, StrategyAnalysis, StrategyName } from './padding';

/** What each strategy does, one line (the table's tooltips, the README). */
export const STRATEGY_TEXT: Record<StrategyName, string> = {
  fixed: 'every sequence padded (or truncated) to L',
  dynamic: 'dataset order, each batch padded to its own longest sequence',
  bucketed: 'sorted by length, each batch of neighbours padded to its longest',
  packed: 'sequences end to end in rows of L tokens, document masking, no padding inside a row',
};

export interface TokenBar {
  strategy: StrategyName;
  /** Tokens that reach the model. */
  useful: number;
  /** Padding slots processed. */
  padded: number;
  /** useful / (useful + padded), 0–1. */
  efficiency: number;
}

export interface WorkBar {
  strategy: StrategyName;
  /** Useful (query, key) pairs per head per layer. */
  useful: number;
  /** Pairs the kernel computes on padding (0 for packed with document masking). */
  wasted: number;
  /** Packed only: what a kernel that does not skip masked blocks computes on top (cross-document pairs). */
  unmaskedExtra: number;
  /** useful / (useful + wasted), 0–1. */
  efficiency: number;
}

export interface TimeBar {
  strategy: StrategyName;
  /** Extrapolated whole-dataset time, ms per layer forward. */
  ms: number;
  /** Packed only: the same rows without document masking, ms. */
  unmaskedMs?: number;
  /** Batches timed of this strategy's batches. */
  sampled: number;
  batches: number;
  nsPerUsefulToken: number;
  correct: boolean;
  maxRelError: number;
}

export interface PaddingHeadline {
  strategy: StrategyName;
  text: string;
  /** "2.7×" less attention work than fixed (1× when fixed is the recommendation). */
  workRatio: string;
  /** "31 %" faster measured than fixed, when measured. */
  measuredSaving?: string;
  /** Token slots useful, recommended vs fixed, "93 %" / "29 %". */
  tokenEfficiency: string;
  fixedTokenEfficiency: string;
}

export interface PaddingHistogram {
  bins: LengthBin[];
  maxCount: number;
  /** L: fixed pads to it, the others truncate at it (packed splits). */
  maxLength: number;
  /** Upper end of the x axis, tokens: the last bin or L, whichever is further. */
  xMax: number;
  /** Sequences longer than L. */
  overL: number;
  p50: number;
  p90: number;
}

export interface PaddingTable {
  head: string[];
  /** Per strategy, display cells in head order. */
  rows: string[][];
  /** Per strategy, raw values for CSV (numbers unformatted). */
  raw: (string | number | boolean)[][];
  rawHead: string[];
}

export interface PaddingModel {
  headline: PaddingHeadline;
  facts: { label: string; value: string }[];
  histogram: PaddingHistogram;
  tokens: TokenBar[];
  work: WorkBar[];
  /** Present when every strategy was measured. */
  time?: TimeBar[];
  /** The measurement's own sampling sentence and its setting, for the time chart's caption. */
  timeNote?: string;
  table: PaddingTable;
  /** Things the reader must know (bad lines, estimated lengths, wrong kernel results, truncation). */
  warnings: string[];
}

function headline(a: PaddingAnalysis): PaddingHeadline {
  const r = a.recommendation;
  const best = a.strategies.find((s) => s.name === r.strategy);
  const fixed = a.strategies.find((s) => s.name === 'fixed');
  return {
    strategy: r.strategy,
    text: r.text,
    workRatio: formatRatio(r.attentionWorkRatioVsFixed),
    ...(r.measuredSavingVsFixed !== undefined ? { measuredSaving: formatPercent(r.measuredSavingVsFixed) } : {}),
    tokenEfficiency: formatPercent(best?.tokenEfficiency ?? Number.NaN),
    fixedTokenEfficiency: formatPercent(fixed?.tokenEfficiency ?? Number.NaN),
  };
}

function facts(a: PaddingAnalysis): { label: string; value: string }[] {
  const d = a.distribution;
  const src = a.lengths;
  const out = [
    { label: 'Lengths', value: `${a.n.toLocaleString('en-US')} sequences from ${src.file} (${src.format}${src.order === 'shuffled' ? ', histogram expanded in a seeded shuffle' : ''})` },
    { label: 'Length', value: `min ${d.minLength}, median ${d.p50Length}, p90 ${d.p90Length}, p99 ${d.p99Length}, max ${d.maxLength} tokens` },
    { label: 'Batch', value: `B = ${a.batchSize} rows` },
    { label: 'Max length', value: `L = ${a.maxLength} tokens` },
    { label: 'Attention', value: a.causal ? 'causal (work counted as triangles)' : 'bidirectional (work counted as squares)' },
  ];
  const at = a.attention;
  if (at) out.push({ label: 'Model', value: `${at.name}: Hq ${at.heads}, Hkv ${at.kvHeads}, D ${at.headDim}, ${at.dtype}` });
  const m = a.measurement;
  if (m) out.push({ label: 'Measured on', value: `${m.adapter} (${m.kernel}, ${m.iterations} timed + ${m.warmup} warm-up iterations per batch)` });
  return out;
}

function histogram(a: PaddingAnalysis): PaddingHistogram {
  const bins = a.distribution.bins;
  const last = bins[bins.length - 1];
  let overL = 0;
  // Bins are whole-width; a bin straddling L is counted only when it lies entirely above L (a lower bound, said so).
  for (const b of bins) if (b.lo > a.maxLength) overL += b.count;
  return {
    bins,
    maxCount: Math.max(1, ...bins.map((b) => b.count)),
    maxLength: a.maxLength,
    xMax: Math.max(last ? last.hi : 1, a.maxLength),
    overL,
    p50: a.distribution.p50Length,
    p90: a.distribution.p90Length,
  };
}

function workBar(s: StrategyAnalysis): WorkBar {
  if (s.name === 'packed') {
    return { strategy: s.name, useful: s.usefulAttentionPairs, wasted: 0, unmaskedExtra: Math.max(0, s.unmaskedAttentionPairs - s.usefulAttentionPairs), efficiency: s.attentionEfficiency };
  }
  return { strategy: s.name, useful: s.usefulAttentionPairs, wasted: Math.max(0, s.unmaskedAttentionPairs - s.usefulAttentionPairs), unmaskedExtra: 0, efficiency: s.attentionEfficiency };
}

function timeBars(a: PaddingAnalysis): TimeBar[] | undefined {
  if (!a.measurement || !a.strategies.every((s) => s.measurement)) return undefined;
  return a.strategies.map((s) => {
    const m = s.measurement as NonNullable<StrategyAnalysis['measurement']>;
    return {
      strategy: s.name,
      ms: m.totalMs,
      ...(m.unmaskedTotalMs !== undefined ? { unmaskedMs: m.unmaskedTotalMs } : {}),
      sampled: m.sampledBatches.length,
      batches: s.batches,
      nsPerUsefulToken: m.nsPerUsefulToken,
      correct: m.correct,
      maxRelError: m.maxRelError,
    };
  });
}

function table(a: PaddingAnalysis): PaddingTable {
  const measured = a.strategies.some((s) => s.measurement);
  const memory = a.strategies.some((s) => s.memory);
  const head = [
    'Strategy', 'Token efficiency', 'Attention efficiency', 'Unmasked kernel efficiency', 'Batches', 'Rows', 'Padded tokens', 'Truncated tokens', 'Padded length (min / median / max)',
    ...(memory ? ['Largest batch (S materialised)'] : []),
    ...(measured ? ['Measured time per layer (whole dataset)', 'ns / useful token', 'Batches timed', 'Max rel. error'] : []),
  ];
  const rawHead = [
    'strategy', 'tokenEfficiency', 'attentionEfficiency', 'unmaskedAttentionEfficiency', 'batches', 'rows', 'usefulTokens', 'paddedTokens', 'truncatedTokens', 'splitSequences',
    'paddedLengthMin', 'paddedLengthMedian', 'paddedLengthMax', 'usefulAttentionPairs', 'unmaskedAttentionPairs',
    ...(memory ? ['peakBatchBytes'] : []),
    ...(measured ? ['measuredMs', 'unmaskedMeasuredMs', 'nsPerUsefulToken', 'sampledBatches', 'maxRelError', 'correct'] : []),
  ];
  const rows = a.strategies.map((s) => [
    s.name,
    formatPercent(s.tokenEfficiency, 1),
    formatPercent(s.attentionEfficiency, 1),
    formatPercent(s.unmaskedAttentionEfficiency, 1),
    s.batches.toLocaleString('en-US'),
    s.rows.toLocaleString('en-US'),
    s.paddedTokens.toLocaleString('en-US'),
    s.truncatedTokens.toLocaleString('en-US'),
    `${s.paddedLength.min} / ${s.paddedLength.median} / ${s.paddedLength.max}`,
    ...(memory ? [s.memory ? formatBytes(s.memory.peakBytes) : '–'] : []),
    ...(measured
      ? [
          s.measurement ? formatMs(s.measurement.totalMs) + (s.measurement.unmaskedTotalMs !== undefined ? ` (unmasked ${formatMs(s.measurement.unmaskedTotalMs)})` : '') : '–',
          s.measurement ? s.measurement.nsPerUsefulToken.toFixed(2) : '–',
          s.measurement ? `${s.measurement.sampledBatches.length} of ${s.batches}` : '–',
          s.measurement ? `${s.measurement.maxRelError.toExponential(1)}${s.measurement.correct ? '' : ' WRONG'}` : '–',
        ]
      : []),
  ]);
  const raw = a.strategies.map((s) => [
    s.name, s.tokenEfficiency, s.attentionEfficiency, s.unmaskedAttentionEfficiency, s.batches, s.rows, s.usefulTokens, s.paddedTokens, s.truncatedTokens, s.splitSequences,
    s.paddedLength.min, s.paddedLength.median, s.paddedLength.max, s.usefulAttentionPairs, s.unmaskedAttentionPairs,
    ...(memory ? [s.memory?.peakBytes ?? ''] : []),
    ...(measured
      ? [s.measurement?.totalMs ?? '', s.measurement?.unmaskedTotalMs ?? '', s.measurement?.nsPerUsefulToken ?? '', s.measurement?.sampledBatches.length ?? '', s.measurement?.maxRelError ?? '', s.measurement?.correct ?? '']
      : []),
  ]);
  return { head, rows, raw, rawHead };
}

function warnings(a: PaddingAnalysis): string[] {
  const out: string[] = [];
  const bad = a.lengths.badLines;
  if (bad.count) out.push(`${bad.count.toLocaleString('en-US')} lines of the lengths file were skipped: ${bad.first.map((b) => `line ${b.line} (${b.reason})`).join(', ')}${bad.count > bad.first.length ? ', …' : ''}.`);
  if (a.lengths.estimated) out.push(`${a.lengths.estimatedCount.toLocaleString('en-US')} lengths are estimates from text (≈ 4 characters per token, 1 per CJK character), not tokenizer counts.`);
  const truncated = a.strategies.find((s) => s.name === 'fixed')?.truncatedTokens ?? 0;
  if (truncated > 0) out.push(`L = ${a.maxLength} is shorter than some sequences: fixed, dynamic and bucketed cut ${truncated.toLocaleString('en-US')} tokens; packed splits them instead.`);
  const wrong = a.strategies.filter((s) => s.measurement && !s.measurement.correct).map((s) => s.name);
  if (wrong.length) out.push(`flash disagreed with the float64 reference on sampled ${wrong.join(', ')} batches: those times are not trustworthy.`);
  return out;
}

export function buildPaddingModel(a: PaddingAnalysis): PaddingModel {
  const time = timeBars(a);
  return {
    headline: headline(a),
    facts: facts(a),
    histogram: histogram(a),
    tokens: a.strategies.map((s) => ({ strategy: s.name, useful: s.usefulTokens, padded: s.paddedTokens, efficiency: s.tokenEfficiency })),
    work: a.strategies.map(workBar),
    ...(time ? { time, timeNote: a.measurement?.description } : {}),
    table: table(a),
    warnings: warnings(a),
  };
}

const csvCell = (v: string | number | boolean): string => {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One row per strategy, raw numbers (fractions 0–1, tokens, pairs, ms), for a spreadsheet. */
export function paddingCsv(a: PaddingAnalysis): string {
  const t = table(a);
  return [t.rawHead.join(','), ...t.raw.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
}

/** The table as Markdown, with the facts and the recommendation above it. */
export function paddingMarkdown(a: PaddingAnalysis, title = 'Padding efficiency'): string {
  const m = buildPaddingModel(a);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `### ${esc(title)}`,
    '',
    ...m.facts.map((f) => `${f.label}: ${esc(f.value)}  `),
    '',
    `**Recommendation — ${esc(m.headline.text)}**`,
    '',
    `| ${m.table.head.map(esc).join(' | ')} |`,
    `|${m.table.head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...m.table.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
    ...(a.measurement ? [`Measured: ${esc(a.measurement.description)}`, ''] : []),
    ...m.warnings.map((w) => `> ${esc(w)}`),
    ...(m.warnings.length ? [''] : []),
  ].join('\n');
}
