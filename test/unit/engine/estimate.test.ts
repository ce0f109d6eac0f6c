import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Ceilings } from '../../../kernels/ceilings';
import { SOFTWARE_SEQ_LEN, estimateIterationMs, estimateRun, planFirstRun, timeLeftText } from '../../../extension/engine/estimate';
import type { WorkloadRequest } from '../../../extension/protocol/worker';
import { limitGap } from '../../../extension/engine/profile';
import { problem } from '../helpers';

// lavapipe on 2 cores, roughly: 0.02 TFLOP/s attained, 5 GB/s.
const software: Ceilings = { computeTflops: 0.08, matmulTflops: 0.02, bandwidthGBps: 5, measuredAt: '', method: '' };
const h100: Ceilings = { computeTflops: 60, matmulTflops: 20, bandwidthGBps: 3000, measuredAt: '', method: '' };
const qwen = (n: number): WorkloadRequest => ({ name: 'Qwen2', layers: [0, 1], problem: problem({ heads: 28, kvHeads: 4, headDim: 128, seqLenQ: n, seqLenK: n, causal: true }) });
const run = { iterations: 20, warmup: 3, maxSeconds: 30 };

describe('first-run plan', () => {
  test('a software adapter profiles a config at N = 256 by itself and says so; the notes name the setting', () => {
    const plan = planFirstRun([qwen(4096)], ['naive', 'flash'], software, { ...run, software: true, autoSeqLen: true });
    assert.equal(plan.workloads[0].problem.seqLenQ, SOFTWARE_SEQ_LEN);
    assert.equal(plan.workloads[0].problem.seqLenK, SOFTWARE_SEQ_LEN);
    assert.deepEqual(plan.notes, ['software adapter: profiled at N = 256 (the config gives 4096); set attnprof.seqLen to change.']);
    assert.ok(plan.estimates.every((e) => e.totalMs < 30_000), JSON.stringify(plan.estimates));
  });

  test('a length the user set is kept, with a note when it will run into the time limit', () => {
    const plan = planFirstRun([qwen(1024)], ['naive'], software, { ...run, software: true, autoSeqLen: false });
    assert.equal(plan.workloads[0].problem.seqLenQ, 1024);
    assert.ok(plan.estimates[0].iterationMs < 30_000 && plan.estimates[0].iterationMs * 23 > 30_000, JSON.stringify(plan.estimates));
    assert.equal(plan.notes.length, 1);
    assert.match(plan.notes[0], /^estimated [\d.]+ (s|min) for naive, over attnprof.maxSeconds \(30 s\): warm-up and timing stop at the limit \(one iteration at least\)/);
  });

  test('a kernel whose one iteration is estimated over the limit is planned as not run: setup time only, and a note', () => {
    const plan = planFirstRun([qwen(4096)], ['naive', 'flash'], software, { ...run, maxSeconds: 0.1, software: true, autoSeqLen: false });
    const [naive, flash] = plan.estimates;
    assert.ok(naive.iterationMs > 100 && flash.iterationMs > 100, JSON.stringify(plan.estimates));
    assert.ok(plan.estimates.every((e) => e.totalMs === 1500), 'compiling only');
    assert.deepEqual(plan.notes, [
      'naive, flash: one iteration is estimated over attnprof.maxSeconds (0.1 s), so not run (a GPU iteration cannot be stopped once started); a shorter attnprof.seqLen or a higher limit runs it.',
    ]);
    assert.match(limitGap('flash', flash.iterationMs, 0.1) ?? '', /^one iteration of flash is estimated at [\d.]+ (s|ms) on this adapter, over the time limit of 0\.1 s per kernel, .*not run/);
    assert.equal(limitGap('flash', 99, 0.1), undefined);
    assert.equal(limitGap('flash', undefined, 0.1), undefined, 'no estimate (no ceilings): the runner decides at run time');
  });

  test('a GPU keeps the config length while the estimate fits, halves it when it does not', () => {
    const fits = planFirstRun([qwen(4096)], ['naive', 'flash'], h100, { ...run, software: false, autoSeqLen: true });
    assert.equal(fits.workloads[0].problem.seqLenQ, 4096);
    assert.deepEqual(fits.notes, []);
    const tight = planFirstRun([qwen(32768)], ['naive'], h100, { ...run, maxSeconds: 0.1, software: false, autoSeqLen: true });
    assert.ok(tight.workloads[0].problem.seqLenQ < 32768);
    assert.match(tight.notes[0], /^the estimate at N = 32768 exceeds attnprof.maxSeconds \(0.1 s\): profiled at N = \d+/);
    assert.ok(tight.estimates[0].totalMs <= 0.1 * 1000 + 300 + 1e-9 || tight.workloads[0].problem.seqLenQ === 16);
  });

  test('decode keeps its single query while the KV cache is shortened', () => {
    const decode: WorkloadRequest = { ...qwen(4096), problem: { ...qwen(4096).problem, seqLenQ: 1, causal: false } };
    const plan = planFirstRun([decode], ['flash'], software, { ...run, software: true, autoSeqLen: true });
    assert.equal(plan.workloads[0].problem.seqLenQ, 1);
    assert.equal(plan.workloads[0].problem.seqLenK, 256);
  });

  test('naive costs more than flash (it writes and reads S); time left follows the run\'s own pace', () => {
    const p = qwen(1024).problem;
    assert.ok(estimateIterationMs(p, 'naive', h100) > estimateIterationMs(p, 'flash', h100));
    // A training step is forward + backward: 3.5× the forward's work.
    assert.equal(estimateIterationMs(p, 'flash', h100, 'train'), 3.5 * estimateIterationMs(p, 'flash', h100));
    assert.equal(timeLeftText(10_000, 5_000, 10_000), 'about 10 s left');
    assert.equal(timeLeftText(100_000, 0, 0), 'about 1.7 min left (estimate)');
    // Until a tenth of the estimate is done, the estimate itself: compiling and a first iteration are no pace.
    assert.equal(timeLeftText(100_000, 5, 1_600), 'about 1.7 min left (estimate)');
    assert.equal(timeLeftText(100_000, 9_999, 60_000), 'about 1.5 min left (estimate)');
    assert.equal(timeLeftText(100_000, 10_000, 20_000), 'about 3.0 min left');
  });
});

test('the estimate counts the per-pass iterations of naive and of a training step, none for a one-pass forward', () => {
  const w = [{ name: 'w', problem: problem({ batch: 1, heads: 4, kvHeads: 4, seqLenQ: 1024, seqLenK: 1024 }) }];
  const shape = { iterations: 20, warmup: 2, maxSeconds: 600, software: false };
  const [naive, flash] = estimateRun(w, ['naive', 'flash'], h100, shape);
  // 2 warm-up + 20 timed (+ 10 per-pass for naive's three passes) iterations after the same setup.
  assert.ok(Math.abs((naive.totalMs - (flash.totalMs - 22 * flash.iterationMs)) - 32 * naive.iterationMs) < 1e-6);
  const [train] = estimateRun(w, ['flash'], h100, { ...shape, mode: 'train' });
  assert.ok(Math.abs(train.totalMs - (flash.totalMs - 22 * flash.iterationMs) - 32 * train.iterationMs) < 1e-6);
});
