import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FlameModelBuilder,
  MIN_SPAN_MS,
  boxAt,
  buildCategoryPrefix,
  buildFlameModel,
  clampView,
  dumpFlameModel,
  forEachVisible,
  medianIteration,
  searchBoxes,
  spanShares,
  zoomView,
  type FlameModel,
  type VisibleSpan,
} from '../../../extension/report/flame-model';
import { kernelResult, problem, sampleReport, workload } from '../helpers';

describe('buildFlameModel', () => {
  test('a shape run: run → workload → kernel → pass, widths from the median iteration', () => {
    const model = buildFlameModel(sampleReport());
    assert.equal(
      dumpFlameModel(model),
      [
        'total 1.250 ms',
        'B=2 Hq=8 Hkv=2 Nq=256 Nk=256 D=64 f32 [0.000–1.250]',
        '  shape [0.000–1.250]',
        '    naive [0.000–1.000]',
        '      QKᵀ [0.000–0.400]',
        '      softmax [0.400–0.600]',
        '      PV [0.600–1.000]',
        '    flash [1.000–1.250]',
        '      fused [1.000–1.250]',
      ].join('\n'),
    );
  });

  test('train mode: each kernel is a train step box with its forward and backward as children, passes under them', () => {
    const withSteps = (kernel: string, passes: [string, number, 'forward' | 'backward'][]) => {
      const r = kernelResult(kernel, passes.map(([n, ms]) => [n, ms]), { mode: 'train' });
      for (const it of r.iterations) it.passes.forEach((x, i) => (x.step = passes[i][2]));
      r.train = { forwardFlops: 100, backwardFlops: 250, savedBytes: 1024, errors: { o: 0, dq: 0, dk: 0, dv: 0 }, checkedKeys: 4 };
      return r;
    };
    const report = sampleReport([
      workload('shape', [
        withSteps('naive', [['QKᵀ', 0.2, 'forward'], ['softmax', 0.1, 'forward'], ['PV', 0.2, 'forward'], ['dO·O', 0.05, 'backward'], ['dS', 0.3, 'backward'], ['dQ', 0.2, 'backward'], ['dK dV', 0.45, 'backward']]),
        withSteps('flash', [['fused', 0.1, 'forward'], ['normalise', 0.02, 'forward'], ['dO·O', 0.01, 'backward'], ['dK dV', 0.2, 'backward'], ['dQ', 0.17, 'backward']]),
      ]),
    ]);
    report.settings.mode = 'train';
    const model = buildFlameModel(report);
    assert.deepEqual(model.rows.map((r) => r.label), ['run', 'layer', 'train step', 'fwd / bwd', 'pass']);
    assert.equal(
      dumpFlameModel(model),
      [
        'total 2.000 ms',
        'B=2 Hq=8 Hkv=2 Nq=256 Nk=256 D=64 f32 [0.000–2.000]',
        '  shape [0.000–2.000]',
        '    naive · train step [0.000–1.500]',
        '      forward [0.000–0.500]',
        '        QKᵀ [0.000–0.200]',
        '        softmax [0.200–0.300]',
        '        PV [0.300–0.500]',
        '      backward [0.500–1.500]',
        '        dO·O [0.500–0.550]',
        '        dS [0.550–0.850]',
        '        dQ [0.850–1.050]',
        '        dK dV [1.050–1.500]',
        '    flash · train step [1.500–2.000]',
        '      forward [1.500–1.620]',
        '        fused [1.500–1.600]',
        '        normalise [1.600–1.620]',
        '      backward [1.620–2.000]',
        '        dO·O [1.620–1.630]',
        '        dK dV [1.630–1.830]',
        '        dQ [1.830–2.000]',
      ].join('\n'),
    );
    const backward = model.boxes.find((b) => b.kind === 'step' && b.kernel === 'flash' && b.label === 'backward');
    assert.equal(backward?.flops, 250);
  });

  test('a model config: every layer in model order, each from its own workload (local/global pattern)', () => {
    const local = workload('local layers', [kernelResult('flash', [['fused', 0.1]])], problem({ causal: true, window: 4096 }));
    local.layers = [0, 2];
    const global = workload('global layers', [kernelResult('flash', [['fused', 0.3]])], problem({ causal: true }));
    global.layers = [1, 3];
    const report = { ...sampleReport([local, global]), source: { kind: 'config' as const, file: 'config.json' } };
    const model = buildFlameModel(report);
    assert.equal(
      dumpFlameModel(model, 1),
      [
        'total 0.8 ms',
        'B=2 Hq=8 Hkv=2 Nq=256 Nk=256 D=64 f32 [0.0–0.8]',
        '  layer 0 [0.0–0.1]',
        '    flash [0.0–0.1]',
        '      fused [0.0–0.1]',
        '  layer 1 [0.1–0.4]',
        '    flash [0.1–0.4]',
        '      fused [0.1–0.4]',
        '  layer 2 [0.4–0.5]',
        '    flash [0.4–0.5]',
        '      fused [0.4–0.5]',
        '  layer 3 [0.5–0.8]',
        '    flash [0.5–0.8]',
        '      fused [0.5–0.8]',
      ].join('\n'),
    );
    const layer1 = model.rows[1].boxes[1];
    assert.match(layer1.detail ?? '', /global layers: causal/);
    assert.match(model.rows[1].boxes[0].detail ?? '', /window 4096, causal/);
    assert.equal(model.rows[3].boxes[2].key, 'local layers|L2|flash|fused#0');
  });

  test('the median iteration is a real iteration; failed kernels and bad intervals leave no box', () => {
    const r = kernelResult('flash', [['fused', 1]]);
    r.iterations = [3, 1, 2, 9].map((d, i) => ({ startMs: i * 10, durationMs: d, passes: [{ name: 'fused', startMs: i * 10, durationMs: d }] }));
    assert.deepEqual(medianIteration(r.iterations), { iteration: r.iterations[2], index: 2 });
    const failed = kernelResult('naive', [['QKᵀ', 1]], { status: 'failed', error: 'out of memory' });
    const bad = kernelResult('weird', [['fused', 1]]);
    bad.iterations[0].passes[0].durationMs = -1;
    bad.iterations = [bad.iterations[0]];
    const model = buildFlameModel(sampleReport([workload('w', [failed, r, bad])]));
    assert.deepEqual(model.rows[2].boxes.map((b) => `${b.label} ${b.durationMs}`), ['flash 2', 'weird 1']);
    assert.deepEqual(model.rows[3].boxes.map((b) => b.label), ['fused']);
    assert.match(model.warnings.join('\n'), /dropped fused: bad interval/);
  });

  test('a kernel of several passes: its boxes come from the per-pass iterations, not the timed ones (which hold no passes)', () => {
    const r = kernelResult('naive', [['QKᵀ', 0.4], ['softmax', 0.2], ['PV', 0.4]]);
    const timed = [0.9, 0.8, 0.95].map((d, i) => ({ startMs: i * 3, durationMs: d, passes: [] }));
    // Per-pass iterations of 1.0 and 1.2 ms (each stamp adds to them): the median is the first.
    const perPass = [1.0, 1.2].map((d, i) => {
      const at = 10 + i * 3;
      const passes = [['QKᵀ', 0.4 * d], ['softmax', 0.2 * d], ['PV', 0.4 * d]] as const;
      let t = at;
      return { startMs: at, durationMs: d, perPass: true as const, passes: passes.map(([name, ms]) => ({ name, startMs: (t += ms) - ms, durationMs: ms })) };
    });
    r.iterations = [...timed, ...perPass];
    const model = buildFlameModel(sampleReport([workload('w', [r])]));
    assert.deepEqual(model.rows[2].boxes.map((b) => `${b.label} ${b.durationMs}`), ['naive 1']);
    assert.match(model.rows[2].boxes[0].detail ?? '', /^per-pass iteration 1 of 2 \(the median; its timestamp at every pass adds to it\); timed median /);
    assert.deepEqual(model.rows[3].boxes.map((b) => b.label), ['QKᵀ', 'softmax', 'PV']);
    assert.equal(model.perPass, true, 'the view says the boxes come from per-pass iterations');
    // Without per-pass iterations (a one-pass kernel), the timed iterations are the boxes.
    const flash = kernelResult('flash', [['fused', 0.3]]);
    const one = buildFlameModel(sampleReport([workload('w', [flash])]));
    assert.match(one.rows[2].boxes[0].detail ?? '', /^iteration 2 of 3 \(the median\)/);
    assert.equal(one.perPass, undefined);
  });

  test('overlapping passes are clamped (rows never overlap), a box that starts earlier is an error', () => {
    const b = new FlameModelBuilder(['r']);
    b.add({ row: 0, startMs: 0, durationMs: 2, label: 'a', kind: 'pass', key: 'a' });
    b.add({ row: 0, startMs: 1.5, durationMs: 2, label: 'b', kind: 'pass', key: 'b' });
    const m = b.build();
    assert.deepEqual(m.rows[0].boxes.map((x) => [x.startMs, x.durationMs]), [[0, 2], [2, 1.5]]);
    assert.throws(() => b.add({ row: 0, startMs: -1, durationMs: 1, label: 'c', kind: 'pass', key: 'c' }), /starts before/);
  });
});

