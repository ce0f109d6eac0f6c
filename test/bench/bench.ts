/**
 * `npm run bench`: the shapes of GPU.md on this machine's adapter. Prints a table (adapter, shape, kernel,
 * median, TFLOP/s, peak bytes, ratio to naive) and can write it as Markdown for BENCHMARKS.md.
 *   node dist/bench.js [--shapes vit196,vit3136,qwen2-prefill,qwen2-decode (default),qwen2-packed,vit3136-nbhd,vit3136-d80,vit196-d80,vit3136-softcap]
 *                      [--kernels naive,flash,torch:sdpa-flash,…]
 *                      [--iters N] [--markdown OUT] [--json OUT] [--sweep tiled:64,32;rows:64,8]
 *                      [--dtype f32|f16] [--torch-dtype bf16,f16,f32] [--mode fwd|train] [--python PATH]
 * `--mode train` times a training step (forward saving what the backward needs, then dQ, dK, dV); the table adds
 * the forward | backward split and the bytes the forward keeps for the backward.
 * On a software adapter the shapes are scaled down (and the table says so): lavapipe would take hours.
 * `torch:*` kernels run in the same process run through the PyTorch bridge (extension/engine/torchBridge.ts), once
 * per --torch-dtype, beside ours: an absolute time is only comparable inside one run on a shared machine. On CUDA
 * with PyTorch ≥ 2.1 each PyTorch row also records one extra call's allocations (its memory timeline: the peak by
 * role is in the row's notes line, the events in --json as `memoryTimeline`).
 * `--occupancy [--markdown OUT]` instead counts how many workgroups the adapter keeps resident at once per workgroup
 * size and workgroup-memory footprint (kernels/occupancy.ts).
 */
import { writeFileSync } from 'node:fs';
import { openGpu, type GpuContext } from '../../kernels/device';
import { discoverPython, noTorchReason, type PythonSession } from '../../extension/engine/pythonSession';
import { runTorchKernels } from '../../extension/engine/torchBridge';
import { isTorchKernel, type TorchDType } from '../../extension/protocol/python';
import { parseTorchDtype } from '../../extension/engine/torchDtype';
import { AttentionProblem, describeProblem, docBoundsFor, neighborhoodFor } from '../../kernels/problem';
import { runProblem, KernelResult } from '../../kernels/runner';
import type { MemoryEvent } from '../../kernels/allocator';
import { formatBytes, formatMs } from '../../kernels/units';
import { measureCeilings } from '../../kernels/ceilings';
import { occupancyMarkdown, probeOccupancy } from '../../kernels/occupancy';

interface BenchShape {
  id: string;
  label: string;
  problem: AttentionProblem;
  /** A shape of the same run this one is read against (dense vs masked, D = 80 vs D = 64): a ratio line is printed. */
  versus?: string;
}

