/** The padding arithmetic on hand-computed cases (each number below is worked out in the comment beside it). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPaddingAnalysis, planPadding, recommend } from '../../../extension/padding/analysis';
import { lengthDistribution, niceStep } from '../../../extension/padding/distribution';
import { ExactSum, ratio } from '../../../extension/padding/exact';
import type { LengthsInput } from '../../../extension/padding/lengths';
import { batchMemory } from '../../../extension/padding/memory';
import { describeSampling, sampleBatchIndices } from '../../../extension/padding/sampling';
import { PaddingError, packRows, planStrategies } from '../../../extension/padding/strategies';
import type { StrategyAnalysis } from '../../../extension/padding/types';

function byName(lengths: number[], batchSize: number, maxLength: number, causal = false): Record<string, StrategyAnalysis> {
  const plans = planStrategies(Int32Array.from(lengths), { batchSize, maxLength, causal });
  return Object.fromEntries(plans.map((p) => [p.analysis.name, p.analysis]));
}

function input(lengths: number[]): LengthsInput {
  return {
    lengths: Int32Array.from(lengths),
    source: { file: 'x.txt', format: 'text', estimated: false, estimatedCount: 0, order: 'file', badLines: { count: 0, first: [] } },
  };
}

describe('padding arithmetic: hand-computed cases', () => {
  test('the last batch is short: lengths 4 2 6 1 3, B = 2, L = 6', () => {
    const s = byName([4, 2, 6, 1, 3], 2, 6);
    // fixed: 5 rows of 6 = 30 slots for 16 tokens; pairs 16+4+36+1+9 = 66 of 5·36 = 180.
    assert.equal(s.fixed.tokenEfficiency, 16 / 30);
    assert.equal(s.fixed.attentionEfficiency, 66 / 180);
    assert.deepEqual([s.fixed.batches, s.fixed.rows, s.fixed.paddedTokens, s.fixed.truncatedTokens], [3, 5, 14, 0]);
    // dynamic: [4,2]→4 (8 slots, 2·16 pairs), [6,1]→6 (12, 72), [3]→3 (3, 9): 23 slots, 113 pairs.
    assert.equal(s.dynamic.tokenEfficiency, 16 / 23);
    assert.equal(s.dynamic.attentionEfficiency, 66 / 113);
    assert.equal(s.dynamic.paddedTokens, 7);
    assert.deepEqual(s.dynamic.paddedLength, { min: 3, median: 4, max: 6 });
    // bucketed: [1,2]→2 (4, 8), [3,4]→4 (8, 32), [6]→6 (6, 36): 18 slots, 76 pairs.
    assert.equal(s.bucketed.tokenEfficiency, 16 / 18);
    assert.equal(s.bucketed.attentionEfficiency, 66 / 76);
    assert.equal(s.bucketed.batches, 3);
    // packed (FFD): [6] fills a row; 4→r1, 3→r2, 2→r1, 1→r2: rows [6] [4,2] [3,1] = 18 slots, 2 batches.
    assert.deepEqual([s.packed.rows, s.packed.batches, s.packed.paddedTokens, s.packed.splitSequences], [3, 2, 2, 0]);
    assert.equal(s.packed.tokenEfficiency, 16 / 18);
    assert.equal(s.packed.attentionEfficiency, 1);
    assert.equal(s.packed.unmaskedAttentionEfficiency, 66 / 108);
    assert.equal(s.packed.usefulAttentionPairs, 66);
    assert.equal(s.packed.unmaskedAttentionPairs, 108);
  });

  test('causal counts triangles: len·(len+1)/2', () => {
    const s = byName([4, 2, 6, 1, 3], 2, 6, true);
    // useful 10+3+21+1+6 = 41; fixed 5·21 = 105; bucketed 2·3 + 2·10 + 21 = 47.
    assert.equal(s.fixed.attentionEfficiency, 41 / 105);
    assert.equal(s.bucketed.attentionEfficiency, 41 / 47);
    assert.equal(s.packed.unmaskedAttentionPairs, 3 * 21);
  });

  test('L shorter than some sequences: fixed/dynamic/bucketed truncate, packed splits', () => {
    const s = byName([10, 3], 2, 4);
    // kept 4 and 3: 7 tokens in 8 slots, 6 truncated; pairs 16+9 of 2·16.
    assert.equal(s.fixed.tokenEfficiency, 7 / 8);
    assert.equal(s.fixed.truncatedTokens, 6);
    assert.equal(s.fixed.attentionEfficiency, 25 / 32);
    assert.equal(s.dynamic.paddedTokens, 1);
    assert.equal(s.bucketed.usefulTokens, 7);
    // 10 → two full rows of 4 and a piece of 2; 3 opens a row, 2 does not fit its 1 free slot: rows 4,4,3,2.
    assert.deepEqual([s.packed.rows, s.packed.usefulTokens, s.packed.paddedTokens, s.packed.truncatedTokens, s.packed.splitSequences], [4, 13, 3, 0, 1]);
    assert.equal(s.packed.tokenEfficiency, 13 / 16);
    assert.equal(s.packed.usefulAttentionPairs, 16 + 16 + 9 + 4);
    assert.equal(s.packed.unmaskedAttentionEfficiency, 45 / 64);
  });

  test('a single sequence wastes nothing with L = its length (B larger than n)', () => {
    for (const a of Object.values(byName([7], 8, 7))) {
      assert.deepEqual([a.tokenEfficiency, a.attentionEfficiency, a.unmaskedAttentionEfficiency, a.batches, a.rows, a.paddedTokens], [1, 1, 1, 1, 1, 0], a.name);
    }
  });

  test('all lengths equal: every strategy is perfect, and the recommendation keeps fixed', () => {
    const s = byName([5, 5, 5, 5, 5], 2, 5);
    for (const a of Object.values(s)) assert.deepEqual([a.tokenEfficiency, a.attentionEfficiency, a.paddedTokens, a.batches], [1, 1, 0, 3], a.name);
    const r = recommend(Object.values(s));
    assert.equal(r.strategy, 'fixed');
    assert.equal(r.attentionWorkRatioVsFixed, 1);
  });

  test('bad options and empty input are refused', () => {
    assert.throws(() => planStrategies(Int32Array.from([1]), { batchSize: 0, maxLength: 4, causal: false }), PaddingError);
    assert.throws(() => planStrategies(Int32Array.from([1]), { batchSize: 2, maxLength: 1.5, causal: false }), /max length must be a positive integer/);
    assert.throws(() => planStrategies(new Int32Array(0), { batchSize: 2, maxLength: 4, causal: false }), /no sequence lengths/);
  });
});

describe('packing policy: first-fit decreasing', () => {
  test('pieces go longest first into the first row with room', () => {
    // 5→r0 (1 free), 3→r1, 3→r1 (full), 2→r2, 2→r2. Greedy in dataset order would open 4 rows.
    const p = packRows([2, 3, 5, 2, 3], 6);
    assert.equal(p.rows, 3);
    assert.deepEqual([...p.rowFill], [5, 6, 4]);
    assert.deepEqual([...p.pieces], [5, 3, 3, 2, 2]);
    assert.deepEqual([...p.rowOfPiece], [0, 1, 1, 2, 2]);
  });

  test('a long sequence fills whole rows first; its remainder packs like any piece', () => {
    const p = packRows([9, 1], 4);
    // 9 = 4 + 4 + 1: rows 0 and 1 are full; pieces 1 and 1 share row 2.
    assert.equal(p.rows, 3);
    assert.deepEqual([...p.rowFill], [4, 4, 2]);
    assert.equal(p.splitSequences, 1);
  });

  test('batch layouts are what the kernels run', () => {
    const [fixed, dynamic, bucketed, packed] = planStrategies(Int32Array.from([4, 2, 6, 1, 3]), { batchSize: 2, maxLength: 6, causal: false });
    assert.deepEqual(fixed.batch(2), { kind: 'padded', seqLen: 6, rowLengths: [3] });
    assert.deepEqual(dynamic.batch(0), { kind: 'padded', seqLen: 4, rowLengths: [4, 2] });
    assert.deepEqual(bucketed.batch(1), { kind: 'padded', seqLen: 4, rowLengths: [3, 4] });
    assert.deepEqual(packed.batch(0), { kind: 'packed', seqLen: 6, rowDocs: [[6], [4, 2]] });
    assert.deepEqual(packed.batch(1), { kind: 'packed', seqLen: 6, rowDocs: [[3, 1]] });
    assert.throws(() => packed.batch(2), RangeError);
  });

  test('a million sequences pack (segment tree, not a scan per piece)', () => {
    const lengths = Int32Array.from({ length: 1_000_000 }, (_, i) => 1 + ((i * 7919) % 2000));
    const p = packRows(lengths, 2048);
    let tokens = 0;
    for (const f of p.rowFill) {
      assert.ok(f <= 2048);
      tokens += f;
    }
    assert.equal(tokens, lengths.reduce((a, b) => a + b, 0));
  });
});

describe('exact sums', () => {
  test('past 2^53 the sums stay exact', () => {
    const s = new ExactSum();
    s.add(Number.MAX_SAFE_INTEGER);
    s.add(2);
    s.addProduct(2 ** 40, 2 ** 30);
    assert.equal(s.value(), 2n ** 53n - 1n + 2n + 2n ** 70n);
    assert.equal(ratio(2n ** 70n + 1n, 2n ** 71n + 2n), 0.5);
    assert.equal(ratio(1n, 0n), 0);
  });

  test('attention pairs of huge lengths are exact in the analysis', () => {
    const L = 2 ** 26;
    const s = byName([L, L, L], 4, L);
    assert.equal(s.fixed.unmaskedAttentionPairs, 3 * 2 ** 52); // 3·2^52 > 2^53, a power of two times 3: exact in a double
    assert.equal(s.fixed.attentionEfficiency, 1);
  });
});

describe('distribution, memory, sampling, recommendation', () => {
  test('histogram bins of a 1-2-5 width from 0 and nearest-rank percentiles', () => {
    assert.deepEqual([1, 3, 7, 11, 26, 140].map(niceStep), [1, 5, 10, 20, 50, 200]);
    const d = lengthDistribution(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 100]), 10);
    // max 100 → width niceStep(ceil(101/10) = 11) = 20: bins [0,20) … [100,120).
    assert.deepEqual(d.bins.map((b) => [b.lo, b.hi, b.count]), [[0, 20, 9], [20, 40, 0], [40, 60, 0], [60, 80, 0], [80, 100, 0], [100, 120, 1]]);
    assert.deepEqual([d.n, d.totalTokens, d.minLength, d.maxLength, d.meanLength, d.p50Length, d.p90Length, d.p99Length], [10, 145, 1, 100, 14.5, 5, 9, 100]);
  });

  test('largest-batch memory: S in f32 plus Q/K/V/O at the dtype', () => {
    const m = batchMemory({ name: 'm', heads: 4, kvHeads: 2, headDim: 64, dtype: 'f16', dtypeBytes: 2, causal: false }, 8, 100);
    assert.equal(m.scoreBytes, 8 * 4 * 100 * 100 * 4);
    assert.equal(m.qkvoBytes, 8 * 100 * (8 + 4) * 64 * 2);
    assert.equal(m.peakBytes, m.scoreBytes + m.qkvoBytes);
    const a = buildPaddingAnalysis(planPadding(input([4, 2, 6, 1, 3]), { batchSize: 2, maxLength: 6, causal: false }), { name: 'm', heads: 1, kvHeads: 1, headDim: 32, dtype: 'f32', dtypeBytes: 4, causal: false });
    const mem = Object.fromEntries(a.strategies.map((s) => [s.name, s.memory && [s.memory.rows, s.memory.seqLen]]));
    // dynamic's largest batch is [6,1] (2 × 6). bucketed: [3,4] (2 × 4: S 128 + QKVO 4096 bytes) beats [6]
    // (1 × 6: S 144 + QKVO 3072) — at D = 32 and these lengths Q/K/V/O outweigh S.
    assert.deepEqual(mem, { fixed: [2, 6], dynamic: [2, 6], bucketed: [2, 4], packed: [2, 6] });
    const bucketed = a.strategies[2].memory;
    assert.deepEqual([bucketed?.scoreBytes, bucketed?.qkvoBytes], [128, 4096]);
  });

  test('samples: all batches when few, else first, last and an even spread', () => {
    assert.deepEqual(sampleBatchIndices(3, 5), [0, 1, 2]);
    assert.deepEqual(sampleBatchIndices(250, 4), [0, 83, 166, 249]);
    assert.deepEqual(sampleBatchIndices(10, 1), [0]);
    assert.deepEqual(sampleBatchIndices(0, 4), []);
    assert.match(describeSampling(4, { fixed: 250, packed: 3 }), /^timed fixed 4 of 250, packed 3 of 3 batches/);
  });

  test('the recommendation names the winner with its numbers; measured times decide when present', () => {
    const a = buildPaddingAnalysis(planPadding(input([4, 2, 6, 1, 3]), { batchSize: 2, maxLength: 6, causal: false }));
    // packed does 66 pairs, bucketed 76, fixed 180: packed wins, 180/66 = 2.7×.
    assert.equal(a.recommendation.strategy, 'packed');
    assert.match(a.recommendation.text, /^packed: 2\.7× less attention work than fixed; 89 % of token slots useful \(fixed 53 %\)$/);
    const timed = a.strategies.map((s) => ({ ...s, measuredMs: { fixed: 10, dynamic: 8, bucketed: 6.9, packed: 7.5 }[s.name] }));
    const r = recommend(timed);
    assert.equal(r.strategy, 'bucketed');
    assert.equal(r.measuredSavingVsFixed, 1 - 6.9 / 10);
    assert.match(r.text, /^bucketed: 2\.4× less attention work than fixed; .*; 31 % faster measured; shuffle the order of the batches/);
  });

  test('the analysis carries the contract fields', () => {
    const a = buildPaddingAnalysis(planPadding(input([4, 2, 6, 1, 3]), { batchSize: 2, maxLength: 6, causal: true }));
    assert.equal(a.version, 1);
    assert.equal(a.n, 5);
    assert.deepEqual(a.strategies.map((s) => s.name), ['fixed', 'dynamic', 'bucketed', 'packed']);
    assert.match(a.packingPolicy, /first-fit decreasing/);
    assert.equal(a.attention, undefined);
    assert.equal(a.measurement, undefined);
    assert.ok(a.strategies.every((s) => s.memory === undefined && s.measuredMs === undefined));
    assert.doesNotThrow(() => JSON.stringify(a)); // no BigInt leaks into the JSON
  });
});