/** 4 rows × `perRow` boxes of mixed widths, back to back (100 000 boxes by default). */
function bigModel(perRow = 25_000): FlameModel {
  const b = new FlameModelBuilder(['r0', 'r1', 'r2', 'r3']);
  for (let row = 0; row < 4; row++) {
    let t = 0;
    for (let i = 0; i < perRow; i++) {
      const d = 0.001 + ((i * 7919 + row * 31) % 13) * 0.0005;
      b.add({ row, startMs: t, durationMs: d, label: `box ${row}/${i}`, kind: 'pass', key: `${row}/${i}` });
      t += d + (i % 5 === 0 ? 0.0002 : 0);
    }
  }
  return b.build();
}

function collect(model: FlameModel, startMs: number, endMs: number, widthPx: number, minWidthPx?: number) {
  const spans: VisibleSpan[] = [];
  const examined = forEachVisible(model, { startMs, endMs, widthPx, ...(minWidthPx !== undefined ? { minWidthPx } : {}) }, (s) => spans.push(s));
  return { spans, examined };
}

describe('visible-box query on 100k boxes', () => {
  const model = bigModel();
  test('the model has 100 000 boxes', () => assert.equal(model.boxes.length, 100_000));

  test('zoomed out: merged per pixel, examines far fewer boxes than exist, covers every box', () => {
    const { spans, examined } = collect(model, 0, model.totalMs, 1000);
    assert.ok(examined < 100_000 / 2, `examined ${examined}`);
    assert.ok(spans.length <= 4 * 1000 + 4, `${spans.length} spans`);
    assert.equal(spans.reduce((s, x) => s + x.merged, 0), 100_000, 'every box is drawn, merged or not');
  });

  test('zoomed out, 4× the boxes: the work grows far less than 4× (sub-linear)', () => {
    const small = collect(model, 0, model.totalMs, 1000).examined;
    const big = bigModel(100_000);
    const large = collect(big, 0, big.totalMs, 1000).examined;
    assert.ok(large < 1.6 * small, `examined ${small} for 100k boxes, ${large} for 400k`);
  });

  test('zoomed in to 1 %: examines about the boxes in view, plus a binary search per row', () => {
    const start = model.totalMs * 0.5;
    const { spans, examined } = collect(model, start, start + model.totalMs * 0.01, 2000);
    const inView = spans.reduce((s, x) => s + x.merged, 0);
    assert.ok(inView > 900 && inView < 1100, `${inView} boxes in view`);
    assert.ok(examined < inView + 4 * 2 * 17 + 8, `examined ${examined} for ${inView} boxes in view`);
  });

  test('without merging, the query returns exactly the boxes that overlap the window', () => {
    const start = model.totalMs * 0.3217;
    const end = start + model.totalMs * 0.002;
    const { spans } = collect(model, start, end, 1000, 0);
    const got = spans.map((s) => s.first.id).sort((a, b) => a - b);
    const want = model.boxes.filter((b) => b.startMs < end && b.startMs + b.durationMs > start).map((b) => b.id);
    assert.deepEqual(got, want);
    assert.ok(spans.every((s) => s.merged === 1));
  });

  test('boxAt finds the box under a time, and nothing in a gap', () => {
    const box = model.rows[2].boxes[12_345];
    assert.equal(boxAt(model, 2, box.startMs + box.durationMs / 2)?.id, box.id);
    const gapAfter = model.rows[2].boxes[5];
    assert.equal(boxAt(model, 2, gapAfter.startMs + gapAfter.durationMs + 0.0001), undefined);
    assert.equal(boxAt(model, 9, 0), undefined);
  });
});

