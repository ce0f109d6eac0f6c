import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AttentionProblem,
  ProblemError,
  attentionFlops,
  describeProblem,
  effectiveScale,
  minimumBytes,
  scoreMatrixBytes,
  validateProblem,
  visiblePairs,
} from '../../../kernels/problem';
import { visibleKeyRange } from '../../../kernels/reference';
import { problem } from '../helpers';

function rejects(p: AttentionProblem, message: string): void {
  assert.throws(
    () => validateProblem(p),
    (e: unknown) => {
      assert.ok(e instanceof ProblemError, `expected ProblemError, got ${String(e)}`);
      assert.equal(e.message, message);
      return true;
    },
  );
}

describe('validateProblem', () => {
  test('accepts ordinary shapes, GQA and MQA', () => {
    validateProblem(problem({}));
    validateProblem(problem({ heads: 32, kvHeads: 8, headDim: 128, causal: true, window: 4096, softcap: 50 }));
    validateProblem(problem({ heads: 16, kvHeads: 1, headDim: 256, scale: 0.125, kvLens: Int32Array.from([0, 3]) , batch: 2 }));
    for (const d of [8, 32, 40, 64, 72, 80, 96, 128, 160, 200, 256]) validateProblem(problem({ headDim: d }));
  });

  test('GQA: query heads must be a multiple of key/value heads', () => {
    rejects(problem({ heads: 6, kvHeads: 4 }), 'query heads (6) must be a multiple of key/value heads (4) for GQA/MQA.');
    rejects(problem({ heads: 2, kvHeads: 4 }), 'query heads (2) must be a multiple of key/value heads (4) for GQA/MQA.');
  });

  test('unsupported head dims say which ones run', () => {
    rejects(problem({ headDim: 36 }), 'head dim 36 is not supported; the kernels take a multiple of 8 up to 256.');
    rejects(problem({ headDim: 512 }), 'head dim 512 is not supported; the kernels take a multiple of 8 up to 256.');
  });

  test('every dimension must be a positive integer', () => {
    rejects(problem({ batch: 1.5 }), 'batch must be a positive integer, got 1.5.');
    rejects(problem({ batch: 0 }), 'batch must be a positive integer, got 0.');
    rejects(problem({ heads: -2 }), 'query heads must be a positive integer, got -2.');
    rejects(problem({ kvHeads: Number.NaN }), 'key/value heads must be a positive integer, got NaN.');
    rejects(problem({ seqLenQ: 0 }), 'query length must be a positive integer, got 0.');
    rejects(problem({ seqLenK: Infinity }), 'key length must be a positive integer, got Infinity.');
    rejects(problem({ headDim: 64.5 }), 'head dim must be a positive integer, got 64.5.');
  });

  test('window must be a non-negative integer', () => {
    rejects(problem({ window: -1 }), 'window must be a non-negative integer, got -1.');
    rejects(problem({ window: 2.5 }), 'window must be a non-negative integer, got 2.5.');
  });

  test('softcap and scale must be finite', () => {
    rejects(problem({ softcap: -1 }), 'softcap must be a non-negative number, got -1.');
    rejects(problem({ softcap: Number.NaN }), 'softcap must be a non-negative number, got NaN.');
    rejects(problem({ softcap: Infinity }), 'softcap must be a non-negative number, got Infinity.');
    rejects(problem({ scale: Number.NaN }), 'scale must be a finite number, got NaN.');
    rejects(problem({ scale: -Infinity }), 'scale must be a finite number, got -Infinity.');
  });

  test('kv-lens must have one non-negative entry per batch', () => {
    rejects(problem({ batch: 2, kvLens: Int32Array.from([4]) }), 'kv-lens has 1 entries but the batch is 2.');
    rejects(problem({ batch: 2, kvLens: Int32Array.from([4, 4, 4]) }), 'kv-lens has 3 entries but the batch is 2.');
    rejects(problem({ batch: 2, kvLens: Int32Array.from([4, -1]) }), 'kv-lens must be non-negative, got -1.');
  });

  test('absurd sizes are refused before anything is allocated; 2^34 elements is the limit', () => {
    // Exactly 2^34 elements per tensor is accepted …
    validateProblem(problem({ headDim: 256, seqLenQ: 2 ** 26, seqLenK: 2 ** 26 }));
    // … one row more is not, whether the query or the key tensor is the big one.
    rejects(
      problem({ headDim: 256, seqLenQ: 2 ** 26 + 1, seqLenK: 16 }),
      'the shape is absurdly large (17.2 G elements per tensor); nothing was allocated.',
    );
    rejects(
      problem({ headDim: 256, seqLenQ: 1, seqLenK: 2 ** 26 + 1 }),
      'the shape is absurdly large (17.2 G elements per tensor); nothing was allocated.',
    );
    assert.throws(() => validateProblem(problem({ batch: 1024, heads: 128, kvHeads: 8, seqLenQ: 131072, seqLenK: 131072, headDim: 128 })), /absurdly large/);
  });
});

