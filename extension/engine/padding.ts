/**
 * The padding use case, once (issue 5): a lengths file, batch size, max length and optionally a model's
 * attention → a report whose `padding` is filled, measured on the GPU when asked. The CLI (`attnprof padding`),
 * the worker (VS Code's *Analyze Padding Efficiency…*) and the padding CodeLens all call this module; none of
 * them runs the pipeline itself.
 */
import { GpuContext, openGpu } from '../../kernels/device';
import type { DType } from '../../kernels/problem';
import type { ModelAttention } from '../model';
import { buildPaddingAnalysis, planPadding, type PaddingMeasurementResult } from '../padding/analysis';
import { readLengths } from '../padding/lengths';
import { measureStrategies } from '../padding/measure';
import { PaddingError } from '../padding/strategies';
import type { PaddingAttention } from '../padding/types';
import type { ProfileReport } from '../report/schema';
import { paddingJson, specJson } from './reportWire';
import { reportEnvelope } from './envelope';
import type { ProfileHooks } from './profile';
import type { PaddingRequest } from '../protocol/worker';
import { workloadsFromModels } from './workloads';

/**
 * The attention a padding analysis uses for a model: the workload standing for the most layers (Gemma-2: the
 * kind most layers have). Memory is counted at the model's own precision (torch_dtype bf16: 2 bytes) unless
 * `dtypeBytes` says otherwise (the CLI's explicit --dtype); the measurement runs at `dtype`.
 */
export function paddingAttention(models: readonly ModelAttention[], dtype: DType, opts: { dtypeBytes?: number } = {}): PaddingAttention {
  const workloads = workloadsFromModels(models, { dtype });
  const w = workloads.reduce((a, b) => (b.layers.length > a.layers.length ? b : a));
  const model = models.find((m) => w.name.startsWith(m.name));
  const p = w.problem;
  return {
    name: w.name,
    heads: p.heads,
    kvHeads: p.kvHeads,
    headDim: p.headDim,
    dtype,
    dtypeBytes: opts.dtypeBytes ?? model?.dtypeBytes ?? (dtype === 'f16' ? 2 : 4),
    causal: p.causal,
  };
}

/**
 * A padding analysis as a report (`padding` filled; `workloads` empty: the measurement's per-batch kernel runs
 * are summarised in `padding.strategies[].measurement`, not kept as kernel results). The lengths are streamed
 * from the file (in the worker, for the editor: it never holds a big file).
 */
export async function analysePadding(request: PaddingRequest, hooks: ProfileHooks = {}, context?: GpuContext): Promise<ProfileReport> {
  if (request.measure && !request.attention) throw new PaddingError('measuring needs the model\'s attention (a config or a shape).');
  hooks.onProgress?.(`reading ${request.lengthsLabel ?? request.lengthsFile}`, 0);
  const input = await readLengths(request.lengthsFile, request.lengthsFormat ? { format: request.lengthsFormat } : {});
  // The report names the file as the user knows it, not by the absolute path the worker was handed.
  if (request.lengthsLabel) input.source.file = request.lengthsLabel;
  let longest = 0;
  for (const len of input.lengths) if (len > longest) longest = len;
  const options = { batchSize: request.batchSize ?? 8, maxLength: request.maxLength ?? longest, causal: request.attention?.causal ?? request.causal };
  hooks.onProgress?.(`${input.lengths.length} sequences: planning fixed, dynamic, bucketed and packed batches`, 0);
  const plan = planPadding(input, options);
  const attention = request.attention ? { ...request.attention, causal: options.causal } : undefined;
  let measured: PaddingMeasurementResult | undefined;
  let ctx: GpuContext | undefined;
  const m = request.measure;
  try {
    if (m && attention) {
      ctx = context ?? (await openGpu({ adapterName: m.adapterName }));
      const total = plan.strategies.reduce((s, st) => s + Math.min(m.samples, st.analysis.batches), 0);
      let done = 0;
      measured = await measureStrategies(ctx, plan, attention, {
        samples: m.samples,
        iterations: m.iterations,
        warmup: m.warmup,
        seed: m.seed,
        signal: hooks.signal,
        // One message per timed batch: the fraction is batches started over batches to time.
        onProgress: (message) => hooks.onProgress?.(message, Math.min(1, done++ / Math.max(1, total))),
      });
    }
    const padding = buildPaddingAnalysis(plan, attention, measured);
    const problem = {
      batch: options.batchSize,
      heads: attention?.heads ?? 1,
      kvHeads: attention?.kvHeads ?? 1,
      seqLenQ: options.maxLength,
      seqLenK: options.maxLength,
      headDim: attention?.headDim ?? 64,
      dtype: attention?.dtype ?? ('f32' as const),
      causal: options.causal,
      window: 0,
      softcap: 0,
    };
    return {
      ...reportEnvelope({ title: request.title, source: request.source, ctx, withoutAdapter: 'not measured (arithmetic only)', idTag: 'padding' }),
      settings: { iterations: m?.iterations ?? 0, warmup: m?.warmup ?? 0, seed: m?.seed ?? 0, kernels: m ? ['flash'] : [] },
      // The shape of a fixed batch (B × L): what "the model's attention" means for this analysis.
      spec: specJson(problem),
      results: [],
      memory: [],
      workloads: [],
      padding: paddingJson(padding),
    };
  } finally {
    if (ctx && !context) ctx.destroy();
  }
}
