/**
 * The seed's 2-D neighbourhood mask (FlexAttention's mask_mod on a ViT patch grid) in our float64 reference and cost
 * model, checked against a brute-force dense computation and finite differences (our WGSL kernels run it too:
 * test/kernel/shapes.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { main } from '../../../extension/cli/main';
import { parseShapeInput } from '../../../extension/hints/shapeInput';
import { attentionFlops, validateProblem, visiblePairs, type AttentionProblem } from '../../../kernels/problem';
import { randomNormal } from '../../../kernels/random';
import { referenceRows } from '../../../kernels/reference';
import { referenceGradients } from '../../../kernels/reference-grad';
import { problem } from '../helpers';

/** Dense attention with an explicit visibility predicate over every (query, key) pair: no shared code with the reference. */
function dense(p: AttentionProblem, q: Float32Array, k: Float32Array, v: Float32Array, sees: (pos: number, j: number) => boolean): Float64Array {
  const { heads, kvHeads, seqLenQ: nq, seqLenK: nk, headDim: d } = p;
  const out = new Float64Array(p.batch * heads * nq * d);
  const scale = p.scale ?? 1 / Math.sqrt(d);
  for (let b = 0; b < p.batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvh = Math.floor(h / (heads / kvHeads));
      for (let i = 0; i < nq; i++) {
        const pos = i + nk - nq;
        const w: number[] = [];
        for (let j = 0; j < nk; j++) {
          if (!sees(pos, j)) {
            w.push(Number.NEGATIVE_INFINITY);
            continue;
          }
          let s = 0;
          for (let c = 0; c < d; c++) s += q[((b * heads + h) * nq + i) * d + c] * k[((b * kvHeads + kvh) * nk + j) * d + c];
          s *= scale;
          if (p.softcap > 0) s = p.softcap * Math.tanh(s / p.softcap);
          w.push(s);
        }
        const max = Math.max(...w);
        if (max === Number.NEGATIVE_INFINITY) continue;
        const e = w.map((x) => Math.exp(x - max));
        const sum = e.reduce((a, x) => a + x, 0);
        for (let j = 0; j < nk; j++) {
          for (let c = 0; c < d; c++) out[((b * heads + h) * nq + i) * d + c] += (e[j] / sum) * v[((b * kvHeads + kvh) * nk + j) * d + c];
        }
      }
    }
  }
  return out;
}

/** Grid 7 wide, radius 2, positions row by row from 0 (no class token), written out independently of kernels/mask.ts. */
function inNeighborhood(n: { gridWidth: number; radius: number }, pos: number, j: number): boolean {
  const dr = Math.floor(pos / n.gridWidth) - Math.floor(j / n.gridWidth);
  const dc = (pos % n.gridWidth) - (j % n.gridWidth);
  return Math.abs(dr) < n.radius && Math.abs(dc) < n.radius;
}
const grid = { gridWidth: 7, radius: 2 };
const mask = (tokens: number) => ({ radius: 2, rows: tokens / 7, cols: 7 });
const rowsOf = (p: AttentionProblem) => Uint32Array.from({ length: p.batch * p.heads * p.seqLenQ }, (_, r) => r);

