/**
 * The engine fills the report's wire types (report/schema.ts, report/measurements.ts, report/padding.ts) from what
 * kernels/ and padding/ produce. The two sides are declared apart so the report (and the webview that reads it)
 * never depends on the GPU code; the compiler keeps them in step: `WireAgreement` below fails to compile when a
 * field is added, removed or retyped on one side only. Add it to the report's wire type (and to what reads it),
 * or convert it here.
 */
import type { AnalyticBuffer as KernelAnalyticBuffer } from '../../kernels/kernel';
import type { AdapterSummary, SubgroupMatrixConfig as KernelMatrixConfig } from '../../kernels/device';
import type { Ceilings as MeasuredCeilings } from '../../kernels/ceilings';
import type { MemoryEvent as AllocatorEvent } from '../../kernels/allocator';
import type { IterationTrace as KernelTrace, KernelResult as MeasuredResult, PassStats as KernelPassStats, TrainStats as KernelTrainStats } from '../../kernels/runner';
import type { BlockWork as KernelBlockWork } from '../../kernels/sparsity';
import type { TimingStats as KernelTimingStats } from '../../kernels/stats';
import { attentionFlops, effectiveScale, minimumBytes, scoreMatrixBytes, visiblePairs, type AttentionProblem } from '../../kernels/problem';
import type * as Padding from '../padding/types';
import type * as Measurements from '../report/measurements';
import type * as Section from '../report/padding';
import type { SpecJson } from '../report/schema';

/** The document lengths of each row from its bounds (a run of queries sharing one non-empty [start, end) is a document). */
export function documentLengths(bounds: Int32Array, batch: number, seqLen: number): number[][] {
  const rows: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const docs: number[] = [];
    let prev = -1;
    for (let i = 0; i < seqLen; i++) {
      const start = bounds[2 * (b * seqLen + i)];
      const end = bounds[2 * (b * seqLen + i) + 1];
      if (end > start && start !== prev) docs.push(end - start);
      prev = end > start ? start : prev;
    }
    rows.push(docs);
  }
  return rows;
}

/** The problem as the report states it, with what the cost model derives from it (FLOPs, visible pairs, bytes). */
export function specJson(p: AttentionProblem): SpecJson {
  return {
    batch: p.batch,
    heads: p.heads,
    kvHeads: p.kvHeads,
    seqLenQ: p.seqLenQ,
    seqLenK: p.seqLenK,
    headDim: p.headDim,
    dtype: p.dtype,
    causal: p.causal,
    window: p.window,
    softcap: p.softcap,
    scale: effectiveScale(p),
    ...(p.kvLens ? { kvLens: [...p.kvLens] } : {}),
    ...(p.neighborhood ? { neighborhood: { ...p.neighborhood } } : {}),
    ...(p.layout === 'bshd' ? { layout: 'bshd' as const } : {}),
    ...(p.docBounds ? { documents: documentLengths(p.docBounds, p.batch, p.seqLenQ) } : {}),
    flops: attentionFlops(p),
    visiblePairs: visiblePairs(p),
    minimumBytes: minimumBytes(p),
    scoreMatrixBytes: scoreMatrixBytes(p),
  };
}

/** A kernel's row: the runner's result carries exactly the report's fields (WireAgreement). */
export function resultJson(r: MeasuredResult): Measurements.KernelResult {
  return r;
}

export function memoryJson(events: readonly AllocatorEvent[]): Measurements.MemoryEvent[] {
  return [...events];
}

export function ceilingsJson(c: MeasuredCeilings): Measurements.Ceilings {
  return c;
}

/** What the report keeps of the adapter: who it is, not its limits and feature list. */
export function adapterJson(a: AdapterSummary): Measurements.ReportAdapter {
  return {
    vendor: a.vendor,
    architecture: a.architecture,
    device: a.device,
    description: a.description,
    backend: a.backend,
    isFallback: a.isFallback,
    subgroupMatrixConfigs: a.subgroupMatrixConfigs,
    ...(a.f16Note ? { f16Note: a.f16Note } : {}),
    shaderChecks: a.shaderChecks,
  };
}

export function paddingJson(a: Padding.PaddingAnalysis): Section.PaddingAnalysis {
  return a;
}

/** True when A and B name the same fields and A's values fit B's: the engine's side fits the report's exactly. */
export type Agree<A, B> = [A] extends [B] ? ([Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never] ? true : false) : false;
export type Check<T extends true> = T;
type Item<T> = T extends readonly (infer E)[] ? E : never;

/** Compile-time only: every pair of internal and wire types agrees (see the header). */
export type WireAgreement = [
  Check<Agree<MeasuredResult, Measurements.KernelResult>>,
  Check<Agree<KernelTimingStats, Measurements.TimingStats>>,
  Check<Agree<KernelPassStats, Measurements.PassStats>>,
  Check<Agree<KernelTrace, Measurements.IterationTrace>>,
  Check<Agree<Item<KernelTrace['passes']>, Item<Measurements.IterationTrace['passes']>>>,
  Check<Agree<KernelTrainStats, Measurements.TrainStats>>,
  Check<Agree<KernelBlockWork, Measurements.BlockWork>>,
  Check<Agree<KernelAnalyticBuffer, Measurements.AnalyticBuffer>>,
  Check<Agree<AllocatorEvent, Measurements.MemoryEvent>>,
  Check<Agree<MeasuredCeilings, Measurements.Ceilings>>,
  Check<Agree<KernelMatrixConfig, Measurements.SubgroupMatrixConfig>>,
  Check<Agree<Padding.PaddingAnalysis, Section.PaddingAnalysis>>,
  Check<Agree<Padding.LengthBin, Section.LengthBin>>,
  Check<Agree<Padding.LengthDistribution, Section.LengthDistribution>>,
  Check<Agree<Padding.BadLine, Section.BadLine>>,
  Check<Agree<Padding.LengthsSource, Section.LengthsSource>>,
  Check<Agree<Padding.BatchMemory, Section.BatchMemory>>,
  Check<Agree<Padding.StrategyMeasurement, Section.StrategyMeasurement>>,
  Check<Agree<Padding.StrategyAnalysis, Section.StrategyAnalysis>>,
  Check<Agree<Padding.PaddingAttention, Section.PaddingAttention>>,
  Check<Agree<Padding.PaddingRecommendation, Section.PaddingRecommendation>>,
  Check<Agree<NonNullable<Padding.PaddingAnalysis['measurement']>, NonNullable<Section.PaddingAnalysis['measurement']>>>,
];
