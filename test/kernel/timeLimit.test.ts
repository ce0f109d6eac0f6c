/**
 * Kernel tier: --max-seconds is a real limit. On the real adapter with a windowed shape where flash skips almost
 * every tile and naive computes the whole score matrix: timing stops before an iteration that would pass the limit,
 * an estimate keeps warm-up from eating it, and a GPU wait still running at the limit ends the kernel at the limit
 * (not when the GPU finishes), gives the device up and says so. The CLI test spawns the built CLI: the process must
 * end at once with what was measured, the GPU still busy.
 *
 * The last two tests need one iteration of naive to outlast the limit by a wide margin on whatever adapter runs
 * them, while flash still times at least one iteration within it; so the slow workload is chosen at the start of
 * the file from a measurement of naive on this adapter (the tests print the choice as a diagnostic):
 * - naive is timed (2 iterations, the faster counts; checked against the reference) on (1,4,4,n,64) window 32,
 *   n from 512 up (×2 to ×8 a step) until an iteration takes ≥ 50 ms or n reaches the cap below. Its cost grows
 *   as heads·N² (on lavapipe within ~10 % from N = 512 up; smaller N run from cache), which predicts the rest.
 * - If today's shape (1,4,4,2048,64) is predicted at ≥ 4× the 1 s limit (the timing assertion lets the run end
 *   up to 4× the limit after naive's submission, so naive must outlast that), it is kept with the 1 s limit: on
 *   lavapipe naive took 3.5–5 s there on a 2-core machine and ~12 s on CI, so CI runs exactly the shapes and
 *   limits it always did, plus ~0.7 s of measurement.
 * - Otherwise naive should take ≥ 8× the 1 s limit: heads are added (as many key/value heads) at N = 2048, else at
 *   N = 4096, 8192, … up to the cap, the first where Q, K and V stay within 2^25 elements (128 MiB in f32; the host
 *   generates them, and a process's exit waits for the GPU to finish naive, so more would slow the file). The cap:
 *   one head's score matrix (N²·4 bytes, naive's smallest chunk) within the adapter's largest binding and 4 GiB;
 *   naive chunks S over heads, so its scratch never passes that.
 * - Past the cap (a fast GPU), N stays at the cap, naive is timed on one head there, and query heads are added over
 *   one shared key/value head (GQA) up to the same budget. If that is still under 8 s, the limit becomes an eighth
 *   of the predicted iteration (two significant digits, at least the CLI's 0.1 s), and the expected messages, the
 *   timing bounds and the CLI's --max-seconds follow it. A predicted margin under 4× fails the test: this adapter
 *   would be too fast for it to mean anything.
 * Flash's windowed cost grows as N·window and naive's as N², so flash keeps fitting its iterations in the limit.
 * On an H200 (naive ≈ 1.3 TFLOP/s, a 2 GiB binding) the cap is N = 23168, one head ≈ 0.1 s, and the choice is
 * about (1,20,1,23168,64) with a ~0.25 s limit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GpuContext, openGpu } from '../../kernels/device';
import type { AttentionProblem } from '../../kernels/problem';
import { runProblem } from '../../kernels/runner';
import { parseReport } from '../../extension/report/schema';
import { tempDir } from '../unit/helpers';

process.env.XDG_RUNTIME_DIR ??= '/tmp';
const WINDOW = 32;
/** (B, Hq, Hkv, N, 64), window 32, f32. */
const windowedShape = (heads: number, kvHeads: number, seqLen: number): AttentionProblem => ({
  batch: 1, heads, kvHeads, seqLenQ: seqLen, seqLenK: seqLen, headDim: 64, dtype: 'f32', causal: false, window: WINDOW, softcap: 0,
});
const windowed = windowedShape(4, 4, 2048);
/** Today's limit (s), kept unless no workload within the budgets makes naive take TARGET_MARGIN times it. */
const LIMIT_S = 1;
/**
 * Today's shape is kept while naive is predicted at ≥ MIN_MARGIN × the limit there (the timing assertion allows the
 * run to end up to 4× the limit after naive's submission: naive must outlast that); a larger one aims at TARGET_MARGIN.
 */
const MIN_MARGIN = 4;
const TARGET_MARGIN = 8;
/** naive is measured up the sequence until an iteration takes this long (ms): shorter ones are mostly overhead. */
const CALIBRATED_MS = 50;
/** One head's score matrix at most (bytes), besides the adapter's largest binding. */
const SCORES_BUDGET = 4 * 2 ** 30;
/** Elements of Q, K and V together at most when heads are added (128 MiB in f32): the host generates them. */
const INPUT_BUDGET = 2 ** 25;

/** The workload whose one naive iteration must outlast `limitS`, and what it was chosen from. */
interface SlowChoice {
  problem: AttentionProblem;
  limitS: number;
  /** naive's predicted single iteration on `problem` (s). */
  predictedS: number;
  why: string;
}

const tmp = tempDir();
let ctx: GpuContext;
let slow: SlowChoice;

