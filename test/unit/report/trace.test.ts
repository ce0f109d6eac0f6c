import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChromeTrace, TraceEvent, toChromeTrace, validateChromeTrace } from '../../../extension/report/trace';
import { kernelResult, problem, sampleReport, workload } from '../helpers';

const near = (a: number | undefined, b: number, what: string) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-6, `${what}: got ${a}, want ${b}`);

const byPhase = (t: ChromeTrace, ph: TraceEvent['ph']) => t.traceEvents.filter((e) => e.ph === ph);

describe('toChromeTrace', () => {
  test('object form that Perfetto opens: traceEvents, displayTimeUnit, otherData', () => {
    const report = sampleReport();
    const trace = toChromeTrace(report);
    assert.ok(Array.isArray(trace.traceEvents));
    assert.equal(trace.displayTimeUnit, 'ms');
    assert.deepEqual(trace.otherData, {
      exporter: report.exporter,
      reportVersion: '1',
      adapter: 'NVIDIA H100 80GB HBM3',
      softwareAdapter: 'false',
      timestampsQuantized: 'false',
      createdAt: '2026-11-22T10:00:00.000Z',
    });
    assert.deepEqual(validateChromeTrace(trace), []);
    // survives a JSON round trip unchanged and still valid
    const back = JSON.parse(JSON.stringify(trace)) as ChromeTrace;
    assert.deepEqual(back, trace);
    assert.deepEqual(validateChromeTrace(back), []);
  });

  test('one X event per iteration and per pass, ts/dur in µs, kernels laid out one after another', () => {
    const trace = toChromeTrace(sampleReport());
    const xs = byPhase(trace, 'X');
    const kernels = xs.filter((e) => e.cat === 'kernel');
    const passes = xs.filter((e) => e.cat === 'pass');
    assert.equal(kernels.length, 3 + 3, '3 iterations of naive + 3 of flash');
    assert.equal(passes.length, 3 * 3 + 3 * 1, 'naive: 3 passes per iteration; flash: 1');
    assert.equal(xs.length, kernels.length + passes.length);

    // naive iterations are 1 ms long and 1.5 ms apart, starting at 0
    const naive = kernels.filter((e) => e.name === 'naive');
    assert.deepEqual(naive.map((e) => e.args?.iteration), [0, 1, 2]);
    naive.forEach((e, i) => {
      near(e.ts, i * 1500, `naive iteration ${i} ts`);
      near(e.dur, 1000, `naive iteration ${i} dur`);
      assert.equal(e.pid, 1);
      assert.equal(e.tid, 1);
      assert.equal(e.args?.workload, 'shape');
    });
    const naivePasses = passes.filter((e) => e.args?.kernel === 'naive');
    assert.deepEqual(naivePasses.slice(0, 3).map((e) => e.name), ['QKᵀ', 'softmax', 'PV']);
    [0, 400, 600].forEach((ts, i) => near(naivePasses[i].ts, ts, `pass ${i} ts`));
    [400, 200, 400].forEach((dur, i) => near(naivePasses[i].dur, dur, `pass ${i} dur`));
    near(naivePasses[3].ts, 1500, 'second iteration QKᵀ ts');
    assert.equal(naivePasses[3].args?.iteration, 1);

    // flash starts after naive's last iteration ends (4000 µs) plus a 50 µs gap
    const flash = kernels.filter((e) => e.name === 'flash');
    [4050, 4800, 5550].forEach((ts, i) => near(flash[i].ts, ts, `flash iteration ${i} ts`));
    flash.forEach((e) => near(e.dur, 250, 'flash dur'));
    const fused = passes.filter((e) => e.name === 'fused');
    assert.equal(fused.length, 3);
    near(fused[0].ts, 4050, 'fused ts');

    // passes nest inside their iteration
    for (const p of passes) {
      const parent = kernels.find((k) => k.name === p.args?.kernel && k.args?.iteration === p.args?.iteration);
      assert.ok(parent, `no parent for ${p.name}`);
      assert.ok((p.ts ?? -1) >= (parent.ts ?? 0) - 1e-6 && (p.ts ?? 0) + (p.dur ?? 0) <= (parent.ts ?? 0) + (parent.dur ?? 0) + 1e-6);
    }
  });

  test('a training step adds a forward and a backward slice spanning their passes', () => {
    const r = kernelResult('flash', [['fused', 0.2], ['normalise', 0.05], ['dK dV', 0.4], ['dQ', 0.3]], { mode: 'train' }, 1);
    r.iterations[0].passes.forEach((x, i) => (x.step = i < 2 ? 'forward' : 'backward'));
    const trace = toChromeTrace(sampleReport([workload('shape', [r])]));
    const steps = byPhase(trace, 'X').filter((e) => e.cat === 'step');
    assert.deepEqual(steps.map((e) => e.name), ['forward', 'backward']);
    near(steps[0].dur, 250, 'forward µs');
    near(steps[1].dur, 700, 'backward µs');
    near(steps[1].ts, (steps[0].ts ?? 0) + 250, 'backward starts where the forward ends');
  });

  test('C counters carry live GPU bytes at µs timestamps', () => {
    const trace = toChromeTrace(sampleReport());
    const counters = byPhase(trace, 'C');
    assert.equal(counters.length, 4);
    assert.deepEqual(counters.map((e) => e.args?.live), [1024, 5120, 1024, 0]);
    [0, 1500, 7250, 9000].forEach((ts, i) => near(counters[i].ts, ts, `counter ${i}`));
    assert.ok(counters.every((e) => e.pid === 2 && e.name === 'GPU bytes'));
  });

  test('M metadata names the processes and one thread per workload', () => {
    const report = sampleReport([
      workload('Gemma-2 · local layers', [kernelResult('flash', [['fused', 0.1]])]),
      workload('Gemma-2 · global layers', [kernelResult('flash', [['fused', 0.2]])]),
    ]);
    const trace = toChromeTrace(report);
    const meta = byPhase(trace, 'M');
    assert.ok(meta.some((e) => e.name === 'process_name' && e.pid === 1 && e.args?.name === 'GPU: NVIDIA H100 80GB HBM3'));
    assert.ok(meta.some((e) => e.name === 'process_name' && e.pid === 2));
    const threads = meta.filter((e) => e.name === 'thread_name');
    assert.deepEqual(threads.map((e) => [e.tid, e.args?.name]), [[1, 'Gemma-2 · local layers'], [2, 'Gemma-2 · global layers']]);
    // second workload's events on its own track, after the first's
    const second = byPhase(trace, 'X').filter((e) => e.tid === 2);
    assert.equal(second.length, 6);
    const firstEnd = Math.max(...byPhase(trace, 'X').filter((e) => e.tid === 1).map((e) => (e.ts ?? 0) + (e.dur ?? 0)));
    assert.ok(Math.min(...second.map((e) => e.ts ?? 0)) > firstEnd);
    // memory of the second workload is offset after the first
    const counters = byPhase(trace, 'C');
    assert.equal(counters.length, 8);
    near(counters[4].ts, 9050, 'second workload memory start');
    assert.deepEqual(validateChromeTrace(trace), []);
  });

  test('failed kernels and kernels without GPU timestamps add no X events', () => {
    const p = problem({});
    const report = sampleReport([
      workload(
        'w',
        [
          kernelResult('naive', [['QKᵀ', 1]], { status: 'failed', error: 'out of memory' }),
          kernelResult('flash', [['fused', 1]], { iterations: [] }),
        ],
        p,
      ),
    ]);
    const trace = toChromeTrace(report);
    assert.equal(byPhase(trace, 'X').length, 0);
    assert.equal(byPhase(trace, 'C').length, 4);
    assert.deepEqual(validateChromeTrace(trace), []);
  });

  test('a software adapter and quantized timestamps are stated in otherData', () => {
    const report = sampleReport();
    report.adapter = { ...report.adapter, description: 'llvmpipe', isFallback: true };
    report.timestamps = { available: true, quantized: true };
    const t = toChromeTrace(report);
    assert.equal(t.otherData.softwareAdapter, 'true');
    assert.equal(t.otherData.timestampsQuantized, 'true');
    assert.equal(t.otherData.adapter, 'llvmpipe');
  });
});

