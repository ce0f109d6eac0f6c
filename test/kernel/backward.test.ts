/**
 * Kernel tier, training: every kernel's forward + backward on the real adapter (lavapipe on CI) against the
 * float64 reference gradients (dQ, dK, dV) and output, on fresh random inputs each run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuContext, openGpu } from '../../kernels/device';
import { AttentionProblem, ProblemError, docBoundsFor } from '../../kernels/problem';
import { TRAIN_KERNELS } from '../../kernels/backward';
import { runProblem } from '../../kernels/runner';

// flash-mma's training kernels have their own file (backward_mma.test.ts): its stand-in build is slow to compile
// on a software adapter, so it runs fewer, shared pipelines.
const TRAINED = TRAIN_KERNELS.filter((k) => !k.name.startsWith('flash-mma')).map((k) => k.name);

let ctx: GpuContext;
const seed = Date.now() & 0xffffff;

before(async () => {
  ctx = await openGpu();
});
after(() => ctx?.destroy());

function problem(over: Partial<AttentionProblem>): AttentionProblem {
  return {
    batch: 1, heads: 2, kvHeads: 2, seqLenQ: 37, seqLenK: 37, headDim: 64, dtype: 'f32',
    causal: false, window: 0, softcap: 0, ...over,
  };
}

async function expectGradients(p: AttentionProblem, kernels = [...TRAINED]): Promise<void> {
  const run = await runProblem(ctx, p, { kernels, mode: 'train', iterations: 1, warmup: 0, warmupMs: 0, seed, checkBudget: 100000 });
  assert.equal(run.results.length, kernels.length);
  for (const r of run.results) {
    assert.equal(r.status, 'ok', `${r.kernel}: ${r.error}`);
    assert.equal(r.mode, 'train');
    assert.ok(r.train, `${r.kernel} has no training stats`);
    const e = r.train.errors;
    assert.ok(r.checkedRows > 0 && r.train.checkedKeys > 0, `${r.kernel} checked nothing`);
    assert.ok(r.correct, `${r.kernel} (${r.notes.join('; ')}) errors O ${e.o} dQ ${e.dq} dK ${e.dk} dV ${e.dv} > ${r.tolerance} (seed ${seed})`);
  }
}

const cases: [string, Partial<AttentionProblem>][] = [
  ['odd N, not a multiple of any tile', { seqLenQ: 77, seqLenK: 77 }],
  ['N = 1', { seqLenQ: 1, seqLenK: 1 }],
  ['Nq < Nk, causal bottom-right', { seqLenQ: 19, seqLenK: 53, causal: true }],
  ['Nq > Nk, causal: leading rows see no key (zero gradient)', { seqLenQ: 45, seqLenK: 20, causal: true }],
  ['GQA 6:2, causal', { heads: 6, kvHeads: 2, seqLenQ: 41, seqLenK: 41, causal: true }],
  ['MQA 4:1', { heads: 4, kvHeads: 1, seqLenQ: 29, seqLenK: 29 }],
  ['window 1 (only itself)', { seqLenQ: 17, seqLenK: 17, window: 1 }],
  ['sliding window 8 + causal, Nq < Nk', { seqLenQ: 20, seqLenK: 50, window: 8, causal: true }],
  ['softcap 5 (Gemma-2 style)', { seqLenQ: 40, seqLenK: 40, softcap: 5 }],
  ['custom scale 0.3', { seqLenQ: 40, seqLenK: 40, scale: 0.3 }],
  ['kv lengths incl. an empty batch row', { batch: 3, seqLenQ: 30, seqLenK: 30, kvLens: Int32Array.from([30, 7, 0]) }],
  ['packed documents', { batch: 2, seqLenQ: 40, seqLenK: 40, causal: true, docBounds: docBoundsFor([[10, 25, 5], [33]], 40) }],
  ['2-D neighbourhood R = 2 on a 5×7 grid', { seqLenQ: 35, seqLenK: 35, neighborhood: { radius: 2, rows: 5, cols: 7 } }],
  // The class token sees every key while the last row of its query tile sees only the grid rows near it: the
  // backward's tile hulls must keep its keys; GQA sums over heads, softcap through the masked holes.
  ['2-D neighbourhood with a class token (1 + 10×10, R = 2), GQA 4:2, softcap', { heads: 4, kvHeads: 2, seqLenQ: 101, seqLenK: 101, softcap: 20, neighborhood: { radius: 2, rows: 10, cols: 10 } }],
  ['everything at once', { batch: 2, heads: 6, kvHeads: 2, seqLenQ: 23, seqLenK: 47, causal: true, window: 11, softcap: 20, scale: 0.2, kvLens: Int32Array.from([40, 47]) }],
];

describe('training kernels match the float64 reference gradients', () => {
  for (const d of [32, 40, 64, 72, 80, 96, 128, 160]) {
    test(`head dim ${d}`, async () => expectGradients(problem({ headDim: d, heads: 4, kvHeads: 2, seqLenQ: 45, seqLenK: 45 })));
  }
  test('head dim 256 (Gemma-2): where the tiled forward does not fit, flash saves its statistics from a pass of its own', async () => {
    await expectGradients(problem({ headDim: 256, seqLenQ: 45, seqLenK: 45, causal: true, softcap: 50 }));
    await expectGradients(problem({ headDim: 256, seqLenQ: 101, seqLenK: 101, neighborhood: { radius: 3, rows: 10, cols: 10 } }));
  });

  test('a row that sees no key gets exactly zero dQ, and its dO reaches no dK/dV', async () => {
    // causal with Nq > Nk: queries 0..24 sit before the first key
    const p = problem({ seqLenQ: 45, seqLenK: 20, causal: true, headDim: 32 });
    const n = 45 * 2 * 32;
    const dout = Float32Array.from({ length: n }, (_, x) => Math.sin(x));
    const q = Float32Array.from({ length: n }, (_, x) => Math.cos(x));
    const kv = Float32Array.from({ length: 20 * 2 * 32 }, (_, x) => Math.sin(0.3 * x));
    for (const kernel of TRAINED) {
      const run = await runProblem(ctx, p, { kernels: [kernel], mode: 'train', inputs: { q, k: kv, v: kv, dout }, keepOutput: true, iterations: 1, warmup: 0, warmupMs: 0 });
      assert.ok(run.results[0].correct, `${kernel}: ${JSON.stringify(run.results[0].train?.errors)}`);
      const g = run.gradients;
      assert.ok(g, 'no gradients kept');
      for (const h of [0, 1]) {
        const rows = g.dq.subarray(h * 45 * 32, (h * 45 + 25) * 32);
        assert.ok(rows.every((x) => x === 0), `${kernel}: dQ of an invisible row of head ${h} is not zero`);
      }
      // Different dO on the invisible rows changes nothing.
      const dout2 = Float32Array.from(dout);
      dout2.fill(50, 0, 25 * 32);
      const run2 = await runProblem(ctx, p, { kernels: [kernel], mode: 'train', inputs: { q, k: kv, v: kv, dout: dout2 }, keepOutput: true, iterations: 1, warmup: 0, warmupMs: 0 });
      assert.deepEqual(run2.gradients?.dk, g.dk);
      assert.deepEqual(run2.gradients?.dv, g.dv);
    }
  });

  test('f16 storage (f32 accumulation) when the adapter has shader-f16', async () => {
    const p = problem({ dtype: 'f16', heads: 6, kvHeads: 2, seqLenQ: 50, seqLenK: 50, causal: true, softcap: 30 });
    if (!ctx.hasF16) {
      await assert.rejects(runProblem(ctx, p, { kernels: ['flash'], mode: 'train' }), ProblemError);
      return;
    }
    await expectGradients(p);
    await expectGradients(problem({ dtype: 'f16', headDim: 128, seqLenQ: 33, seqLenK: 61, window: 9 }));
  });
  for (const [name, over] of cases) {
    test(name, async () => expectGradients(problem(over)));
  }

  test('naive in chunks: every chunk keeps its P, and a GQA group split across chunks sums its dK/dV', async () => {
    // 64 KiB binding: one 64×64 f32 P is 16 KiB, so 4 (batch, head) pairs per chunk; groups of 3 heads straddle chunks.
    const small = await openGpu({ maxStorageBufferBindingSize: 64 * 1024 });
    try {
      const p = problem({ batch: 1, heads: 6, kvHeads: 2, seqLenQ: 64, seqLenK: 64, headDim: 32, causal: true });
      const run = await runProblem(small, p, { kernels: ['naive'], mode: 'train', iterations: 1, warmup: 0, warmupMs: 0, seed });
      const r = run.results[0];
      assert.equal(r.status, 'ok', r.error);
      assert.ok(r.correct, JSON.stringify(r.train?.errors));
      assert.match(r.notes.join(' '), /2 chunks of 4/);
      const saved = run.memory.filter((m) => m.kind === 'alloc' && m.role === 'saved');
      assert.deepEqual(saved.map((m) => m.bytes), [4, 2].map((n) => n * 64 * 64 * 4));
    } finally {
      small.destroy();
    }
  });
});