before(async () => {
  ctx = await openGpu();
  slow = await chooseSlowWorkload();
});
// An abandoned device is not destroyed (Dawn would wait for the GPU): this only stops its keep-alive timer.
after(() => {
  ctx?.destroy();
  tmp.cleanup();
});

/** naive's fastest of two iterations on `p` (ms): checked against the reference, so the measurement is of real work. */
async function naiveMs(p: AttentionProblem): Promise<number> {
  const run = await runProblem(ctx, p, { kernels: ['naive'], iterations: 2, warmup: 0, warmupMs: ctx.adapter.isFallback ? 0 : 200, seed: 7, checkBudget: 16 });
  const r = run.results[0];
  assert.equal(r.status, 'ok', r.error);
  assert.ok(r.correct, `naive's calibration run: max rel error ${r.maxRelError}`);
  return Math.min(...(r.timings?.samples ?? [Infinity]));
}

const shapeText = (p: AttentionProblem) => `${p.batch},${p.heads},${p.kvHeads},${p.seqLenQ},${p.headDim}`;
/** Rounded down to two significant digits. */
const twoDigitsDown = (x: number) => {
  const unit = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.floor(x / unit + 1e-9) * unit).toPrecision(2));
};

/** See the header: today's workload when it is slow enough here, else a longer sequence, more heads, a lower limit. */
async function chooseSlowWorkload(): Promise<SlowChoice> {
  const limits = ctx.adapter.limits;
  const scoresBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize, SCORES_BUDGET);
  const cap = Math.floor(Math.sqrt(scoresBytes / 4) / 64) * 64;
  let n = Math.min(512, cap);
  let ms = await naiveMs(windowedShape(4, 4, n));
  while (ms < CALIBRATED_MS && n < cap) {
    const step = 2 ** Math.min(3, Math.max(1, Math.ceil(Math.log2(Math.sqrt(CALIBRATED_MS / Math.max(ms, 1e-3))))));
    n = Math.min(cap, n * step);
    ms = await naiveMs(windowedShape(4, 4, n));
  }
  const measured = `naive ${ms.toPrecision(3)} ms on (${shapeText(windowedShape(4, 4, n))})`;
  const predictS = (heads: number, seqLen: number) => (ms * (heads / 4) * (seqLen / n) ** 2) / 1000;
  if (predictS(4, windowed.seqLenQ) >= MIN_MARGIN * LIMIT_S) {
    return { problem: windowed, limitS: LIMIT_S, predictedS: predictS(4, windowed.seqLenQ), why: `${measured}: today's shape is slow enough` };
  }
  // More heads at today's sequence, else at a longer one (naive's cost grows as N², its inputs as N): the first whose
  // inputs fit the budget.
  const target = TARGET_MARGIN * LIMIT_S;
  const inputs = (heads: number, kvHeads: number, seqLen: number) => (heads + 2 * kvHeads) * seqLen * 64;
  const lengths: number[] = [];
  for (let seqLen = windowed.seqLenQ; seqLen < cap; seqLen *= 2) lengths.push(seqLen);
  for (const seqLen of [...lengths, cap]) {
    const heads = Math.max(4, Math.ceil(target / predictS(1, seqLen)));
    if (inputs(heads, heads, seqLen) <= INPUT_BUDGET) {
      return { problem: windowedShape(heads, heads, seqLen), limitS: LIMIT_S, predictedS: predictS(heads, seqLen), why: `${measured}: ${heads} heads at N = ${seqLen}` };
    }
  }
  // At the cap: naive timed on one head there, then query heads over one key/value head up to the budget, and the
  // limit lowered if that is not enough.
  const oneHeadS = (await naiveMs(windowedShape(1, 1, cap))) / 1000;
  const heads = Math.max(1, Math.min(Math.ceil(target / oneHeadS), Math.floor(INPUT_BUDGET / (cap * 64)) - 2));
  const predictedS = heads * oneHeadS;
  const limitS = predictedS >= target ? LIMIT_S : Math.max(0.1, twoDigitsDown(predictedS / TARGET_MARGIN));
  const why = `${measured}, ${(oneHeadS * 1000).toPrecision(3)} ms on (${shapeText(windowedShape(1, 1, cap))}): N at its cap ${cap}, ${heads} query heads over one key/value head${limitS < LIMIT_S ? ', the limit lowered' : ''}`;
  return { problem: windowedShape(heads, 1, cap), limitS, predictedS, why };
}

function describeChoice(): string {
  return `slow workload: naive on (${shapeText(slow.problem)}) window ${WINDOW}, limit ${slow.limitS} s, predicted ${slow.predictedS.toPrecision(3)} s an iteration (${(slow.predictedS / slow.limitS).toFixed(1)}× the limit; ${slow.why})`;
}

/** The limit as the messages print it, for a regular expression. */
const limitPattern = () => String(slow.limitS).replace('.', '\\.');

