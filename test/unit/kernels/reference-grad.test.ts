import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AttentionProblem, docBoundsFor } from '../../../kernels/problem';
import { randomNormal } from '../../../kernels/random';
import { referenceRows, visibleKeyRange } from '../../../kernels/reference';
import { referenceGradients, sampleGradients } from '../../../kernels/reference-grad';
import { problem } from '../helpers';

const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

/** L = Σ dO ⊙ O over every row: its gradient with respect to Q, K, V is what the backward computes. */
function loss(p: AttentionProblem, q: Float64Array, k: Float64Array, v: Float64Array, dout: Float64Array): number {
  const out = referenceRows(p, q, k, v, all(p.batch * p.heads * p.seqLenQ));
  let sum = 0;
  for (let x = 0; x < out.length; x++) sum += out[x] * dout[x];
  return sum;
}

/** Central finite differences of L for every element of one tensor. */
function numericGradient(p: AttentionProblem, tensors: Float64Array[], which: number, dout: Float64Array): Float64Array {
  const h = 1e-6;
  const t = tensors[which];
  const grad = new Float64Array(t.length);
  for (let x = 0; x < t.length; x++) {
    const keep = t[x];
    t[x] = keep + h;
    const up = loss(p, tensors[0], tensors[1], tensors[2], dout);
    t[x] = keep - h;
    const down = loss(p, tensors[0], tensors[1], tensors[2], dout);
    t[x] = keep;
    grad[x] = (up - down) / (2 * h);
  }
  return grad;
}

function inputs(p: AttentionProblem, seed: number) {
  const nq = p.batch * p.heads * p.seqLenQ * p.headDim;
  const nk = p.batch * p.kvHeads * p.seqLenK * p.headDim;
  return {
    q: Float64Array.from(randomNormal(nq, seed)),
    k: Float64Array.from(randomNormal(nk, seed + 1)),
    v: Float64Array.from(randomNormal(nk, seed + 2)),
    dout: Float64Array.from(randomNormal(nq, seed + 3)),
  };
}

function assertClose(got: Float64Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (const w of want) scale = Math.max(scale, Math.abs(w));
  assert.ok(scale > 0, `${what}: the numeric gradient is all zero — the case tests nothing`);
  for (let x = 0; x < want.length; x++) {
    assert.ok(Math.abs(got[x] - want[x]) <= 1e-6 * Math.max(1, scale), `${what}[${x}]: analytic ${got[x]}, finite differences ${want[x]}`);
  }
}

const D = 4;
const cases: [string, Partial<AttentionProblem>][] = [
  ['GQA 4:2, causal bottom-right (Nq < Nk), softcap, custom scale', { batch: 2, heads: 4, kvHeads: 2, seqLenQ: 5, seqLenK: 7, causal: true, softcap: 1.5, scale: 0.9 }],
  ['Nq > Nk causal with a window: leading rows see no key', { heads: 2, kvHeads: 2, seqLenQ: 6, seqLenK: 4, causal: true, window: 2 }],
  ['MQA 3:1, window 2', { heads: 3, kvHeads: 1, seqLenQ: 5, seqLenK: 5, window: 2 }],
  ['kv-lens with an empty batch row', { batch: 2, heads: 2, kvHeads: 1, seqLenQ: 4, seqLenK: 6, kvLens: Int32Array.from([3, 0]) }],
  ['packed documents with a padded tail', { batch: 1, heads: 2, kvHeads: 2, seqLenQ: 7, seqLenK: 7, causal: true, docBounds: docBoundsFor([[3, 2]], 7) }],
];

