import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReportFormatError, parseReport } from '../../../extension/report/schema';
import { describeShape, rangeCell, summaryCsv, summaryMarkdown, summaryRows, summaryTable } from '../../../extension/report/summary';
import { kernelResult, sampleReport, workload } from '../helpers';
import { describeShaderChecks } from '../../../kernels/units';

const naive = () => kernelResult('naive', [['QKᵀ', 0.4], ['softmax', 0.2], ['PV', 0.4]]);
const flash = () => kernelResult('flash', [['fused', 0.25]]);

/** Parses a CSV with quoted cells (RFC 4180) so the tests read what a spreadsheet would. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  assert.equal(cell + row.join(''), '', 'CSV must end with a newline');
  return rows;
}

describe('summaryRows', () => {
  test('speed-up against naive from medians; naive itself is 1×', () => {
    const rows = summaryRows(sampleReport());
    assert.deepEqual(rows.map((r) => [r.kernel, r.status, r.medianMs, r.speedupVsNaive]), [
      ['naive', 'ok', 1, 1],
      ['flash', 'ok', 0.25, 4],
    ]);
    assert.equal(rows[0].workload, 'shape');
    assert.equal(rows[1].peakBytes, 3 * 1024 * 1024);
  });

  test('WRONG RESULT for an incorrect kernel, failed: … for a failed one, no speed-up without a naive time', () => {
    const report = sampleReport([
      workload('w', [
        kernelResult('naive', [['QKᵀ', 1]], { status: 'failed', error: 'GPU out of memory', timings: undefined, correct: false }),
        kernelResult('flash', [['fused', 0.25]], { correct: false, maxRelError: 0.5 }),
      ]),
    ]);
    const rows = summaryRows(report);
    assert.equal(rows[0].status, 'failed: GPU out of memory');
    assert.ok(Number.isNaN(rows[0].medianMs));
    assert.equal(rows[1].status, 'WRONG RESULT');
    assert.ok(Number.isNaN(rows[1].speedupVsNaive), 'naive failed: no baseline');
  });

  test('the naive baseline is per workload', () => {
    const report = sampleReport([
      workload('short', [kernelResult('naive', [['QKᵀ', 2]]), kernelResult('flash', [['fused', 1]])]),
      workload('long', [kernelResult('naive', [['QKᵀ', 30]]), kernelResult('flash', [['fused', 3]])]),
    ]);
    assert.deepEqual(summaryRows(report).map((r) => r.speedupVsNaive), [1, 2, 1, 10]);
  });
});

describe('rangeCell', () => {
  test('p10 – p90 of a row that ran; one dash for a row that did not (not "– – –")', () => {
    const report = sampleReport([
      workload('w', [
        kernelResult('flash', [['fused', 0.25]]),
        kernelResult('flash-mma', [], { status: 'skipped', error: 'this adapter offers no subgroup matrices', timings: undefined, correct: false }),
      ]),
    ]);
    const [ran, skipped] = summaryRows(report);
    assert.match(rangeCell(ran), /^\S.* – \S.*$/);
    assert.equal(rangeCell(skipped), '–');
    const md = summaryMarkdown(report).split('\n').find((l) => l.includes('flash-mma')) ?? '';
    assert.match(md, /\| flash-mma \| – \| – \|/, md);
  });
});

describe('summaryTable', () => {
  test('adapter header, aligned columns, times, speed-up and status', () => {
    const text = summaryTable(sampleReport());
    const lines = text.split('\n');
    assert.equal(lines[0], 'adapter: NVIDIA H100 80GB HBM3 (nvidia, vulkan)');
    assert.equal(lines[1], 'timestamps: GPU, not quantized · iterations: 3 (+1 warm-up)');
    const head = lines.findIndex((l) => l.startsWith('workload'));
    assert.ok(head > 0);
    for (const col of ['kernel', 'median', 'p10–p90', 'TFLOP/s', 'GB/s', 'peak mem', 'max rel err', 'vs naive', 'status']) {
      assert.ok(lines[head].includes(col), `column ${col}`);
    }
    const naiveLine = lines.find((l) => /^shape\s+naive\s/.test(l));
    const flashLine = lines.find((l) => /^shape\s+flash\s/.test(l));
    assert.ok(naiveLine && flashLine, text);
    assert.match(naiveLine, /1\.000 ms/);
    assert.match(naiveLine, /1\.0×/);
    assert.match(flashLine, /250\.0 µs/);
    assert.match(flashLine, /4\.0×/);
    assert.match(flashLine, / 3 MiB /);
    assert.match(flashLine, /3\.2e-7/);
    assert.match(flashLine, /ok$/);
    // columns line up: "kernel" starts at the same offset in every row
    const at = lines[head].indexOf('kernel');
    assert.equal(naiveLine.indexOf('naive'), at);
    assert.equal(flashLine.indexOf('flash'), at);
  });

  test('the shape line names every mask option that was run, per workload when they differ', () => {
    const report = sampleReport();
    report.workloads[0].spec = { ...report.workloads[0].spec, causal: true, softcap: 30 };
    assert.match(summaryTable(report).split('\n')[2], /^shape: B=2 Hq=8 Hkv=2 Nq=256 Nk=256 D=64 f32 causal, softcap=30$/);
    const local = { ...report.workloads[0], name: 'local layers', spec: { ...report.workloads[0].spec, window: 4096 } };
    report.workloads.push(local);
    assert.equal(describeShape(report), 'shape: B=2 Hq=8 Hkv=2 Nq=256 Nk=256 D=64 f32 causal, softcap=30 · local layers: B=2 Hq=8 Hkv=2 Nq=256 Nk=256 D=64 f32 causal, window=4096, softcap=30');
    report.workloads = [{ ...report.workloads[0], spec: { ...report.workloads[0].spec, causal: false, softcap: 0, scale: 0.5 } }];
    assert.equal(describeShape(report), 'B=2 Hq=8 Hkv=2 Nq=256 Nk=256 D=64 f32 bidirectional, scale=0.5');
  });

  test('says so when the adapter is a software fallback or timestamps are missing', () => {
    const report = sampleReport();
    report.adapter = { ...report.adapter, description: 'llvmpipe (LLVM 15)', vendor: 'mesa', backend: 'vulkan', isFallback: true };
    report.timestamps = { available: false, quantized: false };
    const text = summaryTable(report);
    assert.match(text, /SOFTWARE FALLBACK: timings are not representative of a GPU/);
    assert.match(text, /timestamps: unavailable \(wall clock\)/);
  });

  test('says whether Dawn\'s shader checks were compiled in, where the report knows', () => {
    const report = sampleReport();
    assert.doesNotMatch(summaryTable(report), /shader checks/, 'a report from before the setting says nothing');
    report.adapter = { ...report.adapter, shaderChecks: false };
    assert.equal(summaryTable(report).split('\n')[1], `shader checks: ${describeShaderChecks(false)}`);
    assert.match(describeShaderChecks(false), /^off, as native kernels run/);
    report.adapter = { ...report.adapter, shaderChecks: true };
    assert.match(summaryTable(report).split('\n')[1], /^shader checks: on: Dawn clamps every array index and zeroes workgroup memory/);
  });

  test('a wrong kernel is flagged in the table', () => {
    const report = sampleReport([workload('w', [naive(), kernelResult('flash', [['fused', 0.25]], { correct: false, maxRelError: 0.25 })])]);
    const text = summaryTable(report);
    assert.match(text.split('\n').find((l) => /\sflash\s/.test(l)) ?? '', /2\.5e-1\s+4\.0×\s+WRONG RESULT$/);
  });
});

describe('summaryMarkdown', () => {
  test('a GitHub table with a title, one row per kernel, pipes escaped', () => {
    const report = sampleReport([workload('a|b', [naive(), flash()])]);
    report.title = 'Qwen2 | 7B';
    const md = summaryMarkdown(report);
    const lines = md.split('\n');
    assert.equal(lines[0], '### Qwen2 \\| 7B');
    const table = lines.filter((l) => l.startsWith('|'));
    assert.equal(table.length, 2 + 2, 'header, separator, two rows');
    assert.equal(table[0], '| Workload | Kernel | Median | p10–p90 | TFLOP/s | GB/s | Peak GPU memory | Max rel. error | vs naive | Status |');
    assert.equal(table[1], '|---|---|---|---|---|---|---|---|---|---|');
    assert.ok(table[3].startsWith('| a\\|b | flash | 250.0 µs |'), table[3]);
    assert.ok(table[3].endsWith('| 4.0× | ok |'), table[3]);
    // every row has the same number of (unescaped) cells
    const cells = (l: string) => l.split(/(?<!\\)\|/).length;
    assert.ok(table.every((l) => cells(l) === cells(table[0])));
  });
  const stats = (ms: number) => ({ medianMs: ms, p10Ms: ms, p90Ms: ms, minMs: ms, meanMs: ms, samples: [ms] });
  test('train mode: the forward | backward column is one column in the header as in the rows', () => {
    const r = kernelResult('flash', [['fused', 0.2], ['dK dV', 0.4], ['dQ', 0.3]], { mode: 'train' });
    r.train = { forwardFlops: 100, backwardFlops: 250, savedBytes: 1024, errors: { o: 0, dq: 0, dk: 0, dv: 0 }, checkedKeys: 4, forward: stats(0.2), backward: stats(0.7) };
    const report = sampleReport([workload('w', [r])]);
    report.settings.mode = 'train';
    const table = summaryMarkdown(report).split('\n').filter((l) => l.startsWith('|'));
    assert.match(table[0], /\| Forward \\\| backward \|/);
    const cells = (l: string) => l.split(/(?<!\\)\|/).length;
    assert.equal(table.length, 3);
    assert.ok(table.every((l) => cells(l) === cells(table[0])), table.join('\n'));
    assert.match(table[2], /200\.0 µs \\\| 700\.0 µs/);
  });
});

describe('summaryCsv', () => {
  test('machine-readable columns, raw numbers, empty cells for NaN', () => {
    const rows = parseCsv(summaryCsv(sampleReport()));
    assert.deepEqual(rows[0], [
      'workload', 'kernel', 'status', 'medianMs', 'p10Ms', 'p90Ms', 'tflops', 'gbps', 'peakBytes', 'analyticPeakBytes',
      'maxRelError', 'correct', 'speedupVsNaive', 'notes',
    ]);
    assert.equal(rows.length, 3);
    const flashRow = Object.fromEntries(rows[0].map((c, i) => [c, rows[2][i]]));
    assert.equal(flashRow.kernel, 'flash');
    assert.equal(Number(flashRow.medianMs), 0.25);
    assert.equal(Number(flashRow.speedupVsNaive), 4);
    assert.equal(flashRow.correct, 'true');
    assert.equal(Number(flashRow.peakBytes), 3 * 1024 * 1024);
    assert.equal(Number(flashRow.maxRelError), 3.2e-7);
  });

  test('quotes commas, quotes and newlines', () => {
    const report = sampleReport([
      workload('Llama, 8B', [
        kernelResult('naive', [['QKᵀ', 1]], { status: 'failed', error: 'line one\nline "two"', timings: undefined, correct: false }),
        kernelResult('flash', [['fused', 1]], { notes: ['tiles 64×64,', 'said "hi"'] }),
      ]),
    ]);
    const csv = summaryCsv(report);
    assert.ok(csv.includes('"Llama, 8B"'));
    assert.ok(csv.includes('"failed: line one\nline ""two"""'));
    const rows = parseCsv(csv);
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.length === 14), 'every row has 14 cells');
    assert.equal(rows[1][0], 'Llama, 8B');
    assert.equal(rows[1][2], 'failed: line one\nline "two"');
    assert.equal(rows[1][3], '', 'NaN median is an empty cell');
    assert.equal(rows[2][13], 'tiles 64×64, said "hi"');
  });
});

describe('parseReport', () => {
  test('accepts a report and its JSON round trip', () => {
    const report = sampleReport();
    assert.equal(parseReport(report), report);
    const back = parseReport(JSON.parse(JSON.stringify(report)));
    assert.equal(back.workloads[0].results[1].kernel, 'flash');
    assert.equal(back.spec.flops, 4 * 2 * 8 * 256 * 256 * 64);
  });

  const reject = (value: unknown, message: string | RegExp) =>
    assert.throws(() => parseReport(value), (e: unknown) => {
      assert.ok(e instanceof ReportFormatError);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    });

  test('wrong schema or not an object', () => {
    reject(null, 'not an attnprof report: not a JSON object');
    reject('report', 'not an attnprof report: not a JSON object');
    reject({ ...sampleReport(), schema: 'chrome.trace' }, 'not an attnprof report: schema is "chrome.trace", expected "attnprof.report"');
    reject({ traceEvents: [] }, /schema is undefined, expected "attnprof.report"/);
  });

  test('a newer version is refused with a clear message; an older one is read', () => {
    reject({ ...sampleReport(), version: 2 }, 'not an attnprof report: version 2 is newer than this attnprof understands (1); update the extension');
    reject({ ...sampleReport(), version: '1' }, 'not an attnprof report: no version');
    assert.doesNotThrow(() => parseReport({ ...sampleReport(), version: 0 }));
  });

  test('malformed workloads, results or adapter', () => {
    const r = sampleReport();
    reject({ ...r, workloads: {} }, 'not an attnprof report: no workloads/results');
    reject({ ...r, results: undefined }, 'not an attnprof report: no workloads/results');
    reject({ ...r, adapter: null }, 'not an attnprof report: no adapter');
    reject({ ...r, workloads: [{ ...r.workloads[0], name: 3 }] }, 'not an attnprof report: a malformed workload');
    reject({ ...r, workloads: [{ ...r.workloads[0], memory: undefined }] }, 'not an attnprof report: a malformed workload');
    reject({ ...r, workloads: [{ ...r.workloads[0], results: [{ kernel: 'flash', status: 'great' }] }] }, 'not an attnprof report: a malformed kernel result');
    reject({ ...r, workloads: [{ ...r.workloads[0], results: [{ status: 'ok' }] }] }, 'not an attnprof report: a malformed kernel result');
  });
});
