import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AttentionProblem, ProblemError, docBoundsFor, gridFromLength, validateProblem, visiblePairs } from '../../../kernels/problem';
import { keyVisible, rowsHull, tileVisible, visibleKeyCount, visibleKeyRange } from '../../../kernels/mask';
import { referenceRows } from '../../../kernels/reference';
import { randomNormal } from '../../../kernels/random';
import { problem } from '../helpers';
import { KERNELS, problemGap } from '../../../kernels/runner';
import { TRAIN_KERNELS } from '../../../kernels/backward';

/** The neighbourhood as problem.ts states it, written out independently of kernels/mask.ts. */
function statedRule(p: AttentionProblem, i: number, j: number): boolean {
  const g = p.neighborhood;
  if (!g) return true;
  const start = p.seqLenK - g.rows * g.cols;
  if (i < start || j < start) return true;
  const [a, c] = [i - start, j - start];
  return Math.abs(Math.floor(a / g.cols) - Math.floor(c / g.cols)) < g.radius && Math.abs((a % g.cols) - (c % g.cols)) < g.radius;
}

function bruteVisible(p: AttentionProblem, b: number, i: number, j: number): boolean {
  const [lo, hi] = visibleKeyRange({ ...p, neighborhood: undefined }, b, i);
  return j >= lo && j < hi && statedRule(p, i, j);
}

const grid = (n: number, radius: number, rows: number, cols: number, over: Partial<AttentionProblem> = {}) =>
  problem({ seqLenQ: n, seqLenK: n, neighborhood: { radius, rows, cols }, ...over });

const PROBLEMS: [string, AttentionProblem][] = [
  ['6×6 + class token, R=2', grid(37, 2, 6, 6)],
  ['3×13, R=3', grid(39, 3, 3, 13)],
  ['5×7 + 2 register tokens, R=1', grid(37, 1, 5, 7)],
  ['4×4, R=9 (dense)', grid(16, 9, 4, 4)],
  ['6×6 + class, R=2, causal, key lengths', grid(37, 2, 6, 6, { batch: 2, causal: true, kvLens: Int32Array.from([25, 37]) })],
  ['6×6 + class, R=3, documents', grid(37, 3, 6, 6, { docBounds: docBoundsFor([[1, 18, 18]], 37) })],
];

