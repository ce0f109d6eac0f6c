/** The one formatter module: percentages and signed changes as every view prints them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compact, formatChange, formatPercent, shortRatio } from '../../../kernels/units';

test('percentages: digits on request, never "-0 %", a dash when not finite', () => {
  assert.equal(formatPercent(0.713), '71 %');
  assert.equal(formatPercent(0.7134, 1), '71.3 %');
  assert.equal(formatPercent(-0.004), '0 %');
  assert.equal(formatPercent(-0.2), '-20 %');
  assert.equal(formatPercent(Number.NaN), '–');
  assert.equal(formatPercent(Infinity, 1), '–');
});

test('changes carry their sign (a true minus), zero none', () => {
  assert.equal(formatChange(0.05), '+5.0 %');
  assert.equal(formatChange(-0.1), '−10.0 %');
  assert.equal(formatChange(0), '0.0 %');
  assert.equal(formatChange(Number.NaN), '–');
});

test('compact numbers and ratios', () => {
  assert.deepEqual([0.934, 3.14, 56.2, 117].map(compact), ['0.93', '3.1', '56', '117']);
  assert.equal(shortRatio(2.71), '2.7×');
  assert.equal(shortRatio(0), '–');
});
