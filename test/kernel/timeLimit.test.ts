/**
 * Kernel tier: --max-seconds is a real limit. On the real adapter (lavapipe on CI) with a windowed shape where flash
 * skips almost every tile (~0.2 s an iteration there) and naive computes the whole score matrix (~12 s): timing stops
 * before an iteration that would pass the limit, an estimate keeps warm-up from eating it, and a GPU wait still
 * running at the limit ends the kernel at the limit (not when the GPU finishes), gives the device up and says so.
 * The CLI test spawns the built CLI: the process must end at once with what was measured, the GPU still busy.
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
const windowed: AttentionProblem = { batch: 1, heads: 4, kvHeads: 4, seqLenQ: 2048, seqLenK: 2048, headDim: 64, dtype: 'f32', causal: false, window: 32, softcap: 0 };
const tmp = tempDir();
let ctx: GpuContext;

before(async () => {
  ctx = await openGpu();
});
// An abandoned device is not destroyed (Dawn would wait for the GPU): this only stops its keep-alive timer.
after(() => {
  ctx?.destroy();
  tmp.cleanup();
});

/** Runs `kernels` and notes when each kernel's first iteration was submitted (after compiling) and when the run ended. */
async function timedRun(kernels: string[], options: Partial<Parameters<typeof runProblem>[2]>) {
  const firstStep = new Map<string, number>();
  const run = await runProblem(ctx, windowed, {
    kernels,
    warmup: 0,
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
    const { run } = await timedRun(['flash'], { iterations: 100_000, maxSeconds: 1.5 });
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
    const { run } = await timedRun(['flash'], { iterations: 2, warmup: 50, maxSeconds: 1, iterationEstimatesMs: { flash: 600 } });
    const r = run.results[0];
    assert.equal(r.status, 'ok', r.error);
    assert.ok(r.notes.includes('warm-up: 0 of 50 iterations (the time limit, 1 s, left no room for more).'), r.notes.join(' | '));
  });

  test('a GPU wait still running at the limit ends the kernel there; the device is given up; what ran before stands', async () => {
    const { run, firstStep, end } = await timedRun(['flash', 'naive', 'flash'], { iterations: 100_000, maxSeconds: 1 });
    const [fast, slow, after] = run.results;
    assert.equal(fast.status, 'ok', fast.error);
    assert.ok(fast.correct && (fast.timings?.samples.length ?? 0) >= 1);
    assert.equal(slow.status, 'failed');
    assert.match(slow.error ?? '', /^stopped at the time limit \(1 s\) with its first timed iteration still running on the GPU; raise the limit \(--max-seconds, attnprof\.maxSeconds\) or profile a smaller shape\.$/);
    assert.equal(after.status, 'skipped');
    assert.match(after.error ?? '', /^not run: naive was stopped at its time limit \(1 s\) with the GPU still running it\.$/);
    assert.match(ctx.abandoned() ?? '', /^naive was stopped at its time limit/);
    // Naive's one iteration takes ~12 s here; the run ended at its 1 s limit (plus timer slack under load).
    const waited = end - (firstStep.get('naive') ?? end);
    assert.ok(waited >= 950 && waited < 4000, `${waited.toFixed(0)} ms after naive's first submission`);
  });
});

describe('attnprof profile --max-seconds (the built CLI)', () => {
  test('exits 1 at the limit with the report of what was measured, and says why', () => {
    const root = resolve(__dirname, '../..');
    const json = tmp.path('limited.json');
    const r = spawnSync(
      process.execPath,
      [join(root, 'dist/cli.js'), 'profile', '--shape', '1,4,4,2048,64', '--window', '32', '--kernels', 'flash,naive', '--iters', '100000', '--warmup', '0', '--max-seconds', '1', '--no-ceilings', '--json', json],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /attnprof: naive failed on shape: stopped at the time limit \(1 s\)/);
    assert.match(r.stdout, /\bflash\b.*\bok$/m);
    const report = parseReport(JSON.parse(readFileSync(json, 'utf8')));
    const [flash, naive] = report.workloads[0].results;
    assert.equal(flash.status, 'ok');
    assert.ok(flash.notes.some((n) => /time limit \(1 s\)/.test(n)), flash.notes.join(' | '));
    assert.equal(naive.status, 'failed');
    assert.ok(report.notes?.some((n) => /^naive was stopped at its time limit \(1 s\) with the GPU still running it: what ran before it is measured/.test(n)), JSON.stringify(report.notes));
  });
});
