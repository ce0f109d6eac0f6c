/**
 * Kernel tier: the packed (varlen) path — rows holding several documents end to end, each query seeing only
 * its own document — on the real adapter against the float64 reference. Every flash variant runs (tiled as
 * planned, tiled with the keys split 3 ways, one row per thread), as in attention.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuContext, openGpu } from '../../kernels/device';
import { AttentionProblem, ProblemError, docBoundsFor } from '../../kernels/problem';
import { referenceRows, visibleKeyRange } from '../../kernels/reference';
import { runProblem } from '../../kernels/runner';
import { buildPaddingAnalysis, planPadding } from '../../extension/padding/analysis';
import { batchProblem, measureStrategies } from '../../extension/padding/measure';
import type { PaddingAttention } from '../../extension/padding/types';
import { main } from '../../extension/cli/main';
import { readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../unit/helpers';

let ctx: GpuContext;
const seed = Date.now() & 0xffffff;

before(async () => {
  ctx = await openGpu();
});
after(() => ctx?.destroy());

function packed(rows: number[][], seqLen: number, over: Partial<AttentionProblem> = {}): AttentionProblem {
  return {
    batch: rows.length, heads: 2, kvHeads: 1, seqLenQ: seqLen, seqLenK: seqLen, headDim: 64, dtype: 'f32',
    causal: false, window: 0, softcap: 0, docBounds: docBoundsFor(rows, seqLen), ...over,
  };
}

const VARIANTS: { kernel: string; variant?: string; splits?: string }[] = [
  { kernel: 'naive' },
  { kernel: 'flash', variant: 'tiled' },
  { kernel: 'flash', variant: 'tiled', splits: '3' },
  { kernel: 'flash', variant: 'rows' },
];

async function expectCorrect(p: AttentionProblem): Promise<void> {
  for (const { kernel, variant, splits } of VARIANTS) {
    if (variant) process.env.ATTNPROF_FLASH_VARIANT = variant;
    if (splits) process.env.ATTNPROF_FLASH_SPLITS = splits;
    try {
      const run = await runProblem(ctx, p, { kernels: [kernel], iterations: 1, warmup: 0, warmupMs: 0, seed, checkBudget: 100000 });
      const r = run.results[0];
      const what = `${kernel}${variant ? ` ${variant}` : ''}${splits ? ` splits=${splits}` : ''} (${r.notes.join('; ')})`;
      assert.equal(r.status, 'ok', `${what}: ${r.error}`);
      assert.equal(r.checkedRows, p.batch * p.heads * p.seqLenQ, `${what}: every row is checked`);
      assert.ok(r.correct, `${what}: max relative error ${r.maxRelError} > ${r.tolerance} (seed ${seed})`);
    } finally {
      delete process.env.ATTNPROF_FLASH_VARIANT;
      delete process.env.ATTNPROF_FLASH_SPLITS;
    }
  }
}

// Rows of 80 tokens: tiles are 16–64 rows × 8–32 keys, so 37 + 30 crosses tile boundaries inside documents.
const ROWS = [
  [1, 1, 37, 30, 1, 10],
  [80],
  [5, 64],
  [1],
];

describe('packed rows with document masking match the float64 reference', () => {
  test('several documents per row, 1-token documents, a document across tile boundaries, padded tails', async () => {
    await expectCorrect(packed(ROWS, 80));
  });
  test('causal within each document', async () => {
    await expectCorrect(packed(ROWS, 80, { causal: true }));
  });
  test('GQA 4:2, head dim 128, causal', async () => {
    await expectCorrect(packed([[33, 2, 60, 1], [96]], 96, { heads: 4, kvHeads: 2, headDim: 128, causal: true }));
  });
  test('documents with key lengths and a sliding window compose', async () => {
    await expectCorrect(packed([[20, 30, 14], [40, 24]], 64, { causal: true, window: 9, kvLens: Int32Array.from([50, 64]) }));
  });
});

describe('the document mask is what the reference means', () => {
  test('a query sees exactly its own document (causal: its own prefix)', () => {
    const p = packed([[3, 2]], 6, { causal: true });
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => visibleKeyRange(p, 0, i)), [[0, 1], [0, 2], [0, 3], [3, 4], [3, 5], [5, 5]]);
    const full = packed([[3, 2]], 6);
    assert.deepEqual([0, 2, 3, 4, 5].map((i) => visibleKeyRange(full, 0, i)), [[0, 3], [0, 3], [3, 5], [3, 5], [5, 5]]);
  });

  test('a packed row equals its documents run separately', () => {
    // One row [3, 2] vs two problems of length 3 and 2: same outputs row by row.
    const d = 64;
    const rnd = (n: number, s: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.7);
    const q = rnd(5 * d, 1);
    const k = rnd(5 * d, 2);
    const v = rnd(5 * d, 3);
    const p = { ...packed([[3, 2]], 5, { causal: true }), heads: 1 };
    const all = referenceRows(p, q, k, v, [0, 1, 2, 3, 4]);
    const single = (from: number, len: number) =>
      referenceRows({ ...p, seqLenQ: len, seqLenK: len, docBounds: undefined }, q.subarray(from * d, (from + len) * d), k.subarray(from * d, (from + len) * d), v.subarray(from * d, (from + len) * d), Array.from({ length: len }, (_, i) => i));
    assert.deepEqual([...all], [...single(0, 3), ...single(3, 2)]);
  });

  test('malformed bounds are refused before anything runs', async () => {
    const p = packed([[3, 2]], 5);
    const bad = p.docBounds!.slice();
    bad[2 * 4] = 0; // query 4 jumps back to document 0
    await assert.rejects(runProblem(ctx, { ...p, docBounds: bad }, { kernels: ['flash'] }), (e: Error) => e instanceof ProblemError && /go backwards at query 4/.test(e.message));
    await assert.rejects(runProblem(ctx, { ...p, docBounds: new Int32Array(4) }, { kernels: ['flash'] }), /document bounds have 4 entries; B·Nq·2 = 10 expected/);
    assert.throws(() => docBoundsFor([[4, 3]], 6), /packed row 0 holds 7 tokens, more than its 6/);
  });
});

describe('measured padding strategies', () => {
  const attention: PaddingAttention = { name: 'shape', heads: 2, kvHeads: 1, headDim: 32, dtype: 'f32', dtypeBytes: 4, causal: true };
  const lengths = Int32Array.from([5, 17, 3, 40, 1, 22, 9, 30, 2, 11]);
  const source = { file: 'l.txt', format: 'text' as const, estimated: false, estimatedCount: 0, order: 'file' as const, badLines: { count: 0, first: [] } };

  test('batch problems: padded batches mask keys per row, packed rows per document', () => {
    const plan = planPadding({ lengths, source }, { batchSize: 3, maxLength: 32, causal: true });
    const dyn = batchProblem(attention, plan.strategies[1].batch(1));
    assert.deepEqual([dyn.batch, dyn.seqLenQ, [...(dyn.kvLens ?? [])]], [3, 32, [32, 1, 22]]); // 40 truncated to L = 32
    const packedLayout = plan.strategies[3].batch(0);
    const masked = batchProblem(attention, packedLayout);
    const unmasked = batchProblem(attention, packedLayout, false);
    assert.ok(masked.docBounds && !unmasked.docBounds && !masked.kvLens);
    assert.equal(masked.seqLenK, 32);
  });

  test('each strategy times the same number of sampled batches, correct against the reference, extrapolated', async () => {
    const plan = planPadding({ lengths, source }, { batchSize: 3, maxLength: 32, causal: true });
    const m = await measureStrategies(ctx, plan, attention, { samples: 2, iterations: 1, warmup: 0, seed });
    const a = buildPaddingAnalysis(plan, attention, m);
    for (const s of a.strategies) {
      const x = s.measurement;
      assert.ok(x, s.name);
      assert.equal(x.sampledBatches.length, Math.min(2, s.batches), s.name);
      assert.equal(x.sampledBatches[0], 0);
      assert.equal(x.batchMs.length, x.sampledBatches.length);
      assert.ok(x.batchMs.every((ms) => ms > 0));
      assert.ok(x.correct, `${s.name}: max relative error ${x.maxRelError}`);
      assert.equal(s.measuredMs, x.meanBatchMs * s.batches);
      assert.equal(x.nsPerUsefulToken, (x.totalMs * 1e6) / s.usefulTokens);
      assert.equal(x.unmaskedBatchMs?.length, s.name === 'packed' ? x.batchMs.length : undefined);
    }
    assert.equal(a.measurement?.samplesPerStrategy, 2);
    assert.match(a.measurement?.description ?? '', /timed fixed 2 of 4, dynamic 2 of 4, bucketed 2 of 4, packed 2 of \d+ batches/);
    assert.match(a.recommendation.text, /% faster measured|no strategy does less/);
  });

  test('attnprof padding --measure prints measured times and writes them to the JSON', async () => {
    const tmp = tempDir();
    try {
      writeFileSync(tmp.path('l.txt'), [...lengths].join('\n'));
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['padding', '--lengths', tmp.path('l.txt'), '--shape', '3,2,1,32,32', '--causal', '--measure', '--samples', '1', '--iters', '1', '--warmup', '0', '--json', tmp.path('o.json')], { out: (s) => out.push(s), err: (s) => err.push(s) });
      assert.equal(code, 0, err.join('\n'));
      assert.match(out.join('\n'), /measured ms/);
      const json = JSON.parse(readFileSync(tmp.path('o.json'), 'utf8')) as { strategies: { name: string; measuredMs?: number }[] };
      assert.ok(json.strategies.every((s) => typeof s.measuredMs === 'number' && s.measuredMs > 0));
    } finally {
      tmp.cleanup();
    }
  });
});