describe('2-D neighbourhood mask', () => {
  test('membership: |Δrow| < R and |Δcol| < R on a grid laid out row by row', () => {
    assert.equal(inNeighborhood(grid, 8, 8), true);
    assert.equal(inNeighborhood(grid, 8, 0), true, '(1,1) sees (0,0)');
    assert.equal(inNeighborhood(grid, 8, 2 * 7 + 2), true, '(1,1) sees (2,2)');
    assert.equal(inNeighborhood(grid, 8, 3 * 7 + 1), false, '(1,1) does not see (3,1): Δrow 2');
    assert.equal(inNeighborhood(grid, 6, 7), false, '(0,6) does not see (1,0): Δcol 6, though the indices are adjacent');
  });

  for (const c of [
    { name: 'bidirectional, GQA', over: { heads: 4, kvHeads: 2 } },
    { name: 'causal + softcap', over: { causal: true, softcap: 3 } },
    { name: 'window 10', over: { window: 10 } },
  ]) {
    test(`the reference equals dense attention with the predicate: ${c.name}`, () => {
      const p = problem({ batch: 2, heads: 2, kvHeads: 1, seqLenQ: 49, seqLenK: 49, headDim: 32, neighborhood: mask(49), ...c.over });
      validateProblem(p);
      const q = randomNormal(p.batch * p.heads * p.seqLenQ * p.headDim, 1);
      const k = randomNormal(p.batch * p.kvHeads * p.seqLenK * p.headDim, 2);
      const v = randomNormal(p.batch * p.kvHeads * p.seqLenK * p.headDim, 3);
      const sees = (pos: number, j: number) =>
        inNeighborhood(grid, pos, j) && (!(p.causal || p.window > 0) || j <= pos) && (p.window === 0 || j > pos - p.window);
      const want = dense(p, q, k, v, sees);
      const got = referenceRows(p, q, k, v, rowsOf(p));
      let worst = 0;
      for (let x = 0; x < want.length; x++) worst = Math.max(worst, Math.abs(got[x] - want[x]));
      assert.ok(worst < 1e-12, `max difference ${worst}`);
      let pairs = 0;
      for (let i = 0; i < p.seqLenQ; i++) for (let j = 0; j < p.seqLenK; j++) if (sees(i + p.seqLenK - p.seqLenQ, j)) pairs++;
      assert.equal(visiblePairs(p), pairs, 'FLOPs count the visible pairs');
      assert.equal(attentionFlops(p), 4 * p.batch * p.heads * pairs * p.headDim);
    });
  }

  test('gradients: dQ and dV match finite differences of the reference (masked keys get none, even with a softcap)', () => {
    const p = problem({ batch: 1, heads: 1, kvHeads: 1, seqLenQ: 21, seqLenK: 21, headDim: 32, neighborhood: mask(21), softcap: 2, causal: true });
    const q = Float64Array.from(randomNormal(21 * 32, 4));
    const k = Float64Array.from(randomNormal(21 * 32, 5));
    const v = Float64Array.from(randomNormal(21 * 32, 6));
    const dO = Float64Array.from(randomNormal(21 * 32, 7));
    const rows = rowsOf(p);
    const keys = Uint32Array.from({ length: 21 }, (_, j) => j);
    const g = referenceGradients(p, q, k, v, dO, rows, keys);
    assert.ok([...g.dq, ...g.dk, ...g.dv].every(Number.isFinite), 'no NaN from the −∞ scores');
    const loss = (qq: Float64Array, vv: Float64Array) => referenceRows(p, qq, k, vv, rows).reduce((a, o, x) => a + o * dO[x], 0);
    const eps = 1e-6;
    for (const at of [0, 5 * 32 + 3, 20 * 32 + 31]) {
      const qp = Float64Array.from(q);
      const qm = Float64Array.from(q);
      qp[at] += eps;
      qm[at] -= eps;
      assert.ok(Math.abs((loss(qp, v) - loss(qm, v)) / (2 * eps) - g.dq[at]) < 1e-6, `dQ[${at}]`);
      const vp = Float64Array.from(v);
      const vm = Float64Array.from(v);
      vp[at] += eps;
      vm[at] -= eps;
      assert.ok(Math.abs((loss(q, vp) - loss(q, vm)) / (2 * eps) - g.dv[at]) < 1e-6, `dV[${at}]`);
    }
  });

  test('CLI: --neighborhood R or W:R; a bad value is exit 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
    assert.equal(await main(['profile', '--shape', '1,2,2,49,32', '--neighborhood', '7:x', '--kernels', 'flash'], io), 2);
    assert.match(err.join('\n'), /--neighborhood takes R or W:R \(radius, or grid width and radius, e\.g\. 5 or 56:5\), got '7:x'\./);
  });

});

test('"Profile Shape…" takes neighborhood=W:R', () => {
  const r = parseShapeInput('128,16,16,196,64 neighborhood=14:5', 'f32');
  assert.ok(r.ok);
  assert.deepEqual(r.ok && r.problem.neighborhood, { radius: 5, rows: 14, cols: 14 });
  const classToken = parseShapeInput('128,16,16,197,64 neighborhood=5', 'f32');
  assert.deepEqual(classToken.ok && classToken.problem.neighborhood, { radius: 5, rows: 14, cols: 14 });
  const bad = parseShapeInput('1,2,2,49,32 neighborhood=x', 'f32');
  assert.deepEqual(bad, { ok: false, message: "neighborhood takes R or W:R (radius, or grid width and radius, e.g. 5 or 14:5), got 'x'." });
});