describe('colours of merged spans (the overview)', () => {
  // 2000 layers of three passes (QKᵀ 25 %, softmax 30 %, PV 45 %), far more than there are pixels.
  function periodic(): FlameModel {
    const b = new FlameModelBuilder(['pass']);
    let t = 0;
    for (let layer = 0; layer < 2000; layer++) {
      for (const [label, d] of [['QKᵀ', 0.25], ['softmax', 0.3], ['PV', 0.45]] as const) {
        b.add({ row: 0, startMs: t, durationMs: d * 0.01, label, kind: 'pass', key: `${layer}|${label}` });
        t += d * 0.01;
      }
    }
    return b.build();
  }
  const categories = ['QKᵀ', 'softmax', 'PV'];
  const inkShares = (model: FlameModel, widthPx: number, startMs = 0, endMs = model.totalMs) => {
    const prefix = buildCategoryPrefix(model, (box) => categories.indexOf(box.label), categories.length);
    const ink = [0, 0, 0];
    forEachVisible(model, { startMs, endMs, widthPx }, (span) => {
      const px = Math.min(endMs, span.endMs) - Math.max(startMs, span.startMs);
      for (const [c, share] of spanShares(prefix, span)) ink[c] += share * px;
    });
    const total = ink.reduce((a, x) => a + x, 0);
    return ink.map((x) => x / total);
  };

  test('a pass that takes 45 % of the time takes 45 % of the ink at any zoom', () => {
    const model = periodic();
    for (const [widthPx, span] of [[500, 1], [1000, 1], [1733, 1], [1000, 0.1], [1000, 0.01]] as const) {
      const shares = inkShares(model, widthPx, 0, model.totalMs * span);
      assert.ok(Math.abs(shares[2] - 0.45) < 0.02, `PV ${shares[2].toFixed(3)} at ${widthPx} px over ${span * 100} %`);
      assert.ok(Math.abs(shares[1] - 0.3) < 0.02, `softmax ${shares[1].toFixed(3)} at ${widthPx} px over ${span * 100} %`);
    }
  });

  test('a merged span lists each category once, largest first; a single box is its own category', () => {
    const model = periodic();
    const prefix = buildCategoryPrefix(model, (box) => categories.indexOf(box.label), categories.length);
    const row = model.rows[0].boxes;
    const merged = spanShares(prefix, { row: 0, index: 0, merged: 6, first: row[0] });
    assert.deepEqual(merged.map(([c]) => categories[c]), ['PV', 'softmax', 'QKᵀ']);
    assert.ok(Math.abs(merged[0][1] - 0.45) < 1e-9);
    assert.deepEqual(spanShares(prefix, { row: 0, index: 4, merged: 1, first: row[4] }), [[1, 1]]);
  });
});

