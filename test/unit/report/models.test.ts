import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildFlameModel } from '../../../extension/report/flame-model';
import { bootstrapRatio, compareReports, diffBucket, flameDiff, matchSummary, verdictOf, whyNotComparable } from '../../../extension/report/compare';
import { buildMemoryModel, liveBuffersAt, phaseAt } from '../../../extension/report/memory-model';
import { buildRooflineModel, readCeilings, roofAt } from '../../../extension/report/roofline-model';
import { summarize } from '../../../kernels/stats';
import { kernelResult, sampleReport, workload } from '../helpers';

const naive = () => kernelResult('naive', [['QKᵀ', 0.4], ['softmax', 0.2], ['PV', 0.4]]);
const flashK = () => kernelResult('flash', [['fused', 0.25]]);

describe('memory model', () => {
  test('steps stacked by role, phases with their analytic expectation, the peak', () => {
    const report = sampleReport([workload('shape', [kernelResult('naive', [['QKᵀ', 1]], { analyticPeakBytes: 6000 })])]);
    const m = buildMemoryModel(report);
    assert.deepEqual(
      m.steps.map((s) => `${s.timeMs} input=${s.byRole.input} scores=${s.byRole.scores} total=${s.totalBytes}`),
      ['0 input=1024 scores=0 total=1024', '1.5 input=1024 scores=4096 total=5120', '7.25 input=1024 scores=0 total=1024', '9 input=0 scores=0 total=0'],
    );
    assert.deepEqual(m.roles, ['input', 'scores']);
    assert.deepEqual(
      m.phases.map((p) => `${p.name} ${p.startMs}–${p.endMs} peak=${p.peakBytes} analytic=${p.analyticPeakBytes ?? '-'}`),
      ['setup 0–1.5 peak=1024 analytic=-', 'naive 1.5–9 peak=5120 analytic=6000', 'teardown 9–9 peak=0 analytic=-'],
    );
    assert.deepEqual(m.peak, { timeMs: 1.5, bytes: 5120, workload: 'shape' });
    assert.equal(m.maxBytes, 6000, 'the y-domain holds the analytic line too');
    assert.deepEqual(m.warnings, []);
  });

  test('live buffers at a time; workloads laid end to end', () => {
    const report = sampleReport([workload('a', [kernelResult('naive', [['QKᵀ', 1]])]), workload('b', [kernelResult('naive', [['QKᵀ', 1]])])]);
    const m = buildMemoryModel(report);
    assert.deepEqual(liveBuffersAt(m, 2).map((b) => `${b.label} ${b.role} ${b.bytes}`), ['S scores 4096', 'Q input 1024']);
    assert.deepEqual(liveBuffersAt(m, 8).map((b) => b.label), ['Q']);
    assert.equal(m.endMs, 9 + 1 + 9, 'b starts 1 ms after a ends');
    assert.equal(phaseAt(m, 12)?.workload, 'b');
    assert.equal(phaseAt(m, 12)?.name, 'naive');
  });

  test('an inconsistent trace is reported, not hidden', () => {
    const w = workload('w', []);
    w.memory[1] = { ...w.memory[1], liveBytes: 999 };
    assert.match(buildMemoryModel(sampleReport([w])).warnings.join('\n'), /live bytes 999 ≠ sum of roles 5120/);
  });
});

describe('roofline model', () => {
  test('points at FLOP/byte and TFLOP/s; no ceilings → none drawn', () => {
    const m = buildRooflineModel(sampleReport());
    assert.equal(m.points.length, 2);
    const flash = m.points.find((p) => p.kernel === 'flash');
    assert.ok(flash);
    assert.equal(flash.intensity, (4 * 2 * 8 * 256 * 256 * 64) / 1_048_576);
    assert.equal(m.ceilings, undefined);
    assert.ok(m.xDomain[0] < flash.intensity && flash.intensity < m.xDomain[1]);
  });

  test('ceilings give the ridge and each point its fraction of the roof; bad ceilings are ignored', () => {
    const report = { ...sampleReport(), ceilings: { computeTflops: 50, bandwidthGBps: 2000, measuredAt: 'x', method: 'fma + copy' } };
    const m = buildRooflineModel(report);
    assert.equal(m.ridge, 25);
    assert.equal(roofAt(m.ceilings!, 10), 20);
    assert.equal(roofAt(m.ceilings!, 100), 50);
    const p = m.points[0];
    assert.equal(p.ofRoof, p.tflops / roofAt(m.ceilings!, p.intensity));
    assert.equal(readCeilings({ ...sampleReport(), ceilings: { computeTflops: -1, bandwidthGBps: 1 } } as never), undefined);
  });

  test('an attained matmul line is kept when valid, dropped when not, and widens the y domain', () => {
    const withMatmul = { ...sampleReport(), ceilings: { computeTflops: 60, matmulTflops: 0.0004, bandwidthGBps: 3000, measuredAt: 'x', method: 'fma + matmul + copy' } };
    const m = buildRooflineModel(withMatmul);
    assert.equal(m.ceilings?.matmulTflops, 0.0004);
    assert.ok(m.yDomain[0] <= 0.0004, `y domain ${m.yDomain} must reach the matmul line`);
    const bad = readCeilings({ ...sampleReport(), ceilings: { computeTflops: 60, matmulTflops: Number.NaN, bandwidthGBps: 3000 } } as never);
    assert.ok(bad && !('matmulTflops' in bad));
  });
});