describe('the 2-D neighbourhood mask on the host', () => {
  for (const [name, p] of PROBLEMS) {
    test(`${name}: keyVisible and the per-row count follow the stated rule`, () => {
      for (let b = 0; b < p.batch; b++) {
        for (let i = 0; i < p.seqLenQ; i++) {
          let count = 0;
          for (let j = 0; j < p.seqLenK; j++) {
            const want = bruteVisible(p, b, i, j);
            assert.equal(keyVisible(p, b, i, j), want, `b=${b} i=${i} j=${j}`);
            if (want) {
              count++;
              const [lo, hi] = visibleKeyRange(p, b, i);
              assert.ok(j >= lo && j < hi, `the hull of row ${i} misses key ${j}`);
            }
          }
          assert.equal(visibleKeyCount(p, b, i), count, `row ${i}`);
        }
      }
    });

    test(`${name}: tileVisible is false only for tiles with no visible pair`, () => {
      const multi = p.causal || p.kvLens || p.docBounds;
      for (const [tq, tk] of [[4, 4], [8, 3], [5, 16], [13, 7], [40, 32]]) {
        for (let i0 = 0; i0 < p.seqLenQ; i0 += tq) {
          const i1 = Math.min(i0 + tq, p.seqLenQ) - 1;
          const [hlo, hhi] = rowsHull(p, 0, i0, i1);
          for (let j0 = 0; j0 < p.seqLenK; j0 += tk) {
            const j1 = Math.min(j0 + tk, p.seqLenK) - 1;
            let any = false;
            for (let i = i0; i <= i1; i++) for (let j = j0; j <= j1; j++) any ||= bruteVisible(p, 0, i, j);
            const got = tileVisible(p, 0, i0, i1, j0, j1);
            if (any) assert.ok(got && hlo <= j1 && hhi > j0, `tile rows ${i0}–${i1} keys ${j0}–${j1} has a visible pair`);
            // One mask kind alone: the test is exact.
            else if (!multi) assert.equal(got, false, `tile rows ${i0}–${i1} keys ${j0}–${j1} has none`);
          }
        }
      }
    });
  }

  test('R = 1 leaves each patch only itself and the class token; R ≥ the grid is dense', () => {
    const one = grid(37, 1, 6, 6);
    assert.equal(visiblePairs(one), 37 + 36 + 36); // the class row sees all 37; each patch sees itself and the class token
    assert.equal(visiblePairs(grid(37, 6, 6, 6)), 37 * 37);
    assert.equal(visiblePairs(grid(3136, 56, 56, 56)), 3136 * 3136);
  });

  test('ViT-3136 with R = 5: the visible fraction the article reports block sparsity from', () => {
    const p = grid(3136, 5, 56, 56);
    // Per axis, a patch at coordinate x sees min(x+5, 56) − max(x−4, 0) coordinates; the 2-D count is the square of the sum.
    let axis = 0;
    for (let x = 0; x < 56; x++) axis += Math.min(x + 5, 56) - Math.max(x - 4, 0);
    assert.equal(visiblePairs(p), axis * axis);
    assert.ok(Math.abs(visiblePairs(p) / 3136 ** 2 - 0.02382) < 0.0001);
  });

  test('the float64 reference with R ≥ the grid equals unmasked attention; with R = 1 a patch row averages itself and the class token', () => {
    const base = problem({ seqLenQ: 10, seqLenK: 10, headDim: 8 });
    const q = randomNormal(80, 1);
    const k = randomNormal(80, 2);
    const v = randomNormal(80, 3);
    const rows = Uint32Array.from({ length: 10 }, (_, r) => r);
    const dense = referenceRows(base, q, k, v, rows);
    const wide = referenceRows({ ...base, neighborhood: { radius: 3, rows: 3, cols: 3 } }, q, k, v, rows);
    for (let x = 0; x < dense.length; x++) assert.ok(Math.abs(dense[x] - wide[x]) < 1e-12);
    // R = 1 on 3×3 + class: row 5 sees keys 0 and 5 only, so its output is a convex mix of v[0] and v[5].
    const one = referenceRows({ ...base, neighborhood: { radius: 1, rows: 3, cols: 3 } }, q, k, v, Uint32Array.from([5]));
    const s = (j: number) => { let a = 0; for (let c = 0; c < 8; c++) a += q[5 * 8 + c] * k[j * 8 + c]; return a / Math.sqrt(8); };
    const w0 = Math.exp(s(0)) / (Math.exp(s(0)) + Math.exp(s(5)));
    for (let c = 0; c < 8; c++) assert.ok(Math.abs(one[c] - (w0 * v[c] + (1 - w0) * v[40 + c])) < 1e-12);
  });

  test('the grid of a sequence length: a square, or a class token and a square', () => {
    assert.deepEqual(gridFromLength(3136), { rows: 56, cols: 56, classTokens: 0 });
    assert.deepEqual(gridFromLength(197), { rows: 14, cols: 14, classTokens: 1 });
    assert.equal(gridFromLength(200), undefined);
  });

  test('a neighbourhood that does not fit the sequence is refused in one sentence', () => {
    const bad = (over: Partial<AttentionProblem>, message: string) =>
      assert.throws(() => validateProblem(grid(37, 2, 6, 6, over)), (e: unknown) => e instanceof ProblemError && e.message === message);
    bad({ neighborhood: { radius: 0, rows: 6, cols: 6 } }, 'neighbourhood radius must be a positive integer, got 0.');
    bad({ neighborhood: { radius: 2, rows: 7, cols: 6 } }, 'a 7×6 patch grid has 42 tokens, more than the sequence\'s 37.');
    bad({ seqLenQ: 1 }, 'a 2-D neighbourhood needs as many queries as keys (the same tokens), got 1 and 37.');
  });
});

describe('kernels that do not read a layout or mask yet', () => {
  test('every forward kernel reads both; one that does not is skipped with one sentence', () => {
    const bshd = problem({ layout: 'bshd' });
    const grid = problem({ seqLenQ: 16, seqLenK: 16, neighborhood: { radius: 2, rows: 4, cols: 4 } });
    for (const k of KERNELS) {
      assert.equal(problemGap(k, bshd), undefined, k.name);
      assert.equal(problemGap(k, grid), undefined, k.name);
    }
    const plain = { name: 'plain' };
    assert.match(problemGap(plain, bshd) ?? '', /^plain reads only the bhsd layout so far \(the forward of naive, flash and flash-mma reads bshd\)\.$/);
    assert.match(problemGap(plain, grid) ?? '', /^plain has no 2-D neighbourhood mask yet \(naive, flash and flash-mma have it, forward and backward\)\.$/);
  });

  test('every training kernel reads the neighbourhood; none reads bshd yet, so a bshd training run skips them', () => {
    const bshd = problem({ layout: 'bshd' });
    const grid = problem({ seqLenQ: 16, seqLenK: 16, neighborhood: { radius: 2, rows: 4, cols: 4 } });
    assert.ok(TRAIN_KERNELS.length >= 4);
    for (const k of TRAIN_KERNELS) {
      assert.equal(problemGap(k, grid), undefined, k.name);
      assert.match(problemGap(k, bshd) ?? '', /^\S+ reads only the bhsd layout so far/, k.name);
    }
  });
});
