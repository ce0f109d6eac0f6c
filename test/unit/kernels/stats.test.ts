import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTLE_WINDOW_MS, WarmupPace, perPassIterations, quantile, stillSettling, summarize } from '../../../kernels/stats';

/** Warm-up submissions every `stepMs` from t = 0 with these per-iteration times. */
const paceOf = (times: number[], stepMs = 5): WarmupPace[] => times.map((perIterationMs, i) => ({ atMs: i * stepMs, perIterationMs }));

test('order statistics of timing samples', () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.ok(Number.isNaN(quantile([], 0.5)));
  const s = summarize([3, 1, 2]);
  assert.deepEqual([s.medianMs, s.minMs, s.meanMs, s.samples], [2, 1, 2, [3, 1, 2]]);
});

test('still settling: iterations getting faster over the last window keep the warm-up going', () => {
  // The H200's decode step on new buffers: 152 µs falling to 61 µs over a second or two of submissions.
  const decaying = Array.from({ length: 400 }, (_, i) => 0.061 + 0.091 * Math.exp(-i / 50));
  assert.equal(stillSettling(paceOf(decaying.slice(0, 100))), true, 'half-way down');
  // Flat, with ±1 % of noise: settled.
  const flat = Array.from({ length: 120 }, (_, i) => 0.061 * (1 + 0.01 * Math.sin(i * 1.7)));
  assert.equal(stillSettling(paceOf(flat)), false, 'flat');
  // Getting slower (a clock dropping) is not settling either.
  assert.equal(stillSettling(paceOf(Array.from({ length: 120 }, (_, i) => 0.05 + 0.0001 * i))), false, 'slower');
  // The tail of the decay: under 2 % over the window is settled.
  assert.equal(stillSettling(paceOf(decaying)), false, 'the decay has flattened out');
});

test('still settling: judged only against a submission at least one window back', () => {
  assert.equal(stillSettling([]), false);
  assert.equal(stillSettling(paceOf([0.2])), false);
  // Falling fast, but every submission within the window: nothing to compare with yet.
  const steps = Math.floor(SETTLE_WINDOW_MS / 5);
  const within = paceOf(Array.from({ length: steps }, (_, i) => 0.2 - 0.001 * i));
  assert.equal(stillSettling(within), false);
  // One more submission, a window after the first: 2 % faster than it is the threshold.
  assert.equal(stillSettling([...within, { atMs: SETTLE_WINDOW_MS, perIterationMs: 0.2 * 0.97 }]), true);
  assert.equal(stillSettling([...within, { atMs: SETTLE_WINDOW_MS, perIterationMs: 0.2 * 0.99 }]), false);
  // The custom window and ratio.
  assert.equal(stillSettling(paceOf([1, 0.95]), 5, 0.9), false);
  assert.equal(stillSettling(paceOf([1, 0.85]), 5, 0.9), true);
});

test('a kernel of several passes takes one per-pass iteration for every two timed ones; a one-pass kernel none', () => {
  assert.deepEqual([1, 2, 3, 4, 20].map((n) => perPassIterations(n, 3)), [1, 1, 2, 2, 10]);
  assert.equal(perPassIterations(20, 1), 0);
});