const base = { dtype: 'f32' as const, window: 0, softcap: 0 };
const SHAPES: BenchShape[] = [
  { id: 'vit196', label: 'ViT-196 (128,16,16,196,64)', problem: { ...base, batch: 128, heads: 16, kvHeads: 16, seqLenQ: 196, seqLenK: 196, headDim: 64, causal: false } },
  { id: 'vit3136', label: 'ViT-3136 (8,12,12,3136,64)', problem: { ...base, batch: 8, heads: 12, kvHeads: 12, seqLenQ: 3136, seqLenK: 3136, headDim: 64, causal: false } },
  // The ViT article's FlexAttention case: a 56×56 patch grid, each patch seeing patches < 5 rows and columns away.
  { id: 'vit3136-nbhd', label: 'ViT-3136 R=5 neighbourhood (8,12,12,3136,64)', versus: 'vit3136', problem: { ...base, batch: 8, heads: 12, kvHeads: 12, seqLenQ: 3136, seqLenK: 3136, headDim: 64, causal: false, neighborhood: { radius: 5, rows: 56, cols: 56 } } },
  { id: 'vit3136-d80', label: 'ViT-3136 D=80 (8,12,12,3136,80)', versus: 'vit3136', problem: { ...base, batch: 8, heads: 12, kvHeads: 12, seqLenQ: 3136, seqLenK: 3136, headDim: 80, causal: false } },
  { id: 'vit196-d80', label: 'ViT-196 D=80 (128,16,16,196,80)', versus: 'vit196', problem: { ...base, batch: 128, heads: 16, kvHeads: 16, seqLenQ: 196, seqLenK: 196, headDim: 80, causal: false } },
  { id: 'qwen2-prefill', label: 'Qwen2-7B prefill 4k causal GQA (1,28,4,4096,128)', problem: { ...base, batch: 1, heads: 28, kvHeads: 4, seqLenQ: 4096, seqLenK: 4096, headDim: 128, causal: true } },
  // Packed training rows (varlen): five documents in each 4k row, a query sees only its own document's keys.
  { id: 'qwen2-packed', label: 'Qwen2-7B 4k causal, 5 packed documents per row (2,28,4,4096,128)', versus: 'qwen2-prefill', problem: { ...base, batch: 2, heads: 28, kvHeads: 4, seqLenQ: 4096, seqLenK: 4096, headDim: 128, causal: true, docBounds: packedRows(2, 4096) } },
  { id: 'qwen2-decode', label: 'Qwen2-7B decode b8 ctx 4k (8,28,4,1→4096,128)', problem: { ...base, batch: 8, heads: 28, kvHeads: 4, seqLenQ: 1, seqLenK: 4096, headDim: 128, causal: true } },
  // The seed article's FlexAttention cases: ask with --shapes.
  { id: 'vit3136-softcap', label: 'ViT-3136 softcap 30 (8,12,12,3136,64)', problem: { ...base, batch: 8, heads: 12, kvHeads: 12, seqLenQ: 3136, seqLenK: 3136, headDim: 64, causal: false, softcap: 30 } },
];
const DEFAULT_SHAPES = ['vit196', 'vit3136', 'qwen2-prefill', 'qwen2-decode'];

/** Document bounds of `batch` rows of `n` tokens, each packing documents of 1/8, 1/4, 1/16, 1/2 and 1/16 of the row. */
function packedRows(batch: number, n: number): Int32Array {
  const docs = [n / 8, n / 4, n / 16, n / 2].map(Math.floor);
  docs.push(n - docs.reduce((a, x) => a + x, 0));
  return docBoundsFor(Array.from({ length: batch }, () => docs), n);
}

/** Each row as soon as it is measured (stderr): a run cut short by a time limit still leaves its figures. */
function announce(name: string, r: KernelResult): void {
  const time = r.timings ? formatMs(r.timings.medianMs) : '–';
  const train = r.train?.forward && r.train.backward ? ` (fwd ${formatMs(r.train.forward.medianMs)} | bwd ${formatMs(r.train.backward.medianMs)})` : '';
  const err = Number.isFinite(r.maxRelError) ? `, max rel err ${r.maxRelError.toExponential(1)}` : '';
  const verdict = r.status === 'ok' ? (r.correct ? 'ok' : `WRONG (over the ${r.tolerance.toExponential(0)} tolerance)`) : r.status;
  console.error(`bench:   = ${name}: ${verdict}, median ${time}${train}${r.tflops ? `, ${r.tflops < 0.1 ? r.tflops.toPrecision(2) : r.tflops.toFixed(2)} TFLOP/s` : ''}${err}${r.error ? ` — ${r.error}` : ''}`);
}