describe('visiblePairs and attentionFlops', () => {
  test('no mask: Nq·Nk', () => {
    assert.equal(visiblePairs(problem({ seqLenQ: 3, seqLenK: 5 })), 15);
  });

  test('causal, Nq = Nk: triangle including the diagonal', () => {
    assert.equal(visiblePairs(problem({ seqLenQ: 4, seqLenK: 4, causal: true })), 1 + 2 + 3 + 4);
    assert.equal(visiblePairs(problem({ seqLenQ: 1, seqLenK: 1, causal: true })), 1);
  });

  test('causal, Nq < Nk: bottom-right aligned (the last query sees every key)', () => {
    // offset 3: query 0 sits at key 3 (sees 0..3), query 1 at key 4 (sees 0..4)
    assert.equal(visiblePairs(problem({ seqLenQ: 2, seqLenK: 5, causal: true })), 4 + 5);
    // decode: one query sees the whole cache
    assert.equal(visiblePairs(problem({ seqLenQ: 1, seqLenK: 7, causal: true })), 7);
  });

  test('causal, Nq > Nk: leading queries see nothing', () => {
    // offset −2: queries 0 and 1 see no key, query 2 sees key 0, query 3 sees keys 0..1
    assert.equal(visiblePairs(problem({ seqLenQ: 4, seqLenK: 2, causal: true })), 0 + 0 + 1 + 2);
  });

  test('sliding window: i − W < j ≤ i, with or without causal', () => {
    // W = 2, N = 5: rows see 1, 2, 2, 2, 2 keys
    assert.equal(visiblePairs(problem({ seqLenQ: 5, seqLenK: 5, window: 2 })), 9);
    assert.equal(visiblePairs(problem({ seqLenQ: 5, seqLenK: 5, window: 2, causal: true })), 9);
    // W = 3, Nq = 2, Nk = 6 (offset 4): keys 2..4 and 3..5
    assert.equal(visiblePairs(problem({ seqLenQ: 2, seqLenK: 6, window: 3, causal: true })), 6);
    // window wider than the sequence = causal
    assert.equal(visiblePairs(problem({ seqLenQ: 4, seqLenK: 4, window: 100 })), 10);
    // window 1: the diagonal only
    assert.equal(visiblePairs(problem({ seqLenQ: 6, seqLenK: 6, window: 1 })), 6);
  });

  test('visiblePairs agrees with the reference mask row by row', () => {
    const cases = [
      problem({ seqLenQ: 7, seqLenK: 7, causal: true }),
      problem({ seqLenQ: 3, seqLenK: 11, causal: true, window: 4 }),
      problem({ seqLenQ: 9, seqLenK: 4, causal: true }),
      problem({ seqLenQ: 5, seqLenK: 13, window: 6 }),
      problem({ seqLenQ: 5, seqLenK: 13 }),
    ];
    for (const p of cases) {
      let sum = 0;
      for (let i = 0; i < p.seqLenQ; i++) {
        const [lo, hi] = visibleKeyRange(p, 0, i);
        sum += hi - lo;
      }
      assert.equal(visiblePairs(p), sum, describeProblem(p));
    }
  });

  test('FLOPs: 4·B·Hq·pairs·D, query heads counted under GQA', () => {
    const full = problem({ batch: 2, heads: 8, kvHeads: 2, seqLenQ: 4, seqLenK: 4, headDim: 64 });
    assert.equal(attentionFlops(full), 4 * 2 * 8 * 16 * 64);
    assert.equal(attentionFlops({ ...full, causal: true }), 4 * 2 * 8 * 10 * 64);
    // GQA changes nothing: same FLOPs as MHA with the same query heads
    assert.equal(attentionFlops({ ...full, kvHeads: 8 }), attentionFlops(full));
    // decode
    assert.equal(attentionFlops(problem({ heads: 32, kvHeads: 8, seqLenQ: 1, seqLenK: 4096, headDim: 128, causal: true })), 4 * 32 * 4096 * 128);
  });
});

describe('byte counts and scale', () => {
  test('scoreMatrixBytes: f32 B·Hq·Nq·Nk, whatever the dtype', () => {
    const p = problem({ batch: 2, heads: 8, kvHeads: 2, seqLenQ: 3, seqLenK: 5 });
    assert.equal(scoreMatrixBytes(p), 2 * 8 * 3 * 5 * 4);
    assert.equal(scoreMatrixBytes({ ...p, dtype: 'f16' }), 2 * 8 * 3 * 5 * 4);
  });

  test('minimumBytes: Q and O at Hq·Nq, K and V at Hkv·Nk, per element size', () => {
    const p = problem({ batch: 2, heads: 8, kvHeads: 2, seqLenQ: 3, seqLenK: 5, headDim: 64 });
    const q = 2 * 8 * 3 * 64;
    const kv = 2 * 2 * 5 * 64;
    assert.equal(minimumBytes(p), (2 * q + 2 * kv) * 4);
    assert.equal(minimumBytes({ ...p, dtype: 'f16' }), (2 * q + 2 * kv) * 2);
  });

  test('effectiveScale: 1/√D unless given', () => {
    assert.equal(effectiveScale(problem({ headDim: 64 })), 0.125);
    assert.equal(effectiveScale(problem({ headDim: 64, scale: 0.5 })), 0.5);
    assert.equal(effectiveScale(problem({ headDim: 64, scale: 0 })), 0);
  });

  test('describeProblem names the masks', () => {
    const text = describeProblem(problem({ batch: 2, heads: 8, kvHeads: 2, seqLenQ: 3, seqLenK: 5, causal: true, window: 4, softcap: 30 }));
    assert.equal(text, 'B=2 Hq=8 Hkv=2 Nq=3 Nk=5 D=64 f32 causal window=4 softcap=30');
  });
});
