/** The report's optional padding section: carried as is, malformed ones refused by parseReport. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPaddingAnalysis, planPadding } from '../../../extension/padding/analysis';
import { ReportFormatError, parseReport } from '../../../extension/report/schema';
import { sampleReport } from '../helpers';

const padding = buildPaddingAnalysis(
  planPadding(
    { lengths: Int32Array.from([4, 2, 6]), source: { file: 'l.txt', format: 'text', estimated: false, estimatedCount: 0, order: 'file', badLines: { count: 0, first: [] } } },
    { batchSize: 2, maxLength: 6, causal: false },
  ),
);

describe('ProfileReport.padding', () => {
  test('a report with a padding section round-trips through JSON and parseReport; version stays 1', () => {
    const report = { ...sampleReport(), padding };
    const back = parseReport(JSON.parse(JSON.stringify(report)));
    assert.equal(back.version, 1);
    assert.deepEqual(back.padding, JSON.parse(JSON.stringify(padding)));
    assert.equal(parseReport(JSON.parse(JSON.stringify(sampleReport()))).padding, undefined);
  });

  test('a malformed padding section is refused', () => {
    const bad = (p: unknown) => () => parseReport(JSON.parse(JSON.stringify({ ...sampleReport(), padding: p })));
    assert.throws(bad({ strategies: 'x' }), ReportFormatError);
    assert.throws(bad(null), /a malformed padding section/);
    assert.throws(bad({ strategies: [{ name: 'fixed', tokenEfficiency: '1' }] }), /a malformed padding strategy/);
  });
});
