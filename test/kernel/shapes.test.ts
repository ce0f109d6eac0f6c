/**
 * Kernel tier: every kernel (naive; flash tiled as planned, tiled with the keys split 3 ways, one row per
 * thread; flash-mma) × every mask kind × the head dims of common models × f32/f16, against the float64 reference on the
 * real adapter. One sequence length for all mask kinds of a head dim, so each (head dim, dtype) compiles its
 * pipelines once: lavapipe compiles slowly and CI has two cores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuContext, openGpu } from '../../kernels/device';
import { AttentionProblem, DType, ProblemError, docBoundsFor, validateProblem } from '../../kernels/problem';
import { runProblem } from '../../kernels/runner';
import { blockWork } from '../../kernels/sparsity';

let ctx: GpuContext;
const seed = Date.now() & 0xffffff;

before(async () => {
  ctx = await openGpu();
});
after(() => ctx?.destroy());

const HEAD_DIMS = [32, 40, 64, 72, 80, 96, 128, 160, 256];

const VARIANTS: { kernel: string; variant?: string; splits?: string }[] = [
  { kernel: 'naive' },
  { kernel: 'flash', variant: 'tiled' },
  { kernel: 'flash', variant: 'tiled', splits: '3' },
  { kernel: 'flash', variant: 'rows' },
  { kernel: 'flash-mma' },
];

/**
 * flash-mma runs natively where the adapter has subgroup matrices (the H200), else as its plain-f16 stand-in build.
 * The stand-in is unrolled per 16-column block of the head dim and a software adapter takes minutes to compile it
 * past D = 128, so there it covers the head dims up to 128; the native build takes them all. The stand-in also runs
 * the causal mask kinds without the heaviest-first dispatch order (a constant of its own pipeline; mma.test.ts checks
 * that order), so all mask kinds of a head dim share one pipeline.
 */
function kernelFor(name: string, d: number): string | undefined {
  if (name !== 'flash-mma') return name;
  if (ctx.hasSubgroupMatrix) return name;
  return ctx.hasF16 && d <= 128 ? 'flash-mma-emulated' : undefined;
}

// 37 tokens: not a multiple of any tile; batch 2 so key lengths and documents differ per row; GQA 4:2 so the
// tiled variant packs two query heads per key/value head.
const N = 37;
const base = (d: number, dtype: DType): AttentionProblem => ({
  batch: 2, heads: 4, kvHeads: 2, seqLenQ: N, seqLenK: N, headDim: d, dtype, causal: false, window: 0, softcap: 0,
});

const MASK_KINDS: [string, Partial<AttentionProblem>][] = [
  ['no mask', {}],
  ['causal', { causal: true }],
  ['sliding window 7', { window: 7 }],
  ['key lengths (one empty row)', { kvLens: Int32Array.from([23, 0]) }],
  ['packed documents, causal', { causal: true, docBounds: docBoundsFor([[1, 20, 9], [37]], N) }],
  // 37 = a class token + a 6×6 patch grid.
  ['2-D neighbourhood R=2 with a class token', { neighborhood: { radius: 2, rows: 6, cols: 6 } }],
];

/** Runs every variant of every kernel on p; the tiled variant may not fit a head dim on this adapter (then flash says so). */
async function expectAllCorrect(c: GpuContext, p: AttentionProblem, what: string): Promise<void> {
  for (const { kernel: name, variant, splits } of VARIANTS) {
    const kernel = kernelFor(name, p.headDim);
    if (!kernel) continue;
    if (variant) process.env.ATTNPROF_FLASH_VARIANT = variant;
    if (kernel === 'flash-mma-emulated') process.env.ATTNPROF_MMA_ORDER = 'launch';
    if (splits) process.env.ATTNPROF_FLASH_SPLITS = splits;
    const label = `${what} · ${kernel}${variant ? ` ${variant}` : ''}${splits ? ` splits=${splits}` : ''}`;
    try {
      const run = await runProblem(c, p, { kernels: [kernel], iterations: 1, warmup: 0, warmupMs: 0, seed, checkBudget: 100000 });
      const r = run.results[0];
      assert.equal(r.status, 'ok', `${label}: ${r.error}`);
      assert.equal(r.checkedRows, p.batch * p.heads * p.seqLenQ, `${label}: every row is checked`);
      assert.ok(r.correct, `${label} (${r.notes.join('; ')}): max relative error ${r.maxRelError} > ${r.tolerance} (seed ${seed})`);
    } catch (e) {
      if (!(variant === 'tiled' && e instanceof ProblemError && /tiled flash variant does not fit/.test(e.message))) throw e;
    } finally {
      delete process.env.ATTNPROF_FLASH_VARIANT;
      delete process.env.ATTNPROF_FLASH_SPLITS;
      delete process.env.ATTNPROF_MMA_ORDER;
    }
  }
}