describe('search and zoom maths', () => {
  test('search matches labels, kernels and workloads, case-insensitively', () => {
    const model = buildFlameModel(sampleReport());
    const hits = [...searchBoxes(model, 'SOFT')].map((id) => model.boxes[id].label);
    assert.deepEqual(hits, ['softmax']);
    assert.equal(searchBoxes(model, 'flash').size, 2, 'the flash kernel box and its fused pass');
    assert.equal(searchBoxes(model, '  ').size, 0);
  });

  test('zoom keeps the anchor in place and is clamped to 1 ns and to the run', () => {
    const z = zoomView({ startMs: 0, endMs: 10 }, 2, 0.5, 10);
    assert.deepEqual(z, { startMs: 1, endMs: 6 });
    let v = { startMs: 0, endMs: 10 };
    for (let i = 0; i < 200; i++) v = zoomView(v, 3.3, 0.5, 10);
    assert.ok(Math.abs(v.endMs - v.startMs - MIN_SPAN_MS) < 1e-12);
    assert.ok(v.startMs <= 3.3 && v.endMs >= 3.3);
    assert.deepEqual(zoomView({ startMs: 0, endMs: 10 }, 5, 4, 10), { startMs: 0, endMs: 10 });
    assert.deepEqual(clampView(-5, 3, 10), { startMs: 0, endMs: 8 });
    assert.deepEqual(clampView(9, 12, 10), { startMs: 7, endMs: 10 });
    assert.deepEqual(clampView(Number.NaN, Number.NaN, 10), { startMs: 0, endMs: 10 });
  });
});
