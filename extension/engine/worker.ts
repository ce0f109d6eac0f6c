/**
 * The profiling worker: a child process of the extension host, so a GPU hang, device loss or
 * out-of-memory ends this process and never the editor. Cancellation kills it.
 */
import { GpuContext, GpuError, NoAdapterError, listAdapters, openGpu } from '../../kernels/device';
import { ProblemError } from '../../kernels/problem';
import { buildPaddingAnalysis, planPadding, type PaddingMeasurementResult } from '../padding/analysis';
import { LengthsError, readLengths } from '../padding/lengths';
import { measureStrategies } from '../padding/measure';
import { PaddingError } from '../padding/strategies';
import { EXPORTER, REPORT_SCHEMA, REPORT_VERSION, specToJson, type ProfileReport } from '../report/schema';
import { profile, type ProfileHooks } from './profile';
import { FromWorker, PaddingRequest, WorkerErrorKind, isToWorker, type PythonProbeSummary } from './protocol';
import { describeHello, discoverPython, type PythonChoice } from './pythonSession';

/** Every Python candidate and what it has (none kept running). */
export async function probePythons(choice: PythonChoice): Promise<PythonProbeSummary[]> {
  const found = await discoverPython(choice, { all: true });
  return found.tried.map((t) => ({
    path: t.candidate.path,
    source: t.candidate.source,
    description: t.hello ? describeHello(t.candidate, t.hello) : `${t.candidate.path} [${t.candidate.source}]: ${t.error ?? 'failed'}`,
    torch: t.hello?.torch ?? null,
    ...(t.hello ? { backends: t.hello.backends } : {}),
  }));
}

function send(message: FromWorker): void {
  process.send?.(message);
}

function errorKind(e: unknown): WorkerErrorKind {
  if (e instanceof NoAdapterError) return 'no-adapter';
  if (e instanceof ProblemError || e instanceof LengthsError || e instanceof PaddingError) return 'input';
  if (e instanceof GpuError) return 'gpu';
  return 'internal';
}

const NOT_MEASURED_ADAPTER: ProfileReport['adapter'] = {
  vendor: '',
  architecture: '',
  device: '',
  description: 'not measured (arithmetic only)',
  backend: '',
  isFallback: false,
};

/**
 * A padding analysis as a report (`padding` filled; `workloads` empty: the measurement's per-batch kernel runs
 * are summarised in `padding.strategies[].measurement`, not kept as kernel results). The lengths are streamed
 * from the file here, in the worker, so the editor never holds a big file.
 */
export async function paddingReport(request: PaddingRequest, hooks: ProfileHooks = {}, context?: GpuContext): Promise<ProfileReport> {
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
    const a = ctx?.adapter;
    return {
      schema: REPORT_SCHEMA,
      version: REPORT_VERSION,
      exporter: EXPORTER,
      id: `${new Date().toISOString().replace(/[:.]/g, '-')}-padding-${Math.random().toString(36).slice(2, 8)}`,
      createdAt: new Date().toISOString(),
      title: request.title,
      source: request.source,
      units: { time: 'ms', memory: 'bytes', flops: 'FLOP', throughput: 'TFLOP/s', bandwidth: 'GB/s' },
      adapter: a
        ? { vendor: a.vendor, architecture: a.architecture, device: a.device, description: a.description, backend: a.backend, isFallback: a.isFallback }
        : NOT_MEASURED_ADAPTER,
      timestamps: { available: ctx?.hasTimestamps ?? false, quantized: ctx?.timestampsQuantized ?? false },
      settings: { iterations: m?.iterations ?? 0, warmup: m?.warmup ?? 0, seed: m?.seed ?? 0, kernels: m ? ['flash'] : [] },
      // The shape of a fixed batch (B × L): what "the model's attention" means for this analysis.
      spec: specToJson(problem),
      results: [],
      memory: [],
      workloads: [],
      padding,
    };
  } finally {
    if (ctx && !context) ctx.destroy();
  }
}

export function runWorker(): Promise<number> {
  if (!process.send) {
    process.stderr.write('attnprof: `worker` is started by the VS Code extension, not by hand.\n');
    return Promise.resolve(2);
  }
  return new Promise((resolve) => {
    process.on('disconnect', () => resolve(0));
    process.on('message', (raw: unknown) => {
      if (!isToWorker(raw)) {
        const id = (raw as { id?: unknown } | null)?.id;
        if (typeof id === 'number') send({ type: 'result', id, ok: false, error: { kind: 'internal', message: 'the worker received a malformed request' } });
        return;
      }
      const msg = raw;
      if (msg.type === 'python') {
        probePythons(msg.choice)
          .then((probes) => send({ type: 'python', id: msg.id, probes }))
          .catch(() => send({ type: 'python', id: msg.id, probes: [] }));
        return;
      }
      if (msg.type === 'adapters') {
        listAdapters()
          .then((adapters) => send({ type: 'adapters', id: msg.id, adapters }))
          .catch(() => send({ type: 'adapters', id: msg.id, adapters: [] }));
        return;
      }
      const hooks: ProfileHooks = { onProgress: (message, fraction) => send({ type: 'progress', id: msg.id, message, fraction }) };
      (msg.type === 'padding' ? paddingReport(msg.request, hooks) : profile(msg.request, hooks))
        .then((report) => send({ type: 'result', id: msg.id, ok: true, report }))
        .catch((e: unknown) =>
          send({ type: 'result', id: msg.id, ok: false, error: { kind: errorKind(e), message: (e as Error).message } }),
        );
    });
    send({ type: 'ready' });
  });
}
