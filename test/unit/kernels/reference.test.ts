import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maxRelativeError, referenceRows, sampleRows, visibleKeyRange } from '../../../kernels/reference';
import { problem } from '../helpers';

const D = 4;

function close(got: ArrayLike<number>, want: number[], tol = 1e-12): void {
  assert.equal(got.length, want.length, 'length');
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= tol, `element ${i}: got ${got[i]}, want ${want[i]} (all: ${Array.from(got).join(', ')})`);
  }
}

/** V rows [1,2,3,4] and [5,6,7,8] weighted 1:3 give [4,5,6,7]. */
const V2 = [1, 2, 3, 4, 5, 6, 7, 8];
const Q1 = [1, 0, 0, 0];
const WEIGHTED = [4, 5, 6, 7];

describe('referenceRows', () => {
  test('softmax weights on a hand-computed row (custom scale)', () => {
    // scores 0 and ln 3 → weights 1/4 and 3/4
    const p = problem({ headDim: D, seqLenQ: 1, seqLenK: 2, scale: 1 });
    const k = [0, 0, 0, 0, Math.log(3), 0, 0, 0];
    close(referenceRows(p, Q1, k, V2, [0]), WEIGHTED);
    // scale 2 doubles the scores: weights 1:9
    close(referenceRows({ ...p, scale: 2 }, Q1, k, V2, [0]), [(1 + 9 * 5) / 10, (2 + 9 * 6) / 10, (3 + 9 * 7) / 10, (4 + 9 * 8) / 10]);
  });

  test('default scale is 1/√D', () => {
    const p = problem({ headDim: D, seqLenQ: 1, seqLenK: 2 });
    const k = [0, 0, 0, 0, 2 * Math.log(3), 0, 0, 0]; // × 1/√4 = ln 3
    close(referenceRows(p, Q1, k, V2, [0]), WEIGHTED);
  });

  test('softcap: s ← C·tanh(s/C) after scaling', () => {
    const C = 2;
    const raw = C * Math.atanh(Math.log(3) / C); // capped to exactly ln 3
    const p = problem({ headDim: D, seqLenQ: 1, seqLenK: 2, scale: 1, softcap: C });
    const k = [0, 0, 0, 0, raw, 0, 0, 0];
    close(referenceRows(p, Q1, k, V2, [0]), WEIGHTED);
    // without the cap the same inputs weigh differently
    const uncapped = referenceRows({ ...p, softcap: 0 }, Q1, k, V2, [0]);
    assert.ok(Math.abs(uncapped[0] - WEIGHTED[0]) > 0.01);
  });

  test('large scores do not overflow (max subtracted before exp)', () => {
    const p = problem({ headDim: D, seqLenQ: 1, seqLenK: 2, scale: 1 });
    const k = [1000, 0, 0, 0, 1000 + Math.log(3), 0, 0, 0];
    close(referenceRows(p, Q1, k, V2, [0]), WEIGHTED, 1e-9);
  });

  test('causal and window masks on uniform scores (output = mean of the visible V rows)', () => {
    const q = new Array(3 * D).fill(0);
    const k = new Array(3 * D).fill(1);
    const v = [1, 1, 1, 1, 3, 3, 3, 3, 8, 8, 8, 8];
    const causal = problem({ headDim: D, seqLenQ: 3, seqLenK: 3, causal: true });
    close(referenceRows(causal, q, k, v, [0, 1, 2]), [1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4]);
    const window = problem({ headDim: D, seqLenQ: 3, seqLenK: 3, window: 2 });
    close(referenceRows(window, q, k, v, [0, 1, 2]), [1, 1, 1, 1, 2, 2, 2, 2, 5.5, 5.5, 5.5, 5.5]);
    // bottom-right: one query against three keys sees them all
    const decode = problem({ headDim: D, seqLenQ: 1, seqLenK: 3, causal: true });
    close(referenceRows(decode, [0, 0, 0, 0], k, v, [0]), [4, 4, 4, 4]);
  });

  test('a row that sees no key outputs zeros, not NaN', () => {
    // causal with Nq > Nk: query 0 sits before the first key
    const p = problem({ headDim: D, seqLenQ: 2, seqLenK: 1, causal: true });
    const out = referenceRows(p, [1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1], [5, 6, 7, 8], [0, 1]);
    close(out, [0, 0, 0, 0, 5, 6, 7, 8]);
    // kv-lens 0 masks every key
    const empty = referenceRows(problem({ headDim: D, seqLenQ: 1, seqLenK: 2, kvLens: Int32Array.from([0]) }), Q1, [1, 0, 0, 0, 2, 0, 0, 0], V2, [0]);
    close(empty, [0, 0, 0, 0]);
  });

  test('kv-lens masks keys at positions ≥ len[b], per batch', () => {
    const p = problem({ batch: 2, headDim: D, seqLenQ: 1, seqLenK: 3, kvLens: Int32Array.from([1, 3]) });
    const q = new Array(2 * D).fill(0);
    const k = new Array(2 * 3 * D).fill(0.5);
    const v = [
      // batch 0: keys 0..2
      2, 2, 2, 2, 100, 100, 100, 100, 100, 100, 100, 100,
      // batch 1
      1, 1, 1, 1, 2, 2, 2, 2, 6, 6, 6, 6,
    ];
    close(referenceRows(p, q, k, v, [0, 1]), [2, 2, 2, 2, 3, 3, 3, 3]);
    // a length beyond Nk is clamped
    close(referenceRows({ ...p, kvLens: Int32Array.from([99, 2]) }, q, k, v, [0, 1]), [
      (2 + 100 + 100) / 3, (2 + 100 + 100) / 3, (2 + 100 + 100) / 3, (2 + 100 + 100) / 3, 1.5, 1.5, 1.5, 1.5,
    ]);
  });

  test('GQA: query head h reads key/value head ⌊h / (Hq/Hkv)⌋ of its own batch', () => {
    const B = 2;
    const Hq = 4;
    const Hkv = 2;
    const p = problem({ batch: B, heads: Hq, kvHeads: Hkv, headDim: D, seqLenQ: 1, seqLenK: 1 });
    const q = new Array(B * Hq * D).fill(1);
    const k = new Array(B * Hkv * D).fill(1);
    // V of (b, kvHead) = 10·(b·Hkv + kvHead) + c: a single key, so the output is that row exactly
    const v = Array.from({ length: B * Hkv * D }, (_, i) => 10 * Math.floor(i / D) + (i % D));
    const rows = [0, 1, 2, 3, 4, 5, 6, 7];
    const out = referenceRows(p, q, k, v, rows);
    const want: number[] = [];
    for (const row of rows) {
      const b = Math.floor(row / Hq);
      const h = row % Hq;
      const kv = b * Hkv + Math.floor(h / (Hq / Hkv));
      for (let c = 0; c < D; c++) want.push(10 * kv + c);
    }
    close(out, want);
    // expected mapping spelled out: rows 0,1 → kv 0; 2,3 → kv 1; 4,5 → kv 2; 6,7 → kv 3
    assert.deepEqual(rows.map((r) => out[r * D] / 10), [0, 0, 1, 1, 2, 2, 3, 3]);
  });

  test('rows come back in the order asked, and row indices span [B, Hq, Nq]', () => {
    const p = problem({ batch: 1, heads: 2, kvHeads: 1, headDim: D, seqLenQ: 2, seqLenK: 2, causal: true });
    const q = new Array(4 * D).fill(0);
    const k = new Array(2 * D).fill(0);
    const v = [1, 1, 1, 1, 3, 3, 3, 3];
    // rows: (h0,i0) (h0,i1) (h1,i0) (h1,i1); causal: i0 → v0 = 1, i1 → mean = 2
    close(referenceRows(p, q, k, v, [3, 0, 2]), [2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('visibleKeyRange', () => {
  test('half-open ranges for each mask', () => {
    assert.deepEqual(visibleKeyRange(problem({ seqLenQ: 4, seqLenK: 4 }), 0, 1), [0, 4]);
    assert.deepEqual(visibleKeyRange(problem({ seqLenQ: 4, seqLenK: 4, causal: true }), 0, 1), [0, 2]);
    assert.deepEqual(visibleKeyRange(problem({ seqLenQ: 2, seqLenK: 6, causal: true }), 0, 0), [0, 5]);
    assert.deepEqual(visibleKeyRange(problem({ seqLenQ: 6, seqLenK: 6, window: 2 }), 0, 4), [3, 5]);
    const lens = problem({ batch: 2, seqLenQ: 4, seqLenK: 4, causal: true, kvLens: Int32Array.from([2, 4]) });
    assert.deepEqual(visibleKeyRange(lens, 0, 3), [0, 2]);
    assert.deepEqual(visibleKeyRange(lens, 1, 3), [0, 4]);
    const [lo, hi] = visibleKeyRange(problem({ seqLenQ: 4, seqLenK: 2, causal: true }), 0, 0);
    assert.equal(hi - lo, 0, 'empty range for a query before the first key');
  });
});

describe('sampleRows', () => {
  test('every row of a small problem', () => {
    const rows = sampleRows(problem({ batch: 2, heads: 3, kvHeads: 1, seqLenQ: 5 }));
    assert.deepEqual([...rows], Array.from({ length: 30 }, (_, i) => i));
  });

  test('a big problem: within budget, sorted, unique, corners included, spread over all rows', () => {
    const p = problem({ batch: 2, heads: 3, kvHeads: 1, seqLenQ: 1000, seqLenK: 64 });
    const total = 2 * 3 * 1000;
    const rows = [...sampleRows(p, 100)];
    assert.ok(rows.length <= 100 && rows.length >= 90, `got ${rows.length} rows`);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i] > rows[i - 1], `not strictly increasing at ${i}`);
    assert.ok(rows.every((r) => Number.isInteger(r) && r >= 0 && r < total));
    // first and last query row of the (first/last batch) × (first/last head) corners
    for (const r of [0, 999, 2000, 2999, 3000, 3999, 5000, 5999]) assert.ok(rows.includes(r), `corner row ${r} missing`);
    // an even spread: no gap wider than about two steps
    const step = total / 100;
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i] - rows[i - 1] <= 2 * step + 1, `gap at ${rows[i - 1]}..${rows[i]}`);
  });

  test('long keys shrink the budget so the check stays under ~4e8 multiply-adds', () => {
    const p = problem({ heads: 64, kvHeads: 8, seqLenQ: 16384, seqLenK: 16384, headDim: 128 });
    const rows = sampleRows(p); // 4e8 / (16384·128) = 190 rows
    assert.ok(rows.length <= 190 && rows.length > 150, `got ${rows.length}`);
    // never fewer than 16, even when one row alone is huge
    const huge = problem({ seqLenQ: 1000, seqLenK: 2 ** 24, headDim: 256 });
    assert.equal(sampleRows(huge, 4096).length, 16);
  });
});

describe('maxRelativeError', () => {
  test('max |got − want| over max |want|', () => {
    assert.equal(maxRelativeError([1, 2.5], [1, 2]), 0.25);
    assert.equal(maxRelativeError([-4.5, 0], [-4, 0.5]), 0.125);
    assert.equal(maxRelativeError([1, 2], [1, 2]), 0);
  });

  test('all-zero reference: zero error for zeros, huge error otherwise', () => {
    assert.equal(maxRelativeError([0, 0], [0, 0]), 0);
    assert.ok(maxRelativeError([1e-6, 0], [0, 0]) > 1e20);
  });

  test('NaN anywhere is NaN (never passes a tolerance check)', () => {
    assert.ok(Number.isNaN(maxRelativeError([1, Number.NaN, 3], [1, 2, 3])));
    assert.ok(Number.isNaN(maxRelativeError([Number.NaN], [1])));
    assert.ok(!(maxRelativeError([1, Number.NaN], [1, 2]) <= 2e-4));
    // A non-finite output fails even where the reference has the same non-finite value.
    assert.ok(Number.isNaN(maxRelativeError([Infinity, 1], [1, 1])));
    assert.ok(Number.isNaN(maxRelativeError([Infinity, 1], [Infinity, 1])));
    assert.ok(Number.isNaN(maxRelativeError([-Infinity], [-Infinity])));
  });
});