/** Software adapters get the same shapes with batch and sequence divided down. */
function scaled(s: BenchShape): BenchShape {
  const p = { ...s.problem };
  p.batch = Math.max(1, Math.floor(p.batch / 16));
  const n = Math.max(64, Math.floor(p.seqLenK / 16));
  p.seqLenQ = p.seqLenQ === 1 ? 1 : n;
  p.seqLenK = n;
  if (p.neighborhood) p.neighborhood = neighborhoodFor(n, p.neighborhood.radius);
  if (p.docBounds) p.docBounds = packedRows(p.batch, n);
  return { id: s.id, versus: s.versus, label: `${s.id} scaled for software (${p.batch},${p.heads},${p.kvHeads},${p.seqLenQ === 1 ? `1→${n}` : n},${p.headDim})`, problem: p };
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Row {
  id: string;
  versus?: string;
  shape: string;
  kernel: string;
  result: KernelResult;
  ratio: number;
  /** A PyTorch row's memory timeline of one extra call (CUDA, PyTorch ≥ 2.1): written with --json. */
  memory?: MemoryEvent[];
}

async function occupancy(): Promise<void> {
  const ctx = await openGpu({ adapterName: flag('adapter') });
  try {
    console.error(`bench: occupancy probe on ${ctx.adapter.description}`);
    const lines = occupancyMarkdown(await probeOccupancy(ctx));
    console.log(lines.join('\n'));
    const md = flag('markdown');
    if (md) writeFileSync(md, `Adapter: ${ctx.adapter.description}\n\n${lines.join('\n')}\n`);
  } finally {
    ctx.destroy();
  }
}

async function main(): Promise<void> {
  // As the CLI: --shader-checks compiles our kernels with Dawn's shader checks (kernels/device.ts shaderChecksSetting).
  if (process.argv.includes('--shader-checks')) process.env.ATTNPROF_SHADER_CHECKS = '1';
  if (process.argv.includes('--occupancy')) return occupancy();
  const ids = (flag('shapes') ?? DEFAULT_SHAPES.join(',')).split(',');
  const allKernels = (flag('kernels') ?? 'naive,flash').split(',');
  const kernels = allKernels.filter((k) => !isTorchKernel(k));
  const torchKernels = allKernels.filter(isTorchKernel);
  const iterations = Number(flag('iters') ?? 20);
  const sweep = flag('sweep')?.split(';');
  const mode = flag('mode') ?? 'fwd';
  if (mode !== 'fwd' && mode !== 'train') throw new Error(`--mode must be fwd or train, got ${mode}`);
  const dtype = flag('dtype') ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16') throw new Error(`--dtype (ours) must be f32 or f16, got ${dtype}`);
  const torchDtypes = (flag('torch-dtype') ?? 'bf16').split(',').map((d) => {
    const t = parseTorchDtype(d);
    if (!t) throw new Error(`--torch-dtype takes bf16, f16, f32 (comma-separated), got ${d}`);
    return t;
  });
  // In train mode every row is a training step: forward (saving what the backward needs) + backward.
  const ourKernels = kernels;
  const ctx: GpuContext | undefined = ourKernels.length ? await openGpu({ adapterName: flag('adapter') }) : undefined;
  let session: PythonSession | undefined;
  if (torchKernels.length) {
    const python = flag('python');
    const found = await discoverPython(python ? { explicit: { path: python, source: '--python' } } : {});
    session = found.session;
    if (!session) throw new Error(noTorchReason(found.tried));
    console.error(`bench: PyTorch: ${session.describe()}`);
  }
  const a = ctx?.adapter;
  let ceilings: Awaited<ReturnType<typeof measureCeilings>> | undefined;
  if (ctx && a) {
    const adapterLine = `${a.description} (${a.vendor}${a.backend ? `, ${a.backend}` : ''})${a.isFallback ? ' — software fallback' : ''}`;
    console.error(`bench: ${adapterLine}; timestamps ${ctx.hasTimestamps ? 'GPU (not quantized)' : 'unavailable: wall clock'}; shader checks ${a.shaderChecks ? 'on' : 'off'}`);
    // Ceilings first: they are worth recording, and their sustained load brings the GPU to its working clocks.
    ceilings = await measureCeilings(ctx, { maxBytes: a.isFallback ? 64 * 1024 * 1024 : undefined });
    console.error(`bench: ceilings ${ceilings.computeTflops.toFixed(1)} TFLOP/s FP32 (FMA chains), ${ceilings.bandwidthGBps.toFixed(0)} GB/s (copy)`);
  }
  const scaleDown = a?.isFallback ?? session?.hello.device.kind === 'cpu';
  const rows: Row[] = [];
  for (const id of ids) {
    const def = SHAPES.find((s) => s.id === id);
    if (!def) throw new Error(`unknown shape ${id}; known: ${SHAPES.map((s) => s.id).join(', ')}`);
    const base = scaleDown ? scaled(def) : def;
    const shape = { ...base, problem: { ...base.problem, dtype: dtype as 'f32' | 'f16' } };
    const variants: { name: string; tiles?: string }[] = [];
    for (const k of ourKernels) {
      if (k === 'flash' && sweep) for (const t of sweep) variants.push({ name: `flash[${t}]`, tiles: t });
      else variants.push({ name: k });
    }
    const results: { name: string; r: KernelResult; memory?: MemoryEvent[] }[] = [];
    for (const v of variants) {
      // Sweep entries are "variant:rows,keys" (variant tiled or rows) or just "rows,keys".
      const [variant, tiles] = v.tiles?.includes(':') ? v.tiles.split(':') : [undefined, v.tiles];
      if (tiles) process.env.ATTNPROF_FLASH_TILES = tiles;
      else delete process.env.ATTNPROF_FLASH_TILES;
      if (variant) process.env.ATTNPROF_FLASH_VARIANT = variant;
      else delete process.env.ATTNPROF_FLASH_VARIANT;
      console.error(`bench: ${shape.label} · ${v.name}`);
      try {
        if (!ctx) throw new Error('no WebGPU context');
        const run = await runProblem(ctx, shape.problem, {
          kernels: [v.tiles ? 'flash' : v.name],
          mode,
          iterations,
          warmup: 3,
          maxSeconds: 60,
        });
        results.push({ name: v.name, r: run.results[0] });
        announce(v.name, run.results[0]);
      } catch (e) {
        console.error(`bench: ${v.name} skipped on ${shape.label}: ${(e as Error).message}`);
      }
    }
    if (session) {
      for (const td of torchDtypes) {
        console.error(`bench: ${shape.label} · ${torchKernels.join(', ')} ${td} ${mode}`);
        if (!session.alive) throw new Error('the Python process is gone (see above)');
        const memory = new Map<string, MemoryEvent[]>();
        const torchResults = await runTorchKernels(session, shape.problem, torchKernels, {
          dtype: td as TorchDType,
          mode,
          iterations,
          warmup: 3,
          maxSeconds: 60,
          seed: 1,
          onProgress: (m) => console.error(`bench:   ${m}`),
          onMemory: (k, events) => memory.set(k, events),
        });
        for (const r of torchResults) {
          const name = `${r.kernel} ${td}${mode === 'train' ? ' fwd+bwd' : ''}`;
          results.push({ name, r, memory: memory.get(r.kernel) });
          announce(name, r);
        }
      }
    }
    const naive = results.find((x) => x.name === 'naive' && x.r.status === 'ok')?.r.timings?.medianMs;
    for (const { name, r, memory } of results) {
      rows.push({ id: shape.id, versus: shape.versus, shape: shape.label, kernel: name, result: r, ratio: naive && r.timings ? naive / r.timings.medianMs : Number.NaN, ...(memory ? { memory } : {}) });
    }
  }
  ctx?.destroy();
  await session?.close();

  const torchDevice = session ? `PyTorch ${session.hello.torch} · ${session.hello.device.name}` : '';
  const train = mode === 'train';
  const head = ['engine', 'shape', 'kernel', ...(train ? ['mode'] : []), 'median', 'p10–p90', ...(train ? ['fwd', 'bwd'] : []), 'TFLOP/s', 'GB/s', '% copy', 'peak bytes', ...(train ? ['saved for bwd'] : []), 'vs naive', 'max rel err', 'status'];
  const cells = rows.map(({ shape, kernel, result: r, ratio }) => [
    r.engine === 'pytorch' ? torchDevice : a ? a.description + (a.isFallback ? ' (software)' : '') : '',
    shape,
    kernel,
    ...(train ? [r.mode === 'train' ? 'train (fwd+bwd)' : 'fwd'] : []),
    r.timings ? formatMs(r.timings.medianMs) : '–',
    r.timings ? `${formatMs(r.timings.p10Ms)}–${formatMs(r.timings.p90Ms)}` : '–',
    ...(train ? [r.train?.forward ? formatMs(r.train.forward.medianMs) : '–', r.train?.backward ? formatMs(r.train.backward.medianMs) : '–'] : []),
    r.tflops ? (r.tflops < 0.1 ? r.tflops.toPrecision(2) : r.tflops.toFixed(2)) : '–',
    r.gbps ? r.gbps.toFixed(0) : '–',
    r.gbps && ceilings ? `${((100 * r.gbps) / ceilings.bandwidthGBps).toFixed(0)} %` : '–',
    r.peakBytes ? formatBytes(r.peakBytes) : '–',
    ...(train ? [r.train ? formatBytes(r.train.savedBytes) : '–'] : []),
    Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : '–',
    Number.isFinite(r.maxRelError) ? r.maxRelError.toExponential(1) : '–',
    r.status === 'ok' ? (r.correct ? 'ok' : 'WRONG') : `${r.status}: ${r.error}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
  console.log([line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n'));
  // Where the time goes: each kernel's passes (median per iteration), and how the kernel ran.
  for (const { shape, kernel, result: r } of rows) {
    if (r.status !== 'ok') continue;
    const passes = r.passes.map((x) => `${x.name} ${formatMs(x.medianMs)}${x.perIteration > 1 ? ` (×${x.perIteration})` : ''}`).join(', ');
    // A wrong result says so on its passes' line too, first: these lines are the ones read for where the time goes.
    const wrong = r.correct ? '' : ` [WRONG: max rel err ${Number.isFinite(r.maxRelError) ? r.maxRelError.toExponential(1) : 'NaN'} > ${r.tolerance.toExponential(0)}]`;
    console.log(`  ${shape} · ${kernel}${wrong}: ${passes}${r.notes.length ? ` — ${r.notes.join(' ')}` : ''}`);
  }
  const versus = versusLines(rows);
  if (versus.length) console.log(['', ...versus].join('\n'));
  const md = flag('markdown');
  if (md) {
    const mdRows = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...cells.map((c) => `| ${c.join(' | ')} |`)];
    const ceilingLine = ceilings
      ? `Shader checks ${a?.shaderChecks ? 'on' : 'off'}. Ceilings measured in the same run: ${ceilings.computeTflops.toFixed(1)} TFLOP/s FP32 (register FMA chains), ${ceilings.matmulTflops?.toFixed(1) ?? '–'} TFLOP/s attained by a ${ceilings.matmulSize ?? ''}² WGSL matmul, ${ceilings.bandwidthGBps.toFixed(0)} GB/s (vec4 copy of ${formatBytes(ceilings.bandwidthBySize?.at(-1)?.bytes ?? 0)}).`
      : `PyTorch only (${torchDevice}), mode ${mode}: no WebGPU ceilings.`;
    writeFileSync(md, [ceilingLine, '', ...mdRows, ...(versus.length ? ['', ...versus.map((l) => `${l}  `)] : [])].join('\n') + '\n');
  }
  const json = flag('json');
  if (json) {
    writeFileSync(json, JSON.stringify({ adapter: a, pytorch: session ? { python: session.describe(), torch: session.hello.torch, device: session.hello.device } : undefined, mode, ceilings, rows: rows.map((r) => ({ ...r.result, shape: r.shape, variant: r.kernel, ratio: r.ratio, iterations: undefined, ...(r.memory ? { memoryTimeline: r.memory } : {}) })), problems: ids.map((id) => describeProblem(SHAPES.find((s) => s.id === id)!.problem)) }, null, 1));
  }
  if (rows.some((r) => r.result.status === 'ok' && !r.result.correct)) process.exitCode = 1;
}

/**
 * Each shape read against its `versus` shape, kernel by kernel, inside this run: the time ratio, beside what the
 * masks and head dims predict (visible share of S, tiles computed, FLOPs done).
 */
function versusLines(rows: Row[]): string[] {
  const lines: string[] = [];
  for (const r of rows) {
    if (!r.versus || r.result.status !== 'ok' || !r.result.timings) continue;
    const other = rows.find((o) => o.id === r.versus && o.kernel === r.kernel && o.result.status === 'ok' && o.result.timings);
    if (!other?.result.timings) continue;
    const ratio = other.result.timings.medianMs / r.result.timings.medianMs;
    const w = r.result.work;
    const wo = other.result.work;
    const flops = w && wo ? w.flopsDone / wo.flopsDone : undefined;
    const predicted = flops === undefined ? '' : `; it does ${flops < 0.1 ? flops.toPrecision(2) : flops.toFixed(2)}× the FLOPs`;
    const masked = w && w.visibleFraction < 1 ? `; ${(100 * w.visibleFraction).toFixed(1)} % of S visible, ${(100 * w.tileFraction).toFixed(1)} % of ${w.tile ?? 'the'} tiles computed` : '';
    lines.push(`${r.kernel}: ${r.shape} vs ${other.shape}: ${formatMs(r.result.timings.medianMs)} vs ${formatMs(other.result.timings.medianMs)} — ${(1 / ratio).toFixed(2)}× the time (${ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`})${predicted}${masked}.`);
  }
  return lines;
}

main().catch((e: Error) => {
  console.error(`bench: ${e.message}`);
  process.exitCode = 1;
});