describe('referenceGradients', () => {
  for (const [name, over] of cases) {
    test(`matches finite differences: ${name}`, () => {
      const p = problem({ headDim: D, ...over });
      const { q, k, v, dout } = inputs(p, 11);
      const rows = all(p.batch * p.heads * p.seqLenQ);
      const keys = all(p.batch * p.kvHeads * p.seqLenK);
      const g = referenceGradients(p, q, k, v, dout, rows, keys);
      const tensors = [q, k, v];
      assertClose(g.dq, numericGradient(p, tensors, 0, dout), 'dQ');
      assertClose(g.dk, numericGradient(p, tensors, 1, dout), 'dK');
      assertClose(g.dv, numericGradient(p, tensors, 2, dout), 'dV');
    });
  }

  test('a row that sees no key has exactly zero dQ, and its keys get nothing from it', () => {
    const p = problem({ headDim: D, seqLenQ: 4, seqLenK: 2, causal: true });
    const { q, k, v, dout } = inputs(p, 5);
    const g = referenceGradients(p, q, k, v, dout, all(4), all(2));
    for (const row of [0, 1]) {
      assert.deepEqual(visibleKeyRange(p, 0, row), [0, 0]);
      assert.deepEqual([...g.dq.subarray(row * D, (row + 1) * D)], [0, 0, 0, 0]);
    }
    // Changing the invisible rows' dO changes no key gradient.
    const dout2 = Float64Array.from(dout);
    dout2.fill(100, 0, 2 * D);
    const g2 = referenceGradients(p, q, k, v, dout2, all(4), all(2));
    assert.deepEqual([...g2.dk], [...g.dk]);
    assert.deepEqual([...g2.dv], [...g.dv]);
  });

  test('window 1: P is 1 on the diagonal, so dQ = dK = 0 and dV_j sums dO_j over the group', () => {
    const p = problem({ heads: 3, kvHeads: 1, seqLenQ: 5, seqLenK: 5, headDim: D, window: 1 });
    const { q, k, v, dout } = inputs(p, 8);
    const g = referenceGradients(p, q, k, v, dout, all(15), all(5));
    assert.ok(g.dq.every((x) => x === 0) && g.dk.every((x) => x === 0));
    for (let j = 0; j < 5; j++) {
      for (let c = 0; c < D; c++) {
        const want = [0, 1, 2].reduce((a, h) => a + dout[(h * 5 + j) * D + c], 0);
        assert.ok(Math.abs(g.dv[j * D + c] - want) < 1e-12);
      }
    }
  });

  test('a subset of rows and keys gives the same values as the full computation', () => {
    const p = problem({ batch: 2, heads: 4, kvHeads: 2, seqLenQ: 9, seqLenK: 9, headDim: D, causal: true });
    const { q, k, v, dout } = inputs(p, 3);
    const full = referenceGradients(p, q, k, v, dout, all(72), all(36));
    const rows = [70, 3, 40];
    const keys = [35, 0, 20, 9];
    const part = referenceGradients(p, q, k, v, dout, rows, keys);
    rows.forEach((r, s) => assert.deepEqual([...part.dq.subarray(s * D, s * D + D)], [...full.dq.subarray(r * D, r * D + D)]));
    keys.forEach((j, s) => {
      assert.deepEqual([...part.dk.subarray(s * D, s * D + D)], [...full.dk.subarray(j * D, j * D + D)]);
      assert.deepEqual([...part.dv.subarray(s * D, s * D + D)], [...full.dv.subarray(j * D, j * D + D)]);
    });
  });
});

describe('sampleGradients', () => {
  test('small problems check every row and key', () => {
    const p = problem({ batch: 2, heads: 4, kvHeads: 2, seqLenQ: 30, seqLenK: 40 });
    const s = sampleGradients(p);
    assert.equal(s.rows.length, 2 * 4 * 30);
    assert.equal(s.keys.length, 2 * 2 * 40);
  });

  test('large problems stay within the budget and include the corners', () => {
    const p = problem({ batch: 8, heads: 12, kvHeads: 12, seqLenQ: 3136, seqLenK: 3136 });
    const s = sampleGradients(p);
    assert.ok(s.rows.length < 2000 && s.rows.length >= 16, `${s.rows.length} rows`);
    assert.ok(s.rows.includes(0) && s.rows.includes(8 * 12 * 3136 - 1));
    // one key/value head (its first keys), 64 keys of it
    assert.equal(s.keys.length, 64);
    assert.equal(s.keys[0], 0);
    assert.equal(s.keys[63], 3135);
  });
});
