/** The one formatter module: percentages and signed changes as every view prints them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compact, describeWork, formatChange, formatCount, formatLargeCount, formatPercent, formatRate, formatRatio, shortRatio } from '../../../kernels/units';

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

test('ratios: one digit below 10, none above, or fixed digits; a dash when not positive', () => {
  assert.deepEqual([2.71, 9.94, 12.4].map((x) => formatRatio(x)), ['2.7×', '9.9×', '12×']);
  assert.equal(formatRatio(1.2345, 2), '1.23×');
  assert.equal(formatRatio(0), '–');
  assert.equal(formatRatio(Number.NaN, 2), '–');
});

test('counts: k/M/G/T with three digits; in full below a million or in exponent form when a size is absurd', () => {
  assert.deepEqual([0, 999, 1234, 1_450_000, 5.6e9, 2e12].map(formatCount), ['0', '999', '1.23k', '1.45M', '5.6G', '2T']);
  assert.equal(formatLargeCount(999_999), '999999');
  assert.equal(formatLargeCount(4294967296), '4.294967296e9');
});

test('the work sentence: percentages of the one formatter, a tenth below 10 %', () => {
  const w = { visibleFraction: 0.024, tilesComputed: 12, tilesTotal: 40, tileFraction: 0.3, flopsDone: 3e9, flopsDense: 1e11, tile: '64×32' };
  assert.equal(describeWork(w), 'Work: 2.4 % of the score matrix is visible; computed 12 of 40 64×32 tiles (30 %): 3 GFLOP done of 0.1 TFLOP dense.');
  assert.match(describeWork({ ...w, tile: undefined }), /computes the whole score matrix/);
});

test('rates: three significant digits, an exponent only below 0.001', () => {
  assert.deepEqual([123.456, 1.23456, 0.0123456, 0.00012345, 0, Number.NaN].map(formatRate), ['123', '1.23', '0.0123', '1.2e-4', '0', '–']);
});
