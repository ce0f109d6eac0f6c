/**
 * Builds the PaddingAnalysis (types.ts) from lengths and options: the arithmetic of every strategy, the
 * distribution, the largest batch's memory for a model's attention, measured times when given, and the
 * recommendation line.
 */
import { lengthDistribution } from './distribution';
import type { LengthsInput } from './lengths';
import { largestBatchMemory } from './memory';
import { PACKING_POLICY, PaddingOptions, StrategyPlan, planStrategies, sortedLengths } from './strategies';
import {
  PADDING_ANALYSIS_VERSION,
  PaddingAnalysis,
  PaddingAttention,
  PaddingRecommendation,
  StrategyAnalysis,
  StrategyMeasurement,
} from './types';

export interface PaddingPlan {
  options: PaddingOptions;
  input: LengthsInput;
  sorted: Int32Array;
  strategies: StrategyPlan[];
}

export function planPadding(input: LengthsInput, options: PaddingOptions): PaddingPlan {
  const sorted = sortedLengths(input.lengths);
  return { options, input, sorted, strategies: planStrategies(input.lengths, options, sorted) };
}

/** (rows, padded length) of each batch of a strategy, without building its layouts. */
function* batchShapes(s: StrategyPlan, batchSize: number, maxLength: number): Generator<{ rows: number; seqLen: number }> {
  const a = s.analysis;
  if (a.name === 'fixed' || a.name === 'packed') {
    // Every batch but possibly the last is full and all rows are maxLength long: the first is the largest.
    yield { rows: Math.min(batchSize, a.rows), seqLen: maxLength };
    return;
  }
  for (let i = 0; i < a.batches; i++) yield s.batchShape(i);
}

/** Work a kernel does: packed with document masking does the useful pairs only; padded kernels every pair. */
function attentionWork(a: StrategyAnalysis): number {
  return a.name === 'packed' ? a.usefulAttentionPairs : a.unmaskedAttentionPairs;
}

const fmtRatio = (x: number) => `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×`;

export function recommend(strategies: readonly StrategyAnalysis[]): PaddingRecommendation {
  const fixed = strategies.find((s) => s.name === 'fixed');
  if (!fixed) throw new Error('the fixed strategy is the baseline of the recommendation');
  const measured = strategies.every((s) => s.measuredMs !== undefined);
  const candidates = strategies.filter((s) => s.name !== 'fixed');
  const score = (s: StrategyAnalysis) => (measured ? (s.measuredMs as number) : attentionWork(s));
  let best = candidates.reduce((a, b) => (score(b) < score(a) ? b : a));
  // When nothing beats fixed (all lengths equal), say so rather than recommend a change for nothing.
  if (score(best) >= score(fixed)) best = fixed;
  const workRatio = attentionWork(best) > 0 ? attentionWork(fixed) / attentionWork(best) : 1;
  const parts = [
    best.name === 'fixed'
      ? 'fixed: no strategy does less attention work on these lengths'
      : `${best.name}: ${fmtRatio(workRatio)} less attention work than fixed`,
    `${Math.round(best.tokenEfficiency * 100)} % of token slots useful (fixed ${Math.round(fixed.tokenEfficiency * 100)} %)`,
  ];
  let saving: number | undefined;
  if (measured && best.name !== 'fixed' && (fixed.measuredMs as number) > 0) {
    saving = 1 - (best.measuredMs as number) / (fixed.measuredMs as number);
    parts.push(`${Math.round(saving * 100)} % faster measured`);
  }
  if (best.name === 'bucketed') parts.push('shuffle the order of the batches, not of the sequences, to keep the buckets');
  return {
    strategy: best.name,
    text: parts.join('; '),
    attentionWorkRatioVsFixed: workRatio,
    ...(saving !== undefined ? { measuredSavingVsFixed: saving } : {}),
  };
}

export interface PaddingMeasurementResult {
  adapter: string;
  samplesPerStrategy: number;
  iterations: number;
  warmup: number;
  description: string;
  byStrategy: Map<string, StrategyMeasurement>;
}

export function buildPaddingAnalysis(plan: PaddingPlan, attention?: PaddingAttention, measured?: PaddingMeasurementResult): PaddingAnalysis {
  const { options, input } = plan;
  const strategies = plan.strategies.map((s): StrategyAnalysis => {
    const m = measured?.byStrategy.get(s.analysis.name);
    const memory = attention ? largestBatchMemory(attention, batchShapes(s, options.batchSize, options.maxLength)) : undefined;
    return {
      ...s.analysis,
      ...(memory ? { memory } : {}),
      ...(m ? { measuredMs: m.totalMs, measurement: m } : {}),
    };
  });
  return {
    version: PADDING_ANALYSIS_VERSION,
    n: input.lengths.length,
    batchSize: options.batchSize,
    maxLength: options.maxLength,
    causal: options.causal,
    packingPolicy: PACKING_POLICY,
    lengths: input.source,
    distribution: lengthDistribution(plan.sorted),
    strategies,
    ...(attention ? { attention } : {}),
    ...(measured
      ? {
          measurement: {
            kernel: 'flash' as const,
            adapter: measured.adapter,
            samplesPerStrategy: measured.samplesPerStrategy,
            iterations: measured.iterations,
            warmup: measured.warmup,
            description: measured.description,
          },
        }
      : {}),
    recommendation: recommend(strategies),
  };
}
