/**
 * `attnprof padding`: the padding analysis of a lengths file, optionally measured on this GPU.
 *   attnprof padding --lengths FILE [--batch-size B] [--max-length L] [--causal] [--config FILE | --shape B,Hq,Hkv,N,D]
 *                    [--dtype f32|f16] [--measure] [--samples K] [--iters N] [--warmup N] [--adapter NAME] [--json OUT]
 * With --shape, its B and N are the defaults of --batch-size and --max-length. Without a model or shape the
 * arithmetic still runs; --measure needs one.
 */
import { DType, ProblemError, elementBytes, headDimIssue } from '../../kernels/problem';
import { formatBytes, formatPercent } from '../../kernels/units';
import { UsageError, intFlag, parseArgs, parseShape } from './args';
import { checkOutputPath, writeOutput } from './outputs';
import { modelsFromFile } from './config-commands';
import { analysePadding, paddingAttention } from '../engine/padding';
import { LengthsError } from '../padding/lengths';
import { PaddingError } from '../padding/strategies';
import type { LengthsFormat, PaddingAttention } from '../padding/types';
import type { PaddingAnalysis } from '../report/padding';

type Io = { out: (s: string) => void; err: (s: string) => void };

export const PADDING_USAGE = `  attnprof padding --lengths FILE [--batch-size B] [--max-length L] [--causal]
                   [--config FILE | --shape B,Hq,Hkv,N,D] [--dtype f32|f16] [--measure] [--samples K]
                   [--iters N] [--warmup N] [--lengths-format text|jsonl|npy|histogram-csv|histogram-json]
                   [--adapter NAME] [--seed N] [--json OUT]`;

const FLAGS = {
  lengths: true, 'batch-size': true, 'max-length': true, causal: false, config: true, shape: true, dtype: true,
  measure: false, samples: true, iters: true, warmup: true, 'lengths-format': true, adapter: true, seed: true, json: true, quiet: false,
};

const FORMATS: readonly LengthsFormat[] = ['text', 'jsonl', 'npy', 'histogram-csv', 'histogram-json'];

function attentionFrom(args: ReturnType<typeof parseArgs>, dtype: DType): { attention?: PaddingAttention; batch?: number; seqLen?: number } {
  const shape = args.values.get('shape');
  const config = args.values.get('config');
  if (shape && config) throw new UsageError('give either --config or --shape, not both.');
  const causalFlag = args.switches.has('causal');
  if (shape) {
    const s = parseShape(shape);
    if (s.heads % s.kvHeads !== 0) throw new UsageError(`query heads (${s.heads}) must be a multiple of key/value heads (${s.kvHeads}) for GQA/MQA.`);
    const dimIssue = headDimIssue(s.headDim);
    if (dimIssue) throw new UsageError(`${dimIssue}.`);
    return {
      attention: { name: 'shape', heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim, dtype, dtypeBytes: elementBytes(dtype), causal: causalFlag },
      batch: s.batch,
      seqLen: s.seqLen,
    };
  }
  if (config) {
    // Memory at the model's own precision (torch_dtype: bf16 → 2 bytes) unless --dtype says otherwise; the
    // measurement runs at --dtype (f32 by default: software adapters rarely have shader-f16).
    const a = paddingAttention(modelsFromFile(config), dtype, args.values.has('dtype') ? { dtypeBytes: elementBytes(dtype) } : {});
    return { attention: { ...a, causal: causalFlag || a.causal } };
  }
  return {};
}


