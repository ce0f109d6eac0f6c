/**
 * `attnprof`: the headless engine. Exit codes: 0 success; 1 runtime failure (GPU, wrong results);
 * 2 bad arguments or unreadable input. User errors print one sentence, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { GpuError, NoAdapterError, gpuAbandoned, listAdapters, openGpu } from '../../kernels/device';
import { AttentionProblem, DType, Layout, ProblemError, describeProblem, docBoundsFor, neighborhoodFor, validateProblem } from '../../kernels/problem';
import { CancelledError, KERNEL_NAMES, runProblem } from '../../kernels/runner';
import { profile } from '../engine/profile';
import type { ProfileRequest } from '../protocol/worker';
import { configRequest, shapeRequest } from '../engine/requests';
import { measureCeilings } from '../../kernels/ceilings';
import { describeShaderChecks, formatBytes, formatMatrixConfig } from '../../kernels/units';
import { summaryTable } from '../report/summary';
import { toChromeTrace } from '../report/trace';
import { ParsedArgs, UsageError, intFlag, numberFlag, parseArgs, parseShape } from './args';
import { NpyArray, NpyError, encodeNpy, readNpyFile } from './npy';
import { inspectCommand, modelsFromFile } from './config-commands';
import { runWorker } from '../engine/worker';
import { OutputError, checkOutputPath, writeOutput } from './outputs';
import { PADDING_USAGE, isPaddingInputError, paddingCommand } from './padding';
import { FILTERED_ENV, opensGpu, runWithQuietDawn } from './quietDawn';
import { TORCH_KERNEL_IDS, type ProfileMode, type TorchDType } from '../protocol/python';
import { configTorchDtype, parseTorchDtype } from '../engine/torchDtype';
import { describeHello, discoverPython } from '../engine/pythonSession';
import type { PythonChoice } from '../protocol/worker';

const USAGE = `attnprof — profile Transformer attention kernels on this machine's GPU (WebGPU/Dawn)

usage:
  attnprof inspect FILE [--json]
  attnprof profile (FILE | --shape B,Hq,Hkv,N,D) [--kernels naive,flash,torch:sdpa-flash,...]
                   [--dtype f32|f16|bf16] [--mode fwd|train] [--python PATH]
                   [--causal] [--window W] [--softcap C] [--scale S] [--q-len NQ] [--iters N] [--warmup N]
                   [--neighborhood R|W:R [--grid H×W]] [--layout bhsd|bshd] [--docs L1,L2,…[;…]]
                   [--batch B] [--seq-len N] [--adapter NAME] [--seed N] [--max-seconds S] [--json OUT] [--trace OUT]
  attnprof run --kernel NAME --q Q.npy --k K.npy --v V.npy --out O.npy
               [--do DO.npy --dq DQ.npy --dk DK.npy --dv DV.npy] [--dtype f32|f16]
               [--causal] [--window W] [--softcap C] [--scale S] [--kv-lens LENS.npy]
               [--neighborhood R|W:R [--grid H×W]] [--layout bhsd|bshd] [--adapter NAME]
               [--dtype f32|f16] [--out-dtype f32|f16]   (default: f16 when Q, K, V are all '<f2', else f32;
                                                          the output in the inputs' dtype)
  --no-f16-toggle (any command): do not ask Dawn for f16 on NVIDIA drivers that gate it (before 615.71)
  --shader-checks (any command): compile our kernels with Dawn's index clamping and zeroed workgroup memory
                  (by default off on a GPU, as native kernels run; a software adapter always keeps them)
  attnprof adapters [--python PATH]
  attnprof ceilings [--json]
${PADDING_USAGE}

kernels: ours (WebGPU) ${KERNEL_NAMES.join(', ')}; PyTorch's ${TORCH_KERNEL_IDS.join(', ')}
  (run by --python PATH, else $ATTNPROF_PYTHON, else python3 on PATH or /usr/bin/python3, whichever has torch;
  bf16 is for the PyTorch rows, ours then run f16. Without --dtype a config's torch_dtype is the PyTorch rows' dtype,
  and a bf16/fp16 config runs ours f16 where the adapter has shader-f16, f32 elsewhere; the report says which).
docs: packed documents (varlen): each row of N tokens holds documents of these lengths end to end, a query sees
  only keys of its own document (then causal, window…); tokens after the last document are padding and see
  nothing. One list applies to every row; rows separated by ';' give one list per row (B lists).
neighborhood: 2-D neighbourhood mask (ViT): patches of an H×W grid see patches less than R rows and R columns
  away; the N − H·W tokens before the grid (a class token) see and are seen by all. The grid: --grid H×W; W:R
  gives its width (⌊N/W⌋ rows); else √N×√N when N is a square, else a class token and √(N−1)×√(N−1).
tensors: little-endian float32 .npy, q [B,Hq,N,D], k/v [B,Hkv,Nk,D] (--layout bshd: q [B,N,Hq,D], k/v [B,Nk,Hkv,D]);
  the output has q's layout; kv-lens int32 [B].
  run with --do times nothing: it writes O and the gradients dQ, dK, dV (float32; float16 with --dtype f16 and
  float16 inputs), each checked against the float64 reference (bhsd layout, no neighbourhood mask).
max-seconds: time limit per kernel (default 30 s) for its warm-up and timed iterations; a kernel estimated over it
  is not run, one still running on the GPU at the limit is stopped there (the report keeps what ran before it).
exit codes: 0 success, 1 runtime failure, 2 bad arguments or unreadable input.`;

type Io = { out: (s: string) => void; err: (s: string) => void };

const PROFILE_FLAGS = {
  shape: true, kernels: true, dtype: true, causal: false, window: true, softcap: true, scale: true, 'q-len': true,
  iters: true, warmup: true, json: true, trace: true, adapter: true, seed: true, batch: true, 'seq-len': true,
  'max-seconds': true, quiet: false, 'no-ceilings': false, mode: true, python: true, neighborhood: true, grid: true,
  layout: true, docs: true,
};

/** --docs L1,L2,…[;…]: document lengths packed into each row (one list for every row, or one per row). */
export function docsFlag(args: ParsedArgs): number[][] | undefined {
  const raw = args.values.get('docs');
  if (raw === undefined) return undefined;
  const rows = raw.split(';').map((row) =>
    row.split(',').map((x) => {
      const n = x.trim() === '' ? Number.NaN : Number(x);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--docs takes document lengths (positive integers, ',' between documents, ';' between rows), got '${raw}'.`);
      return n;
    }),
  );
  return rows;
}

/** The document bounds of `docs` for a problem of `batch` rows of `n` tokens (queries and keys alike). */
function docsFor(docs: number[][], p: AttentionProblem): Pick<AttentionProblem, 'docBounds'> {
  if (p.seqLenQ !== p.seqLenK) throw new UsageError(`--docs packs documents into rows of N tokens: queries and keys must be the same tokens (--q-len ${p.seqLenQ} ≠ N ${p.seqLenK}).`);
  if (docs.length !== 1 && docs.length !== p.batch) throw new UsageError(`--docs gives ${docs.length} rows of documents for a batch of ${p.batch}: give one list (every row) or ${p.batch}.`);
  const rows = docs.length === 1 ? Array.from({ length: p.batch }, () => docs[0]) : docs;
  return { docBounds: docBoundsFor(rows, p.seqLenK) };
}

/** --layout bhsd|bshd: [B, H, N, D] (default) or [B, N, H, D]; the kernels read either through strides. */
function layoutFlag(args: ParsedArgs): Layout {
  const l = args.values.get('layout') ?? 'bhsd';
  if (l !== 'bhsd' && l !== 'bshd') throw new UsageError(`--layout must be bhsd ([B,H,N,D]) or bshd ([B,N,H,D]), got '${l}'.`);
  return l;
}

/** --grid H×W (or HxW). */
function gridFlag(args: ParsedArgs): { rows: number; cols: number } | undefined {
  const raw = args.values.get('grid');
  if (raw === undefined) return undefined;
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(raw);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new UsageError(`--grid must be ROWS×COLS (e.g. 56x56), got '${raw}'.`);
  if (!args.values.has('neighborhood')) throw new UsageError('--grid is the patch grid of --neighborhood R; give both.');
  return { rows: Number(m[1]), cols: Number(m[2]) };
}

function neighborhoodOverrides(args: ParsedArgs): { neighborhood?: number; gridWidth?: number; grid?: { rows: number; cols: number } } {
  const grid = gridFlag(args);
  const arg = neighborhoodArg(args);
  return { ...(arg ? { neighborhood: arg.radius, ...(arg.width ? { gridWidth: arg.width } : {}) } : {}), ...(grid ? { grid } : {}) };
}

/** --neighborhood R or W:R (radius, or grid width and radius). */
function neighborhoodArg(args: ParsedArgs): { radius: number; width?: number } | undefined {
  const raw = args.values.get('neighborhood');
  if (raw === undefined) return undefined;
  const m = /^\s*(?:(\d+)\s*:\s*)?(\d+)\s*$/.exec(raw);
  if (!m || Number(m[2]) < 1 || (m[1] !== undefined && Number(m[1]) < 1)) {
    throw new UsageError(`--neighborhood takes R or W:R (radius, or grid width and radius, e.g. 5 or 56:5), got '${raw}'.`);
  }
  return { radius: Number(m[2]), ...(m[1] !== undefined ? { width: Number(m[1]) } : {}) };
}

/** The grid a W:R neighbourhood names for n tokens: ⌊n/W⌋ rows of W (tokens before them are global). */
function gridOfWidth(n: number, width: number): { rows: number; cols: number } {
  if (width > n) throw new UsageError(`--neighborhood grid width ${width} is wider than the ${n} tokens.`);
  return { rows: Math.floor(n / width), cols: width };
}

/** --neighborhood R|W:R [--grid H×W] for a sequence of n tokens (kernels/problem.ts states the mask). */
function neighborhoodFlags(args: ParsedArgs, n: number): Pick<AttentionProblem, 'neighborhood'> {
  const grid = gridFlag(args);
  const arg = neighborhoodArg(args);
  if (!arg) return {};
  return { neighborhood: neighborhoodFor(n, arg.radius, grid ?? (arg.width ? gridOfWidth(n, arg.width) : undefined)) };
}

const ALL_KERNELS = [...KERNEL_NAMES, ...TORCH_KERNEL_IDS];

function kernelsFlag(args: ParsedArgs): string[] {
  const raw = args.values.get('kernels');
  const kernels = raw ? [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))] : [...KERNEL_NAMES];
  for (const k of kernels) {
    if (!ALL_KERNELS.includes(k)) throw new UsageError(`unknown kernel '${k}'; available: ${ALL_KERNELS.join(', ')}.`);
  }
  if (kernels.length === 0) throw new UsageError('--kernels is empty.');
  return kernels;
}

function dtypeFlag(args: ParsedArgs): DType {
  const d = args.values.get('dtype') ?? 'f32';
  if (d !== 'f32' && d !== 'f16') throw new UsageError(`--dtype must be f32 or f16, got '${d}'.`);
  return d;
}

/**
 * --dtype for a profile: f32, f16 or bf16. bf16 is PyTorch's only: our kernels then run f16 (their 16-bit type),
 * and each row says its dtype. Without --dtype the PyTorch rows take the config's torch_dtype, and a bf16/fp16 config
 * runs ours f16 where the adapter has shader-f16 (`config`: the engine decides once it has the adapter).
 */
function profileDtypes(args: ParsedArgs, configText: string | undefined): { wgsl: DType; torch: TorchDType; config?: TorchDType } {
  const raw = args.values.get('dtype');
  if (raw === undefined) {
    const config = configText !== undefined ? configTorchDtype(configText) : undefined;
    return { wgsl: 'f32', torch: config ?? 'f32', ...(config ? { config } : {}) };
  }
  const d = parseTorchDtype(raw);
  if (!d || !['f32', 'f16', 'bf16'].includes(raw.trim())) throw new UsageError(`--dtype must be f32, f16 or bf16, got '${raw}'.`);
  return { wgsl: d === 'bf16' ? 'f16' : d, torch: d };
}

export function modeFlag(args: ParsedArgs): ProfileMode {
  const m = args.values.get('mode') ?? 'fwd';
  if (m !== 'fwd' && m !== 'train') throw new UsageError(`--mode must be fwd (forward) or train (forward + backward), got '${m}'.`);
  return m;
}


function pythonFlag(args: ParsedArgs): PythonChoice {
  const path = args.values.get('python');
  if (path === undefined) return {};
  if (path.trim() === '') throw new UsageError('--python needs the path of a Python interpreter.');
  return { explicit: { path, source: '--python' } };
}

function maskFlags(args: ParsedArgs) {
  return {
    causal: args.switches.has('causal'),
    window: intFlag(args, 'window', 0, 0),
    softcap: numberFlag(args, 'softcap', 0, 0) ?? 0,
    scale: numberFlag(args, 'scale', undefined),
  };
}

async function cmdProfile(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, PROFILE_FLAGS);
  const kernels = kernelsFlag(args);
  const file = args.positional.length === 1 ? args.positional[0] : undefined;
  let configText: string | undefined;
  if (file) {
    try {
      configText = readFileSync(file, 'utf8');
    } catch {
      configText = undefined; // the config reader below reports an unreadable file
    }
  }
  const dtypes = profileDtypes(args, configText);
  const dtype = dtypes.wgsl;
  const mode = modeFlag(args);
  const masks = maskFlags(args);
  let request: ProfileRequest;
  const common = {
    kernels,
    mode,
    torchDtype: dtypes.torch,
    ...(dtypes.config ? { configDtype: dtypes.config } : {}),
    python: pythonFlag(args),
    iterations: intFlag(args, 'iters', 20, 1, 100000),
    warmup: intFlag(args, 'warmup', 3, 0, 1000),
    seed: args.values.has('seed') ? intFlag(args, 'seed', 0, 0) : undefined,
    adapterName: args.values.get('adapter'),
    maxSeconds: numberFlag(args, 'max-seconds', undefined, 0.1),
    ceilings: !args.switches.has('no-ceilings'),
  };
  const json = args.values.get('json');
  const trace = args.values.get('trace');
  if (json !== undefined) checkOutputPath('json', json);
  if (trace !== undefined) checkOutputPath('trace', trace);
  const shapeRaw = args.values.get('shape');
  const docs = docsFlag(args);
  if (shapeRaw && args.positional.length) throw new UsageError('give either a config FILE or --shape, not both.');
  if (shapeRaw) {
    const s = parseShape(shapeRaw);
    const problem: AttentionProblem = {
      batch: s.batch,
      heads: s.heads,
      kvHeads: s.kvHeads,
      seqLenQ: intFlag(args, 'q-len', s.seqLen, 1),
      seqLenK: s.seqLen,
      headDim: s.headDim,
      dtype,
      ...masks,
      ...neighborhoodFlags(args, s.seqLen),
      ...(layoutFlag(args) === 'bshd' ? { layout: 'bshd' as const } : {}),
    };
    request = shapeRequest(docs ? { ...problem, ...docsFor(docs, problem) } : problem, common);
  } else if (args.positional.length === 1) {
    const configFile = args.positional[0];
    request = configRequest(
      { file: configFile, models: modelsFromFile(configFile) },
      {
        dtype,
        batch: args.values.has('batch') ? intFlag(args, 'batch', 1, 1) : undefined,
        seqLen: args.values.has('seq-len') ? intFlag(args, 'seq-len', 1, 1) : undefined,
        ...neighborhoodOverrides(args),
        layout: layoutFlag(args),
      },
      common,
    );
  } else {
    throw new UsageError('profile needs a config FILE or --shape B,Hq,Hkv,N,D.');
  }
  if (docs && !shapeRaw) request = { ...request, workloads: request.workloads.map((w) => ({ ...w, problem: { ...w.problem, ...docsFor(docs, w.problem) } })) };
  // Bad shapes are argument errors (exit 2) whether or not this machine has a GPU: check before opening one.
  for (const w of request.workloads) validateProblem(w.problem);
  const quiet = args.switches.has('quiet');
  const report = await profile(request, { onProgress: (m) => !quiet && io.err(`attnprof: ${m}`) });
  io.out(summaryTable(report));
  if (json !== undefined) writeOutput('json', json, JSON.stringify(report, null, 1), io.out);
  if (trace !== undefined) writeOutput('trace', trace, JSON.stringify(toChromeTrace(report)), io.out);
  for (const w of report.workloads) {
    for (const r of w.results) if (r.status === 'skipped' && !quiet) io.err(`attnprof: ${r.kernel} skipped on ${w.name}: ${r.error}`);
  }
  const ran = report.workloads.some((w) => w.results.some((r) => r.status === 'ok'));
  const bad = report.workloads.flatMap((w) => w.results.filter((r) => r.status === 'failed' || (r.status === 'ok' && !r.correct)).map((r) => ({ w, r })));
  if (!ran && !bad.length) {
    io.err('attnprof: no kernel could run (every one was skipped, see above).');
    return 1;
  }
  if (bad.length) {
    for (const { w, r } of bad) {
      io.err(
        r.status === 'failed'
          ? `attnprof: ${r.kernel} failed on ${w.name}: ${r.error}`
          : `attnprof: ${r.kernel} produced wrong results on ${w.name} (max relative error ${r.maxRelError.toExponential(2)} > ${r.tolerance}).`,
      );
    }
    return 1;
  }
  return 0;
}

function readNpy(path: string, what: string): NpyArray {
  return readNpyFile(path, `${what} '${path}'`);
}

function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/** A flat C-order index as its coordinates. */
function unravel(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = index % shape[d];
    index = Math.floor(index / shape[d]);
  }
  return out;
}

async function cmdRun(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, {
    kernel: true, q: true, k: true, v: true, out: true, causal: false, window: true, softcap: true, scale: true,
    'kv-lens': true, adapter: true, dtype: true, 'out-dtype': true, neighborhood: true, grid: true, layout: true, do: true, dq: true, dk: true, dv: true,
  });
  const layout = layoutFlag(args);
  const dims = layout === 'bshd' ? '[B,N,H,D]' : '[B,H,N,D]';
  for (const f of ['kernel', 'q', 'k', 'v', 'out']) if (!args.values.has(f)) throw new UsageError(`run needs --${f}.`);
  const outPath = args.values.get('out') as string;
  checkOutputPath('out', outPath, { stdout: false });
  // Any gradient flag makes this a training step: the forward, then the backward from dO.
  const training = ['do', 'dq', 'dk', 'dv'].some((f) => args.values.has(f));
  if (training) {
    if (!args.values.has('do')) throw new UsageError('run needs --do DO.npy (dL/dO, shaped like --q) to compute --dq, --dk and --dv.');
    for (const f of ['dq', 'dk', 'dv']) {
      if (!args.values.has(f)) throw new UsageError(`with --do, run needs --${f} too: it writes dQ, dK and dV.`);
      checkOutputPath(f, args.values.get(f) as string, { stdout: false });
    }
  }
  const kernel = args.values.get('kernel') as string;
  if (!KERNEL_NAMES.includes(kernel)) throw new UsageError(`unknown kernel '${kernel}'; available: ${KERNEL_NAMES.join(', ')}.`);
  const q = readNpy(args.values.get('q') as string, '--q');
  const k = readNpy(args.values.get('k') as string, '--k');
  const v = readNpy(args.values.get('v') as string, '--v');
  const dout = training ? readNpy(args.values.get('do') as string, '--do') : undefined;
  const tensors = [['q', q], ['k', k], ['v', v], ...(dout ? [['do', dout] as const] : [])] as const;
  for (const [name, t] of tensors) {
    if (t.dtype === '<i4') throw new UsageError(`--${name} must be float32 or float16, got int32.`);
    if (t.shape.length !== 4) throw new UsageError(`--${name} must have 4 dimensions ${dims}, got [${t.shape.join(',')}].`);
  }
  if (dout && dout.shape.join(',') !== q.shape.join(',')) {
    throw new UsageError(`--do shape [${dout.shape.join(',')}] differs from --q shape [${q.shape.join(',')}]: dL/dO has the output's shape, which is Q's.`);
  }
  for (const [name, t] of tensors) {
    const at = firstNonFinite(t.data);
    if (at >= 0) {
      throw new UsageError(
        `--${name} holds ${t.data[at]} at index [${unravel(at, t.shape).join(',')}]: attention of non-finite inputs has no reference to check against; clean the tensor first.`,
      );
    }
  }
  const [B, Hq, Nq, D] = layout === 'bshd' ? [q.shape[0], q.shape[2], q.shape[1], q.shape[3]] : q.shape;
  const [Bk, Hkv, Nk, Dk] = layout === 'bshd' ? [k.shape[0], k.shape[2], k.shape[1], k.shape[3]] : k.shape;
  if (v.shape.join(',') !== k.shape.join(',')) throw new UsageError(`--v shape [${v.shape}] differs from --k shape [${k.shape}].`);
  if (Bk !== B) throw new UsageError(`q has batch ${B} but k has batch ${Bk}.`);
  if (Dk !== D) throw new UsageError(`q has head dim ${D} but k has head dim ${Dk}.`);
  let kvLens: Int32Array | undefined;
  const lensPath = args.values.get('kv-lens');
  if (lensPath) {
    const lens = readNpy(lensPath, '--kv-lens');
    if (lens.dtype !== '<i4' || lens.shape.length !== 1 || lens.shape[0] !== B) {
      throw new UsageError(`--kv-lens must be int32 of shape [${B}], got ${lens.dtype} [${lens.shape.join(',')}].`);
    }
    kvLens = lens.data as Int32Array;
  }
  // f16 inputs run in f16 unless --dtype says otherwise; the output comes back in the inputs' dtype.
  const allHalf = tensors.every(([, t]) => t.dtype === '<f2');
  const dtype: DType = args.values.has('dtype') ? dtypeFlag(args) : allHalf ? 'f16' : 'f32';
  const outDtype = args.values.get('out-dtype') ?? (allHalf ? 'f16' : 'f32');
  if (outDtype !== 'f32' && outDtype !== 'f16') throw new UsageError(`--out-dtype must be f32 or f16, got '${outDtype}'.`);
  const problem: AttentionProblem = {
    batch: B, heads: Hq, kvHeads: Hkv, seqLenQ: Nq, seqLenK: Nk, headDim: D, dtype, ...maskFlags(args), kvLens,
    ...neighborhoodFlags(args, Nk),
    ...(layout === 'bshd' ? { layout } : {}),
  };
  validateProblem(problem);
  const ctx = await openGpu({ adapterName: args.values.get('adapter') });
  try {
    io.err(`attnprof: ${kernel} on ${ctx.adapter.description}${ctx.adapter.isFallback ? ' (software fallback)' : ''}: ${describeProblem(problem)}`);
    const run = await runProblem(ctx, problem, {
      kernels: [kernel],
      iterations: 1,
      warmup: 0,
      warmupMs: 0,
      inputs: { q: q.data as Float32Array, k: k.data as Float32Array, v: v.data as Float32Array, ...(dout ? { dout: dout.data as Float32Array } : {}) },
      keepOutput: true,
      mode: training ? 'train' : 'fwd',
    });
    const r = run.results[0];
    if (r.status !== 'ok' || !run.output) throw new GpuError(r.error ?? 'the kernel produced no output');
    const outShape = layout === 'bshd' ? [B, Nq, Hq, D] : [B, Hq, Nq, D];
    writeOutput('out', outPath, encodeNpy(run.output, outShape, { half: outDtype === 'f16' }));
    io.err(`attnprof: wrote ${outPath} [${outShape.join(',')}]; max relative error vs float64 reference ${r.maxRelError.toExponential(2)} on ${r.checkedRows} rows`);
    if (training) {
      const g = run.gradients;
      if (!g || !r.train) throw new GpuError('the backward produced no gradients');
      const written: [string, Float32Array, number[]][] = [['dq', g.dq, q.shape], ['dk', g.dk, k.shape], ['dv', g.dv, v.shape]];
      for (const [flag, data, shape] of written) writeOutput(flag, args.values.get(flag) as string, encodeNpy(data, shape, { half: outDtype === 'f16' }));
      const e = r.train.errors;
      io.err(`attnprof: wrote dQ [${q.shape.join(',')}], dK and dV [${k.shape.join(',')}]; max relative errors vs float64 reference gradients: O ${e.o.toExponential(2)}, dQ ${e.dq.toExponential(2)} (${r.checkedRows} rows), dK ${e.dk.toExponential(2)}, dV ${e.dv.toExponential(2)} (${r.train.checkedKeys} keys)`);
    }
    if (!r.correct) {
      io.err(`attnprof: ${kernel} output differs from the float64 reference beyond tolerance ${r.tolerance}.`);
      return 1;
    }
    return 0;
  } finally {
    ctx.destroy();
  }
}

async function cmdAdapters(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { python: true });
  const adapters = await listAdapters();
  for (const a of adapters) {
    io.out(`${a.description}\t${a.vendor}\t${a.backend}${a.isFallback ? '\tsoftware fallback' : ''}`);
    const f16 = a.features.includes('shader-f16') ? 'yes' : 'no';
    io.out(`  shader-f16: ${f16}${a.f16Note ? ` (${a.f16Note})` : ''}`);
    io.out(`  subgroups: ${a.features.includes('subgroups') ? `yes${a.subgroupSizes ? ` (${a.subgroupSizes[0]}–${a.subgroupSizes[1]} wide)` : ''}` : 'no'}`);
    io.out(`  shader checks: ${describeShaderChecks(a.shaderChecks)}`);
    io.out(`  subgroupMatrixConfigs: ${a.subgroupMatrixConfigs.length ? a.subgroupMatrixConfigs.map(formatMatrixConfig).join(', ') : 'none (no tensor-core matrices from WGSL: flash-mma is unavailable)'}`);
  }
  // PyTorch: every candidate interpreter and what it has, then each backend's availability with the chosen one.
  const found = await discoverPython(pythonFlag(args), { all: true });
  const chosen = found.tried.find((t) => t.hello?.torch);
  io.out(`PyTorch: ${chosen?.hello ? `using ${chosen.candidate.path}` : 'no Python with PyTorch found'}`);
  for (const t of found.tried) io.out(`  python\t${t.hello ? describeHello(t.candidate, t.hello) : `${t.candidate.path} [${t.candidate.source}]: ${t.error}`}`);
  const backends = (chosen ?? found.tried.find((t) => t.hello))?.hello?.backends;
  for (const id of TORCH_KERNEL_IDS) {
    const b = backends?.[id.slice('torch:'.length)];
    io.out(`  ${id}\t${b ? (b.available ? 'available' : b.reason ?? 'unavailable') : 'no Python with PyTorch'}`);
  }
  if (adapters.length === 0) throw new NoAdapterError('no WebGPU adapter found.');
  return 0;
}

async function cmdCeilings(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { json: false, adapter: true });
  const ctx = await openGpu({ adapterName: args.values.get('adapter') });
  try {
    const c = await measureCeilings(ctx);
    if (args.switches.has('json')) io.out(JSON.stringify({ adapter: ctx.adapter.description, ...c }, null, 1));
    else {
      io.out(`adapter: ${ctx.adapter.description}${ctx.adapter.isFallback ? ' (software fallback)' : ''}`);
      io.out(`compute: ${c.computeTflops.toFixed(2)} TFLOP/s FP32 peak (FMA chains)${c.matmulTflops ? `, ${c.matmulTflops.toPrecision(3)} TFLOP/s attained by a ${c.matmulSize}² WGSL matmul` : ''} · bandwidth: ${c.bandwidthGBps.toFixed(0)} GB/s`);
      for (const b of c.bandwidthBySize ?? []) io.out(`  copy ${formatBytes(b.bytes).padStart(9)}: ${b.gbps.toFixed(0)} GB/s`);
    }
    return 0;
  } finally {
    ctx.destroy();
  }
}

/** Where a bug in attnprof itself (not in the input, not in the GPU) is reported. */
export const REPORT_BUG = 'please report this bug with the command line that triggered it';

/**
 * `--debug` (anywhere on the command line) prints the stack of an internal error; without it an internal
 * error is one line, and a user error never has a stack.
 */
export async function main(argvIn: string[], io: Io): Promise<number> {
  const debug = argvIn.includes('--debug');
  // Any command: keep Dawn's f16 gate on NVIDIA drivers before 615.71 (the worker and bench read the same variable).
  if (argvIn.includes('--no-f16-toggle')) process.env.ATTNPROF_F16_TOGGLE = '0';
  // Any command: compile the kernels with Dawn's shader checks (kernels/device.ts shaderChecksSetting).
  if (argvIn.includes('--shader-checks')) process.env.ATTNPROF_SHADER_CHECKS = '1';
  const argv = argvIn.filter((a) => a !== '--debug' && a !== '--no-f16-toggle' && a !== '--shader-checks');
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'profile':
        return await cmdProfile(rest, io);
      case 'run':
        return await cmdRun(rest, io);
      case 'inspect':
        return inspectCommand(rest, io);
      case 'adapters':
        return await cmdAdapters(rest, io);
      case 'ceilings':
        return await cmdCeilings(rest, io);
      case 'padding':
        return await paddingCommand(rest, io);
      case 'worker':
        return await runWorker();
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'. Run 'attnprof help'.`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ProblemError || e instanceof NpyError || isPaddingInputError(e)) {
      io.err(`attnprof: ${(e as Error).message}`);
      return 2;
    }
    if (e instanceof CancelledError || e instanceof GpuError || e instanceof OutputError) {
      io.err(`attnprof: ${e.message}`);
      return 1;
    }
    io.err(internalErrorLine(e, debug));
    return 1;
  }
}

/** One line (plus the stack with --debug) for an error attnprof did not expect: a bug, not the user's input. */
export function internalErrorLine(e: unknown, debug: boolean): string {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const firstLine = message.split('\n')[0].slice(0, 300);
  const line = `attnprof: internal error (${firstLine}); ${REPORT_BUG}${debug ? '' : ' (add --debug for the stack trace)'}.`;
  return debug && e instanceof Error && e.stack ? `${line}\n${e.stack}` : line;
}

// Only as the entry of its own bundle (dist/cli.js): a test bundle that includes this module is also
// `require.main`, and must not run the CLI on the test runner's argv.
if (require.main === module && /(^|[\\/])cli\.js$/.test(__filename)) {
  const debug = process.argv.includes('--debug');
  // Errors outside main's promise (a native callback, a stream event) still end in one line and exit 1.
  const fatal = (e: unknown) => {
    process.stderr.write(`${internalErrorLine(e, debug)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  // A closed pipe (`attnprof inspect x | head -1`) is the reader's choice, not a failure.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(process.exitCode ?? 0) : fatal(e)));
  const argv = process.argv.slice(2);
  // A command that opens a GPU runs as a child whose stderr is filtered of Dawn's native start-up warnings.
  const run = opensGpu(argv) && process.env[FILTERED_ENV] !== '1'
    ? runWithQuietDawn(__filename, argv)
    : main(argv, {
        out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
        err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
      });
  void run.then((code) => {
    process.exitCode = code;
    // A kernel stopped at its time limit leaves the GPU busy; what was measured is written: end now, not when it ends.
    if (gpuAbandoned()) process.exit(code);
  });
}
