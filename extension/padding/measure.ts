/**
 * Measured strategies: a sample of each strategy's batches through the real flash kernel — padded batches
 * with per-row key lengths (keys past each sequence masked, its padding queries still computed, as a padded
 * batch costs), packed rows with document masking — and once more without the document mask (a kernel that
 * does not skip masked blocks). Every run is checked against the float64 reference like any profile.
 */
import { GpuContext, GpuError } from '../../kernels/device';
import { AttentionProblem, docBoundsFor } from '../../kernels/problem';
import { RunOptions, runProblem } from '../../kernels/runner';
import type { PaddingMeasurementResult, PaddingPlan } from './analysis';
import { describeSampling, sampleBatchIndices } from './sampling';
import type { BatchLayout } from './strategies';
import type { PaddingAttention, StrategyMeasurement } from './types';

export interface MeasureOptions {
  /** Batches timed per strategy. */
  samples: number;
  iterations: number;
  warmup: number;
  seed?: number;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/** The kernel problem of one batch layout for the model's attention. */
export function batchProblem(a: PaddingAttention, layout: BatchLayout, documentMask = true): AttentionProblem {
  const rows = layout.kind === 'padded' ? layout.rowLengths.length : layout.rowDocs.length;
  const base: AttentionProblem = {
    batch: rows,
    heads: a.heads,
    kvHeads: a.kvHeads,
    seqLenQ: layout.seqLen,
    seqLenK: layout.seqLen,
    headDim: a.headDim,
    dtype: a.dtype,
    causal: a.causal,
    window: 0,
    softcap: 0,
  };
  if (layout.kind === 'padded') return { ...base, kvLens: Int32Array.from(layout.rowLengths) };
  return documentMask ? { ...base, docBounds: docBoundsFor(layout.rowDocs, layout.seqLen) } : base;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export async function measureStrategies(
  ctx: GpuContext,
  plan: PaddingPlan,
  attention: PaddingAttention,
  o: MeasureOptions,
): Promise<PaddingMeasurementResult> {
  const byStrategy = new Map<string, StrategyMeasurement>();
  const batchesPer: Record<string, number> = {};
  const run = async (p: AttentionProblem): Promise<{ ms: number; err: number; ok: boolean }> => {
    const options: RunOptions = {
      kernels: ['flash'],
      iterations: o.iterations,
      warmup: o.warmup,
      seed: o.seed,
      checkBudget: 256, // a spread of rows keeps the float64 check cheap next to the timing
      signal: o.signal,
    };
    const r = (await runProblem(ctx, p, options)).results[0];
    if (r.status !== 'ok' || !r.timings) throw new GpuError(`flash failed on a padding batch: ${r.error ?? 'no timing'}`);
    return { ms: r.timings.medianMs, err: r.maxRelError, ok: r.correct };
  };
  for (const s of plan.strategies) {
    const a = s.analysis;
    batchesPer[a.name] = a.batches;
    const indices = sampleBatchIndices(a.batches, o.samples);
    const batchMs: number[] = [];
    const unmaskedBatchMs: number[] = [];
    let maxRelError = 0;
    let correct = true;
    for (const [k, index] of indices.entries()) {
      const layout = s.batch(index);
      o.onProgress?.(`${a.name}: batch ${index + 1} of ${a.batches} (${k + 1}/${indices.length} timed), ${layout.kind === 'padded' ? layout.rowLengths.length : layout.rowDocs.length} × ${layout.seqLen} tokens`);
      const masked = await run(batchProblem(attention, layout, true));
      batchMs.push(masked.ms);
      maxRelError = Math.max(maxRelError, masked.err);
      correct &&= masked.ok;
      if (layout.kind === 'packed') {
        const unmasked = await run(batchProblem(attention, layout, false));
        unmaskedBatchMs.push(unmasked.ms);
        maxRelError = Math.max(maxRelError, unmasked.err);
        correct &&= unmasked.ok;
      }
    }
    const meanBatchMs = mean(batchMs);
    const totalMs = meanBatchMs * a.batches;
    byStrategy.set(a.name, {
      sampledBatches: indices,
      batchMs,
      meanBatchMs,
      totalMs,
      nsPerUsefulToken: a.usefulTokens > 0 ? (totalMs * 1e6) / a.usefulTokens : 0,
      ...(unmaskedBatchMs.length ? { unmaskedBatchMs, unmaskedTotalMs: mean(unmaskedBatchMs) * a.batches } : {}),
      maxRelError,
      correct,
    });
  }
  return {
    adapter: ctx.adapter.description,
    samplesPerStrategy: o.samples,
    iterations: o.iterations,
    warmup: o.warmup,
    description: describeSampling(o.samples, batchesPer),
    byStrategy,
  };
}
