/** The Padding tab's model and exports, on hand-computed cases (numbers checked against the arithmetic by hand). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPaddingAnalysis, planPadding, type PaddingMeasurementResult } from '../../../extension/padding/analysis';
import type { LengthsInput } from '../../../extension/padding/lengths';
import type { PaddingAnalysis } from '../../../extension/padding/types';
import { buildPaddingModel, paddingCsv, paddingMarkdown } from '../../../extension/report/padding-model';
import { formatCount } from '../../../kernels/units';

function input(lengths: number[], extra: Partial<LengthsInput['source']> = {}): LengthsInput {
  return {
    lengths: Int32Array.from(lengths),
    source: { file: 'lens.txt', format: 'text', estimated: false, estimatedCount: 0, order: 'file', badLines: { count: 0, first: [] }, ...extra },
  };
}

/** Lengths 1, 4, 1, 4 in batches of 2 with L = 4, non-causal. */
function small(maxLength = 4): PaddingAnalysis {
  return buildPaddingAnalysis(planPadding(input([1, 4, 1, 4]), { batchSize: 2, maxLength, causal: false }));
}

describe('padding model', () => {
  test('token bars: useful vs padded per strategy, in order', () => {
    const m = buildPaddingModel(small());
    // fixed: 16 slots, 10 useful; dynamic: both batches (1,4) pad to 4 → same; bucketed: (1,1) and (4,4) → 10 slots.
    assert.deepEqual(
      m.tokens.map((b) => `${b.strategy} ${b.useful}+${b.padded} ${b.efficiency}`),
      ['fixed 10+6 0.625', 'dynamic 10+6 0.625', 'bucketed 10+0 1', 'packed 10+2 0.8333333333333334'],
    );
  });

  test('work bars: padded strategies waste pairs; packed wastes none and shows the unmasked kernel apart', () => {
    const m = buildPaddingModel(small());
    // Useful pairs 1+16+1+16 = 34. fixed: 4 rows × 16 = 64. bucketed: 2·1 + 2·16 = 34.
    const byName = Object.fromEntries(m.work.map((b) => [b.strategy, b]));
    assert.deepEqual([byName.fixed.useful, byName.fixed.wasted, byName.fixed.unmaskedExtra], [34, 30, 0]);
    assert.deepEqual([byName.bucketed.useful, byName.bucketed.wasted], [34, 0]);
    // packed: rows of 4 tokens: [4], [4], [1,1] → 3 rows · 16 pairs unmasked = 48; masked does the 34 useful.
    assert.deepEqual([byName.packed.useful, byName.packed.wasted, byName.packed.unmaskedExtra, byName.packed.efficiency], [34, 0, 14, 1]);
  });

  test('histogram: L marked, sequences beyond L counted, x axis covers L', () => {
    const m = buildPaddingModel(small(2));
    assert.equal(m.histogram.maxLength, 2);
    assert.equal(m.histogram.overL, 2, 'the two 4-token sequences lie above L = 2');
    assert.ok(m.histogram.xMax >= 5);
    assert.match(m.warnings.join('\n'), /L = 2 is shorter than some sequences: fixed, dynamic and bucketed cut 4 tokens; packed splits them instead/);
  });

  test('headline carries the recommendation and its numbers; no time without a measurement', () => {
    const a = small();
    const m = buildPaddingModel(a);
    assert.equal(m.headline.strategy, a.recommendation.strategy);
    assert.equal(m.headline.text, a.recommendation.text);
    assert.equal(m.headline.workRatio, `${(64 / 34).toFixed(1)}×`);
    assert.equal(m.headline.fixedTokenEfficiency, '63 %');
    assert.equal(m.time, undefined);
    assert.ok(!m.table.head.some((c) => c.startsWith('Measured')));
  });

  test('measured: time bars with the sampled count, packed unmasked time, the sampling sentence; wrong results flagged', () => {
    const a = small();
    const plan = planPadding(input([1, 4, 1, 4]), { batchSize: 2, maxLength: 4, causal: false });
    const byStrategy = new Map(
      plan.strategies.map((s, i) => [
        s.analysis.name,
        {
          sampledBatches: [0],
          batchMs: [1 + i],
          meanBatchMs: 1 + i,
          totalMs: (1 + i) * s.analysis.batches,
          nsPerUsefulToken: 1,
          ...(s.analysis.name === 'packed' ? { unmaskedBatchMs: [9], unmaskedTotalMs: 9 * s.analysis.batches } : {}),
          maxRelError: 1e-6,
          correct: s.analysis.name !== 'dynamic',
        },
      ]),
    );
    const measured: PaddingMeasurementResult = { adapter: 'Test GPU', samplesPerStrategy: 1, iterations: 3, warmup: 1, description: 'timed fixed 1 of 2 batches', byStrategy };
    const m = buildPaddingModel(buildPaddingAnalysis(plan, { name: 'shape', heads: 2, kvHeads: 1, headDim: 32, dtype: 'f32', dtypeBytes: 4, causal: false }, measured));
    assert.ok(m.time);
    assert.deepEqual(m.time.map((b) => `${b.strategy} ${b.ms} ${b.sampled}/${b.batches}${b.unmaskedMs !== undefined ? ` u${b.unmaskedMs}` : ''}${b.correct ? '' : ' WRONG'}`), [
      'fixed 2 1/2',
      'dynamic 4 1/2 WRONG',
      'bucketed 6 1/2',
      'packed 8 1/2 u18',
    ]);
    assert.equal(m.timeNote, 'timed fixed 1 of 2 batches');
    assert.match(m.warnings.join('\n'), /disagreed with the float64 reference on sampled dynamic batches/);
    assert.ok(m.facts.some((f) => f.label === 'Measured on' && f.value.startsWith('Test GPU (flash, 3 timed + 1 warm-up')));
    assert.ok(m.table.head.includes('Batches timed'));
    assert.equal(m.table.rows[1][m.table.head.indexOf('Max rel. error')], '1.0e-6 WRONG');
    void a;
  });

  test('bad lines and estimated lengths become warnings', () => {
    const a = buildPaddingAnalysis(
      planPadding(input([3, 5], { estimated: true, estimatedCount: 2, badLines: { count: 7, first: [{ line: 2, reason: "'x' is not an integer" }] } }), { batchSize: 2, maxLength: 5, causal: true }),
    );
    const w = buildPaddingModel(a).warnings.join('\n');
    assert.match(w, /7 lines of the lengths file were skipped: line 2 \('x' is not an integer\), …/);
    assert.match(w, /2 lengths are estimates from text/);
  });

  test('CSV: raw numbers, one row per strategy; Markdown: facts, recommendation, table', () => {
    const a = small();
    const csv = paddingCsv(a).trim().split('\n');
    assert.equal(csv.length, 5);
    assert.ok(csv[0].startsWith('strategy,tokenEfficiency,attentionEfficiency,'));
    assert.ok(csv[1].startsWith('fixed,0.625,'));
    const md = paddingMarkdown(a, 'My | run');
    assert.match(md, /^### My \\\| run/);
    assert.match(md, /\*\*Recommendation — bucketed: /);
    assert.match(md, /\| fixed \| 62\.5 % \| 53\.1 % \|/);
  });

  test('compact counts', () => {
    assert.deepEqual([0, 999, 1234, 1_450_000, 5.6e9, 2e12].map(formatCount), ['0', '999', '1.23k', '1.45M', '5.6G', '2T']);
  });
});