describe('compare', () => {
  const a = sampleReport();
  const b = sampleReport([
    workload('shape', [kernelResult('naive', [['QKᵀ', 0.4], ['softmax', 0.1], ['PV', 0.4]]), kernelResult('flash', [['fused', 0.5]]), kernelResult('new', [['fused', 1]])]),
  ]);

  test('per-kernel ratios B/A with verdicts; kernels on one side only are kept', () => {
    assert.deepEqual(
      compareReports(a, b).map((r) => `${r.kernel} ${Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : '-'} ${r.verdict}`),
      ['naive 0.90 faster', 'flash 2.00 slower', 'new - only-b'],
    );
    assert.equal(verdictOf(1.01), 'same');
    assert.equal(verdictOf(Number.NaN), 'failed');
  });

  test('a kernel skipped in both runs (flash-mma without tensor cores) is left out; skipped in one is "failed on one side"', () => {
    const skipped = { ...kernelResult('flash-mma', [['fused', 1]]), status: 'skipped' as const, error: 'flash-mma is unavailable: …' };
    const ok = kernelResult('flash-mma', [['fused', 1]]);
    const both = compareReports(sampleReport([workload('shape', [kernelResult('flash', [['fused', 1]]), skipped])]), sampleReport([workload('shape', [kernelResult('flash', [['fused', 1]]), skipped])]));
    assert.deepEqual(both.map((r) => r.kernel), ['flash']);
    const one = compareReports(sampleReport([workload('shape', [skipped])]), sampleReport([workload('shape', [ok])]));
    assert.deepEqual(one.map((r) => r.verdict), ['failed']);
  });

  test('two runs whose iterations overlap are "within noise", however far apart their medians; a clear change is not', () => {
    const noisy = (seed: number, scale: number) => Array.from({ length: 20 }, (_, i) => scale * (1 + 0.3 * Math.sin(i * 12.9898 + seed)));
    const withSamples = (samples: number[]) => kernelResult('flash', [['fused', 1]], { timings: { ...summarize(samples), source: 'gpu-timestamps' } });
    const ra = sampleReport([workload('shape', [withSamples(noisy(1, 1))])]);
    const rb = sampleReport([workload('shape', [withSamples(noisy(2, 1.15))])]);
    const [row] = compareReports(ra, rb);
    assert.ok(row.ratio > 1.03, `medians differ by ${row.ratio}`);
    assert.equal(row.verdict, 'noise');
    assert.ok(row.interval && row.interval[0] < 1 && row.interval[1] > 1, `interval ${row.interval}`);
    const rc = sampleReport([workload('shape', [withSamples(noisy(2, 3))])]);
    assert.equal(compareReports(ra, rc)[0].verdict, 'slower');
    assert.deepEqual(bootstrapRatio([1, 2], [1, 2, 3]), undefined, 'fewer than 3 samples: no interval');
    assert.deepEqual(bootstrapRatio(noisy(1, 1), noisy(2, 1.15)), bootstrapRatio(noisy(1, 1), noisy(2, 1.15)), 'seeded: the same interval every time');
    assert.equal(verdictOf(1.2, [0.9, 1.4]), 'noise');
  });

  test('two models: workloads paired by layer kind and kernel, and the note says so', () => {
    const ra = sampleReport([workload('Qwen2ForCausalLM', [naive(), flashK()])]);
    const rb = sampleReport([workload('LlamaForCausalLM', [naive(), flashK()])]);
    const rows = compareReports(ra, rb);
    assert.deepEqual(rows.map((r) => `${r.kernel} ${r.matchedBy} ${r.workloadA} → ${r.workload} ${r.verdict}`), [
      'naive kind Qwen2ForCausalLM → LlamaForCausalLM noise',
      'flash kind Qwen2ForCausalLM → LlamaForCausalLM noise',
    ]);
    assert.match(matchSummary(rows), /Matched by kernel and layer kind .*A "Qwen2ForCausalLM" ↔ B "LlamaForCausalLM"/);
  });

  test('a profile against a padding analysis is refused with a sentence', () => {
    const padding = { ...sampleReport(), workloads: [], title: 'Padding: lengths.txt' };
    const why = whyNotComparable(sampleReport(), padding);
    assert.match(why ?? '', /"Padding: lengths.txt" is a padding analysis with no kernel timings.*compare two profiles/);
    assert.equal(whyNotComparable(sampleReport(), sampleReport()), undefined);
  });

  test('differential flame: each box of B against the same key in A', () => {
    const fa = buildFlameModel(a);
    const fb = buildFlameModel(b);
    const change = flameDiff(fa, fb);
    const byLabel = (label: string) => fb.boxes.find((x) => x.label === label)!;
    assert.ok(Math.abs(change[byLabel('softmax').id] - -0.5) < 1e-9);
    assert.ok(Math.abs(change[byLabel('fused').id] - 1) < 1e-9);
    assert.ok(Number.isNaN(change[byLabel('new').id]));
    assert.equal(diffBucket(-0.6), 0);
    assert.equal(diffBucket(0), 3);
    assert.equal(diffBucket(1), 6);
    assert.equal(diffBucket(Number.NaN), -1);
  });
});