describe('validateChromeTrace', () => {
  const ok: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid: 1, args: { name: 'GPU' } },
    { name: 'k', ph: 'X', ts: 0, dur: 5, pid: 1, tid: 1 },
    { name: 'GPU bytes', ph: 'C', ts: 3, pid: 2, args: { live: 1 } },
  ];
  const check = (events: unknown[]) => validateChromeTrace({ traceEvents: events, displayTimeUnit: 'ms', otherData: {} } as ChromeTrace);

  test('accepts well-formed events', () => {
    assert.deepEqual(check(ok), []);
  });

  test('flags each kind of bad event with its index', () => {
    assert.deepEqual(check([...ok, { name: 'b', ph: 'B', ts: 0, pid: 1 }]), ['event 3: unknown phase B']);
    assert.deepEqual(check([...ok, { name: 'x', ph: 'X', ts: 0, dur: 1 }]), ['event 3: no pid']);
    assert.deepEqual(check([{ name: 'x', ph: 'X', ts: -1, dur: 1, pid: 1 }]), ['event 0: bad ts']);
    assert.deepEqual(check([{ name: 'x', ph: 'X', ts: Number.NaN, dur: 1, pid: 1 }]), ['event 0: bad ts']);
    assert.deepEqual(check([{ name: 'x', ph: 'C', pid: 1 }]), ['event 0: bad ts']);
    assert.deepEqual(check([{ name: 'x', ph: 'X', ts: 1, pid: 1 }]), ['event 0: bad dur']);
    assert.deepEqual(check([{ name: 'x', ph: 'X', ts: 1, dur: -2, pid: 1 }]), ['event 0: bad dur']);
    assert.deepEqual(check([{ name: 'x', ph: 'X', ts: '1', dur: 2, pid: 1 }]), ['event 0: bad ts']);
  });

  test('no traceEvents array', () => {
    assert.deepEqual(validateChromeTrace({ displayTimeUnit: 'ms', otherData: {} } as unknown as ChromeTrace), ['traceEvents is not an array']);
  });
});