/** Runs `kernels` and notes when each kernel's first iteration was submitted (after compiling) and when the run ended. */
async function timedRun(p: AttentionProblem, kernels: string[], options: Partial<Parameters<typeof runProblem>[2]>) {
  const firstStep = new Map<string, number>();
  const run = await runProblem(ctx, p, {
    kernels,
    warmup: 0,
    // No warm-up stretched to keep a real GPU busy for 500 ms: the first iteration is the first timed one on every
    // adapter (on the H200 it was a warm-up iteration the messages below do not name).
    warmupMs: 0,
    seed: 7,
    ...options,
    onStep: (k) => {
      if (!firstStep.has(k)) firstStep.set(k, performance.now());
    },
  });
  return { run, firstStep, end: performance.now() };
}

describe('the time limit on the real adapter', () => {
  test('timing stops before an iteration that would pass the limit; what ran is measured and checked', async () => {
    const { run } = await timedRun(windowed, ['flash'], { iterations: 100_000, maxSeconds: 1.5 });
    const r = run.results[0];
    assert.equal(r.status, 'ok', r.error);
    assert.ok(r.correct, `max rel error ${r.maxRelError}`);
    const samples = r.timings?.samples.length ?? 0;
    assert.ok(samples >= 1 && samples < 100_000, `${samples} samples`);
    assert.ok(r.notes.some((n) => /^stopped after \d+ iterations?: the next could pass the time limit \(1\.5 s\)\.$/.test(n)), r.notes.join(' | '));
    // One iteration of margin is kept for the GPU's jitter; a busy machine may still slow the last one a little.
    const timed = r.wallTimings?.samples.reduce((a, b) => a + b, 0) ?? Infinity;
    assert.ok(timed <= 2000, `${timed.toFixed(0)} ms of timed iterations under a 1.5 s limit`);
  });

  test('the estimate keeps warm-up from eating the limit', async () => {
    const { run } = await timedRun(windowed, ['flash'], { iterations: 2, warmup: 50, maxSeconds: 1, iterationEstimatesMs: { flash: 600 } });
    const r = run.results[0];
    assert.equal(r.status, 'ok', r.error);
    assert.ok(r.notes.includes('warm-up: 0 of 50 iterations (the time limit, 1 s, left no room for more).'), r.notes.join(' | '));
  });

  test('a GPU wait still running at the limit ends the kernel there; the device is given up; what ran before stands', async (t) => {
    t.diagnostic(describeChoice());
    assert.ok(slow.predictedS >= MIN_MARGIN * slow.limitS, `this adapter is too fast for the test: ${describeChoice()}`);
    const { run, firstStep, end } = await timedRun(slow.problem, ['flash', 'naive', 'flash'], { iterations: 100_000, maxSeconds: slow.limitS });
    const [fast, stopped, after] = run.results;
    assert.equal(fast.status, 'ok', fast.error);
    assert.ok(fast.correct && (fast.timings?.samples.length ?? 0) >= 1);
    assert.equal(stopped.status, 'failed');
    const limit = limitPattern();
    assert.match(stopped.error ?? '', new RegExp(`^stopped at the time limit \\(${limit} s\\) with its first timed iteration still running on the GPU; raise the limit \\(--max-seconds, attnprof\\.maxSeconds\\) or profile a smaller shape\\.$`));
    assert.equal(after.status, 'skipped');
    assert.match(after.error ?? '', new RegExp(`^not run: naive was stopped at its time limit \\(${limit} s\\) with the GPU still running it\\.$`));
    assert.match(ctx.abandoned() ?? '', /^naive was stopped at its time limit/);
    // Naive's one iteration takes ≥ 5× the limit here; the run ended at the limit (plus timer slack under load).
    const waited = end - (firstStep.get('naive') ?? end);
    const limitMs = slow.limitS * 1000;
    assert.ok(waited >= 0.95 * limitMs && waited < 4 * limitMs, `${waited.toFixed(0)} ms after naive's first submission under a ${slow.limitS} s limit`);
  });
});

describe('attnprof profile --max-seconds (the built CLI)', () => {
  test('exits 1 at the limit with the report of what was measured, and says why', (t) => {
    t.diagnostic(describeChoice());
    const root = resolve(__dirname, '../..');
    const json = tmp.path('limited.json');
    const r = spawnSync(
      process.execPath,
      [join(root, 'dist/cli.js'), 'profile', '--shape', shapeText(slow.problem), '--window', String(WINDOW), '--kernels', 'flash,naive', '--iters', '100000', '--warmup', '0', '--max-seconds', String(slow.limitS), '--no-ceilings', '--json', json],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    const limit = limitPattern();
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`attnprof: naive failed on shape: stopped at the time limit \\(${limit} s\\)`));
    assert.match(r.stdout, /\bflash\b.*\bok$/m);
    const report = parseReport(JSON.parse(readFileSync(json, 'utf8')));
    const [flash, naive] = report.workloads[0].results;
    assert.equal(flash.status, 'ok');
    assert.ok(flash.notes.some((n) => new RegExp(`time limit \\(${limit} s\\)`).test(n)), flash.notes.join(' | '));
    assert.equal(naive.status, 'failed');
    assert.ok(report.notes?.some((n) => new RegExp(`^naive was stopped at its time limit \\(${limit} s\\) with the GPU still running it: what ran before it is measured`).test(n)), JSON.stringify(report.notes));
  });
});