describe('every kernel × mask kind × head dim × dtype matches the float64 reference', () => {
  for (const dtype of ['f32', 'f16'] as const) {
    for (const d of HEAD_DIMS) {
      test(`head dim ${d}, ${dtype}`, async () => {
        if (dtype === 'f16' && !ctx.hasF16) {
          await assert.rejects(runProblem(ctx, base(d, dtype), { kernels: ['flash'] }), ProblemError);
          return;
        }
        for (const [name, over] of MASK_KINDS) await expectAllCorrect(ctx, { ...base(d, dtype), ...over }, `D=${d} ${dtype} ${name}`);
      });
    }
  }
});

describe('head dims that cannot run', () => {
  test('a head dim that is not a multiple of 8, or over 256, is refused in one sentence', () => {
    for (const d of [36, 100, 264, 512]) {
      assert.throws(() => validateProblem(base(d, 'f32')), new RegExp(`^ProblemError: head dim ${d} is not supported; the kernels take a multiple of 8 up to 256\\.$`));
    }
  });
});

describe('2-D neighbourhood edge cases', () => {
  // N stays 37–40 so the pipelines of the head-dim tests are reused (the tiled plan depends on N).
  const grid = (over: Partial<AttentionProblem>, n = N): AttentionProblem => ({ ...base(64, 'f32'), seqLenQ: n, seqLenK: n, ...over });
  test('a 3×13 grid, no class token: rows of the grid straddle the 40-row and 32-key tiles', async () => {
    await expectAllCorrect(ctx, grid({ neighborhood: { radius: 3, rows: 3, cols: 13 } }, 39), '3×13 R=3');
  });
  test('R = 1: each patch sees only itself (and the class token)', async () => {
    await expectAllCorrect(ctx, grid({ neighborhood: { radius: 1, rows: 6, cols: 6 } }), 'R=1');
  });
  test('R ≥ the grid: dense', async () => {
    await expectAllCorrect(ctx, grid({ neighborhood: { radius: 6, rows: 6, cols: 6 } }), 'R=6');
  });
  test('with causal, key lengths and a softcap', async () => {
    await expectAllCorrect(ctx, grid({ neighborhood: { radius: 2, rows: 6, cols: 6 }, causal: true, softcap: 5, kvLens: Int32Array.from([30, 37]) }), 'R=2 causal kv-lens softcap');
  });
});

describe('block skipping as reported', () => {
  test('flash reports the tiles it computes under a sliding window; naive computes the whole matrix', async () => {
    // The row-per-thread variant keeps its 64-row × 8-key tiles at any length, so this reuses its pipeline.
    const p: AttentionProblem = { ...base(64, 'f32'), batch: 1, heads: 2, kvHeads: 2, seqLenQ: 256, seqLenK: 256, window: 8 };
    process.env.ATTNPROF_FLASH_VARIANT = 'rows';
    try {
      const run = await runProblem(ctx, p, { kernels: ['flash', 'naive'], iterations: 1, warmup: 0, warmupMs: 0, seed });
      const [flash, naive] = run.results;
      assert.ok(flash.correct && naive.correct, `${flash.maxRelError} ${naive.maxRelError}`);
      const want = blockWork(p, { rows: 64, keys: 8, groupSlots: false, splitKeys: 0 });
      assert.deepEqual(flash.work, want);
      // Per 64-row tile: the 8 key tiles of its rows and the one before them (the window reaches back 7 keys).
      assert.equal(want.tilesComputed, 2 * (8 + 3 * 9));
      assert.match(flash.notes.join(' '), /Work: 3\.\d % of the score matrix is visible; computed 70 of 256 64×8 tiles \(27 %\)/);
      assert.equal(naive.work?.flopsDone, naive.work?.flopsDense);
      assert.equal(naive.work?.tile, undefined);
    } finally {
      delete process.env.ATTNPROF_FLASH_VARIANT;
    }
  });
});