export function paddingTable(a: PaddingAnalysis): string {
  const measured = a.strategies.some((s) => s.measuredMs !== undefined);
  const head = ['strategy', 'token eff.', 'attention eff.', 'unmasked eff.', 'batches', 'padded tokens', ...(a.attention ? ['peak batch (S)'] : []), ...(measured ? ['measured ms', 'ns/token'] : [])];
  const rows = a.strategies.map((s) => [
    s.name,
    formatPercent(s.tokenEfficiency, 1),
    formatPercent(s.attentionEfficiency, 1),
    formatPercent(s.unmaskedAttentionEfficiency, 1),
    String(s.batches),
    String(s.paddedTokens),
    ...(a.attention ? [s.memory ? formatBytes(s.memory.peakBytes) : '–'] : []),
    ...(measured ? [s.measuredMs?.toFixed(2) ?? '–', s.measurement?.nsPerUsefulToken.toFixed(2) ?? '–'] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const d = a.distribution;
  const lines = [
    `${a.n} sequences from ${a.lengths.file} (${a.lengths.format}${a.lengths.estimated ? `, ${a.lengths.estimatedCount} token counts estimated from text` : ''}): ` +
      `length min ${d.minLength}, median ${d.p50Length}, p90 ${d.p90Length}, p99 ${d.p99Length}, max ${d.maxLength}`,
    `B = ${a.batchSize}, L = ${a.maxLength}, ${a.causal ? 'causal' : 'non-causal'}${a.attention ? `; attention of ${a.attention.name}: Hq ${a.attention.heads}, Hkv ${a.attention.kvHeads}, D ${a.attention.headDim}, ${a.attention.dtype}` : ''}`,
  ];
  if (a.lengths.badLines.count) {
    lines.push(`skipped ${a.lengths.badLines.count} bad lines: ${a.lengths.badLines.first.map((b) => `line ${b.line} (${b.reason})`).join(', ')}`);
  }
  lines.push('', line(head), ...rows.map(line), '');
  if (a.measurement) lines.push(`measured (${a.measurement.adapter}, flash, ms per layer forward for the whole dataset): ${a.measurement.description}`);
  lines.push(`recommendation: ${a.recommendation.text}`);
  return lines.join('\n');
}

export async function paddingCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.positional.length) throw new UsageError(`padding takes no positional argument, got '${args.positional[0]}'.`);
  const file = args.values.get('lengths');
  if (!file) throw new UsageError('padding needs --lengths FILE.');
  const dtype = args.values.get('dtype') ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype must be f32 or f16, got '${dtype}'.`);
  const format = args.values.get('lengths-format');
  if (format !== undefined && !FORMATS.includes(format as LengthsFormat)) {
    throw new UsageError(`--lengths-format must be one of ${FORMATS.join(', ')}, got '${format}'.`);
  }
  const json = args.values.get('json');
  if (json !== undefined) checkOutputPath('json', json);
  const measure = args.switches.has('measure');
  const samples = intFlag(args, 'samples', 4, 1, 1000);
  const iterations = intFlag(args, 'iters', 3, 1, 10000);
  const warmup = intFlag(args, 'warmup', 1, 0, 1000);
  const { attention, batch, seqLen } = attentionFrom(args, dtype);
  if (measure && !attention) throw new UsageError('--measure needs the model\'s attention: --config FILE or --shape B,Hq,Hkv,N,D.');
  const quiet = args.switches.has('quiet');
  const report = await analysePadding(
    {
      title: `padding: ${file}`,
      source: { kind: 'shape' },
      lengthsFile: file,
      ...(format ? { lengthsFormat: format as LengthsFormat } : {}),
      batchSize: intFlag(args, 'batch-size', batch ?? 8, 1, 65536),
      ...(args.values.has('max-length') || seqLen !== undefined ? { maxLength: intFlag(args, 'max-length', seqLen ?? 1, 1, 2 ** 26) } : {}),
      causal: args.switches.has('causal'),
      ...(attention ? { attention } : {}),
      ...(measure
        ? {
            measure: {
              samples,
              iterations,
              warmup,
              ...(args.values.has('seed') ? { seed: intFlag(args, 'seed', 0, 0) } : {}),
              ...(args.values.has('adapter') ? { adapterName: args.values.get('adapter') } : {}),
            },
          }
        : {}),
    },
    { onProgress: (m) => !quiet && measure && io.err(`attnprof: ${m}`) },
  );
  const analysis = report.padding as PaddingAnalysis;
  io.out(paddingTable(analysis));
  if (json !== undefined) writeOutput('json', json, JSON.stringify(analysis, null, 1), io.out);
  const wrong = analysis.strategies.filter((s) => s.measurement && !s.measurement.correct);
  if (wrong.length) {
    io.err(`attnprof: flash produced wrong results on sampled ${wrong.map((s) => s.name).join(', ')} batches (max relative error ${Math.max(...wrong.map((s) => s.measurement?.maxRelError ?? 0)).toExponential(2)}).`);
    return 1;
  }
  return 0;
}

/** Errors of this command that are the user's input (exit 2). */
export function isPaddingInputError(e: unknown): boolean {
  return e instanceof LengthsError || e instanceof PaddingError || e instanceof ProblemError;
}
