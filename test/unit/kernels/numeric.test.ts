/** Host-side numerics: f16 conversion, timing statistics, seeded random inputs, value formatting. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHalfArray, fromHalfBits, toHalfArray, toHalfBits } from '../../../kernels/f16';
import { mulberry32, randomNormal } from '../../../kernels/random';
import { quantile, summarize } from '../../../kernels/stats';
import { formatBytes, formatFlops, formatMs } from '../../../kernels/units';

const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const half = (x: number) => hex(toHalfBits(x));

describe('f16', () => {
  test('every non-NaN half round-trips through a number bit-exactly', () => {
    let checked = 0;
    for (let h = 0; h < 0x10000; h++) {
      const exp = (h >>> 10) & 0x1f;
      if (exp === 0x1f && (h & 0x3ff) !== 0) continue; // NaN payloads are not preserved
      const back = toHalfBits(fromHalfBits(h));
      if (back !== h) assert.fail(`${hex(h)} → ${fromHalfBits(h)} → ${hex(back)}`);
      checked++;
    }
    assert.equal(checked, 0x10000 - 2 * 1023);
  });

  test('known encodings', () => {
    assert.equal(half(1), '0x3c00');
    assert.equal(half(-2), '0xc000');
    assert.equal(half(0.5), '0x3800');
    assert.equal(half(65504), '0x7bff');
    assert.equal(half(0.1), '0x2e66');
    assert.equal(half(1 / 3), '0x3555');
    assert.equal(half(0), '0x0000');
    assert.equal(half(-0), '0x8000');
    assert.equal(fromHalfBits(0x3555), 0.333251953125);
    assert.ok(Object.is(fromHalfBits(0x8000), -0));
  });

  test('rounds to nearest, ties to even', () => {
    const ulp = 2 ** -10; // spacing of halves in [1, 2)
    assert.equal(half(1 + ulp / 2), '0x3c00', 'tie between 1 (even) and 1+ulp rounds down');
    assert.equal(half(1 + 1.5 * ulp), '0x3c02', 'tie between 1+ulp (odd) and 1+2ulp rounds up');
    assert.equal(half(1 + ulp / 2 + 2 ** -20), '0x3c01', 'just above the tie rounds up');
    assert.equal(half(1 + ulp / 2 - 2 ** -20), '0x3c00', 'just below the tie rounds down');
    assert.equal(half(-(1 + 1.5 * ulp)), '0xbc02');
    // mantissa carry into the exponent: just under 2 rounds to 2
    assert.equal(half(2 - 2 ** -12), '0x4000');
  });

  test('subnormals', () => {
    assert.equal(half(2 ** -14), '0x0400', 'smallest normal');
    assert.equal(half(2 ** -15), '0x0200');
    assert.equal(half(2 ** -24), '0x0001', 'smallest subnormal');
    assert.equal(half(-(2 ** -24)), '0x8001');
    assert.equal(half(1023 * 2 ** -24), '0x03ff', 'largest subnormal');
    assert.equal(half(3 * 2 ** -25), '0x0002', 'tie between 1 and 2 units rounds to even 2');
    assert.equal(half(5 * 2 ** -25), '0x0002', 'tie between 2 and 3 units rounds to even 2');
    assert.equal(half(2 ** -25), '0x0000', 'half the smallest subnormal ties to zero');
    assert.equal(half(1.5 * 2 ** -25), '0x0001', 'above half rounds up to the smallest subnormal');
    assert.equal(half(2 ** -26), '0x0000', 'underflow');
    assert.equal(half(-(2 ** -30)), '0x8000', 'underflow keeps the sign');
    assert.equal(half(2 ** -14 - 2 ** -25), '0x0400', 'largest subnormal + half a unit carries into the smallest normal');
    assert.equal(fromHalfBits(0x0001), 2 ** -24);
    assert.equal(fromHalfBits(0x03ff), 1023 * 2 ** -24);
  });

  test('infinity, NaN and overflow', () => {
    assert.equal(half(Infinity), '0x7c00');
    assert.equal(half(-Infinity), '0xfc00');
    const nan = toHalfBits(Number.NaN);
    assert.equal(nan & 0x7c00, 0x7c00);
    assert.notEqual(nan & 0x3ff, 0, 'NaN keeps a non-zero mantissa');
    assert.ok(Number.isNaN(fromHalfBits(nan)));
    assert.ok(Number.isNaN(fromHalfBits(0x7e00)));
    assert.equal(fromHalfBits(0x7c00), Infinity);
    assert.equal(fromHalfBits(0xfc00), -Infinity);
    assert.equal(half(65519), '0x7bff', 'below the rounding boundary stays finite');
    assert.equal(half(65520), '0x7c00', 'the tie above 65504 (odd) rounds to infinity');
    assert.equal(half(1e6), '0x7c00');
    assert.equal(half(-1e6), '0xfc00');
    assert.equal(half(3.4e38), '0x7c00');
  });

  test('array conversions', () => {
    const src = Float32Array.from([1, -2, 0.1, 65504, 1e6, 2 ** -24]);
    const bits = toHalfArray(src);
    assert.ok(bits instanceof Uint16Array);
    assert.deepEqual([...bits].map(hex), ['0x3c00', '0xc000', '0x2e66', '0x7bff', '0x7c00', '0x0001']);
    const back = fromHalfArray(bits);
    assert.ok(back instanceof Float32Array);
    assert.deepEqual([...back], [1, -2, Math.fround(0.0999755859375), 65504, Infinity, 2 ** -24]);
  });
});

describe('timing statistics', () => {
  test('quantiles interpolate linearly between order statistics', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(quantile(ten, 0.5), 5.5);
    assert.ok(Math.abs(quantile(ten, 0.1) - 1.9) < 1e-12);
    assert.ok(Math.abs(quantile(ten, 0.9) - 9.1) < 1e-12);
    assert.equal(quantile(ten, 0), 1);
    assert.equal(quantile(ten, 1), 10);
    assert.equal(quantile([2, 4, 10], 0.5), 4);
    assert.equal(quantile([2, 4, 10], 0.75), 7);
    assert.equal(quantile([5], 0.9), 5);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });

  test('summarize sorts a copy and keeps the samples in run order', () => {
    const samples = [9, 1, 5, 3, 7];
    const s = summarize(samples);
    assert.equal(s.medianMs, 5);
    assert.ok(Math.abs(s.p10Ms - 1.8) < 1e-12); // pos 0.4 between 1 and 3
    assert.ok(Math.abs(s.p90Ms - 8.2) < 1e-12); // pos 3.6 between 7 and 9
    assert.equal(s.minMs, 1);
    assert.equal(s.meanMs, 5);
    assert.deepEqual(s.samples, [9, 1, 5, 3, 7]);
    assert.deepEqual(samples, [9, 1, 5, 3, 7], 'input not mutated');
    const empty = summarize([]);
    assert.ok(Number.isNaN(empty.medianMs) && Number.isNaN(empty.minMs) && Number.isNaN(empty.meanMs));
  });
});

describe('random inputs', () => {
  test('mulberry32 is deterministic per seed and uniform in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const c = mulberry32(124);
    const xa = Array.from({ length: 1000 }, () => a());
    const xb = Array.from({ length: 1000 }, () => b());
    const xc = Array.from({ length: 1000 }, () => c());
    assert.deepEqual(xa, xb);
    assert.notDeepEqual(xa, xc);
    assert.ok(xa.every((x) => x >= 0 && x < 1));
    const mean = xa.reduce((s, x) => s + x, 0) / xa.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  });

  test('randomNormal: deterministic, seed-dependent, never zeros, about N(0, 1)', () => {
    const n = 20001; // odd: the last element comes from a half-used pair
    const x = randomNormal(n, 42);
    assert.ok(x instanceof Float32Array);
    assert.equal(x.length, n);
    assert.deepEqual(randomNormal(n, 42), x);
    const y = randomNormal(n, 43);
    assert.ok(x.some((v, i) => v !== y[i]), 'different seeds give different inputs');
    const zeros = x.filter((v) => v === 0).length;
    assert.equal(zeros, 0);
    assert.notEqual(x[n - 1], 0, 'the odd last element is filled');
    assert.ok(x.every(Number.isFinite));
    const mean = x.reduce((s, v) => s + v, 0) / n;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
    assert.ok(variance > 0.93 && variance < 1.07, `variance ${variance}`);
    // std scales
    const z = randomNormal(n, 42, 3);
    const v3 = z.reduce((s, v) => s + v * v, 0) / n;
    assert.ok(v3 > 8.4 && v3 < 9.6, `variance with std 3: ${v3}`);
    // both halves of a Box–Muller pair are used (not the same value twice)
    assert.notEqual(x[0], x[1]);
  });
});

describe('formatting', () => {
  test('bytes, times and FLOPs', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(3 * 1024 * 1024), '3 MiB');
    assert.equal(formatBytes(1023.6 * 1024), '1 MiB'); // never "1024 KiB"
    assert.equal(formatBytes(200 * 1024 ** 3), '200 GiB');
    assert.equal(formatMs(0.0005), '500 ns');
    assert.equal(formatMs(0.25), '250.0 µs');
    assert.equal(formatMs(0.005), '5.00 µs');
    assert.equal(formatMs(1.5), '1.500 ms');
    assert.equal(formatMs(2500), '2.50 s');
    assert.equal(formatMs(Number.NaN), '–');
    assert.equal(formatFlops(2.5e12), '2.5 TFLOP');
    assert.equal(formatFlops(9.3e11), '0.93 TFLOP');
    assert.equal(formatFlops(3e9), '3 GFLOP');
    assert.equal(formatFlops(50), '50 FLOP');
  });
});
