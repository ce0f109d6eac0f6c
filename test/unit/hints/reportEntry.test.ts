import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestText, entryOf, measuredText } from '../../../extension/hints/reportEntry';
import { shortMs, shortTokens } from '../../../kernels/units';
import { gemmaReport, shapeReport } from '../vscode/helpers';

test('best kernel of a shape run is the fastest correct one, with its speed-up over naive', () => {
  const r = shapeReport();
  const naive = r.results.find((k) => k.kernel === 'naive')?.timings?.medianMs ?? NaN;
  const flash = r.results.find((k) => k.kernel === 'flash')?.timings?.medianMs ?? NaN;
  const e = entryOf(r);
  const winner = flash < naive ? 'flash' : 'naive';
  assert.equal(e.best?.kernel, winner);
  assert.equal(e.best?.medianMs, Math.min(naive, flash));
  assert.equal(e.best?.layers, 1);
  assert.equal(e.isFallback, true);
  assert.match(e.adapter, /llvmpipe/);
  assert.equal(bestText(e), `${winner} ${shortMs(Math.min(naive, flash))}`);
  if (winner === 'flash') assert.equal(measuredText(e), `measured: flash ${shortMs(flash)}/layer, ${Number((naive / flash).toPrecision(2))}× naive (software adapter)`);
});

test('a fast wrong kernel does not win, and is named', () => {
  const r = shapeReport();
  const flash = r.workloads[0].results.find((k) => k.kernel === 'flash');
  assert.ok(flash?.timings);
  flash.correct = false;
  flash.timings.medianMs = 1e-6;
  const e = entryOf(r);
  assert.equal(e.best?.kernel, 'naive');
  assert.deepEqual(e.workloads[0].broken, ['flash']);
  assert.match(measuredText(e) ?? '', /^measured: naive .* · ⚠ flash failed or wrong/);
});

test('no usable kernel: no best, a plain reason', () => {
  const r = shapeReport();
  for (const k of r.workloads[0].results) {
    k.status = 'failed';
    k.error = 'out of memory';
  }
  const e = entryOf(r);
  assert.equal(e.best, undefined);
  assert.equal(bestText(e), 'no kernel passed');
  assert.match(measuredText(e) ?? '', /no kernel passed \(naive, flash failed\)/);
});

test('a model run totals each kernel over every layer of every workload', () => {
  const r = gemmaReport();
  const e = entryOf(r);
  const total = (k: string) => r.workloads.reduce((s, w) => s + (w.results.find((x) => x.kernel === k)?.timings?.medianMs ?? NaN) * w.layers.length, 0);
  const winner = total('flash') < total('naive') ? 'flash' : 'naive';
  assert.equal(e.best?.kernel, winner);
  assert.ok(Math.abs((e.best?.medianMs ?? 0) - total(winner)) < 1e-9);
  assert.equal(e.best?.layers, 42);
  assert.match(bestText(e), new RegExp(`^${winner} [\\d.]+ (ms|s) \\(42 layers\\)$`));
  assert.equal(e.sourceFile, 'test/fixtures/configs/gemma-2-9b.json');
});

test('short units', () => {
  assert.equal(shortMs(3.14159), '3.1 ms');
  assert.equal(shortMs(86.4), '86 ms');
  assert.equal(shortMs(0.25), '250 µs');
  assert.equal(shortMs(0.0005), '500 ns');
  assert.equal(shortMs(1234), '1.2 s');
  assert.equal(shortMs(Number.NaN), '–');
  assert.equal(shortTokens(4096), '4k');
  assert.equal(shortTokens(131072), '128k');
  assert.equal(shortTokens(197), '197');
  assert.equal(shortTokens(50000), '50k');
});
