/** The flame chart's DOM-free parts: pan-zoom maths, the time axis, tooltip text, the match count. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MIN_SPAN_MS, buildFlameModel } from '../../../extension/report/flame-model';
import { timeTicks } from '../../../webview/report/flame/axis';
import { matchCountText } from '../../../webview/report/flame/search';
import { tooltipLines } from '../../../webview/report/flame/tooltip';
import { Viewport } from '../../../webview/report/flame/viewport';
import { sampleReport } from '../helpers';

describe('flame viewport', () => {
  test('starts on the whole run, or on a restored window clamped into it', () => {
    assert.deepEqual(new Viewport(10).view, { startMs: 0, endMs: 10 });
    assert.deepEqual(new Viewport(10, { startMs: 8, endMs: 14 }).view, { startMs: 4, endMs: 10 });
  });

  test('zoom keeps the anchor in place; pan moves by a share of the window and stops at the ends', () => {
    const v = new Viewport(10);
    v.zoom(0.5, 2);
    assert.deepEqual(v.view, { startMs: 1, endMs: 6 });
    assert.equal(v.timeAt(70 + 20, 70, 100), 2, 'pixel 20 of 100 is 20 % into [1, 6]');
    v.pan(0.2);
    assert.deepEqual(v.view, { startMs: 2, endMs: 7 });
    v.pan(10);
    assert.deepEqual(v.view, { startMs: 5, endMs: 10 });
  });

  test('a drag moves the window it began with by the pixels dragged; focus frames a box with 5 % margins; reset', () => {
    const v = new Viewport(10, { startMs: 4, endMs: 6 });
    const from = v.view;
    v.dragFrom(from, 50, 100);
    assert.deepEqual(v.view, { startMs: 3, endMs: 5 });
    v.dragFrom(from, -50, 100);
    assert.deepEqual(v.view, { startMs: 5, endMs: 7 });
    v.focus({ startMs: 2, durationMs: 2 });
    assert.deepEqual(v.view, { startMs: 1.9, endMs: 4.1 });
    v.reset();
    assert.deepEqual(v.view, { startMs: 0, endMs: 10 });
  });

  test('zooming in stops at the smallest span float precision allows', () => {
    const v = new Viewport(10);
    for (let i = 0; i < 200; i++) v.zoom(0.5, 3);
    const { startMs, endMs } = v.view;
    assert.ok(Math.abs(endMs - startMs - MIN_SPAN_MS) < 1e-12, `${endMs - startMs}`);
    assert.ok(startMs <= 3 && endMs >= 3);
  });
});

describe('flame time axis', () => {
  test('the unit follows the window, the decimals the tick step', () => {
    const ms = timeTicks({ startMs: 0, endMs: 1000 }, 880);
    assert.equal(ms.unit, 'ms');
    assert.deepEqual(ms.ticks.map((t) => t.label), ['0', '100', '200', '300', '400', '500', '600', '700', '800', '900', '1000']);
    const us = timeTicks({ startMs: 0.0012, endMs: 0.0016 }, 440);
    assert.equal(us.unit, 'ns');
    assert.deepEqual(us.ticks.map((t) => t.label), ['1200', '1300', '1400', '1500', '1600']);
    const fine = timeTicks({ startMs: 0.5, endMs: 0.52 }, 220);
    assert.equal(fine.unit, 'µs');
    assert.deepEqual(fine.ticks.map((t) => t.label), ['500', '510', '520']);
    assert.equal(timeTicks({ startMs: 0, endMs: 5000 }, 220).unit, 's');
  });
});

describe('flame tooltip and search text', () => {
  test('a kernel box: name, where, time, work and rate; the caller’s line last', () => {
    const model = buildFlameModel(sampleReport());
    const flash = model.boxes.find((b) => b.kind === 'kernel' && b.label === 'flash');
    assert.ok(flash);
    const lines = tooltipLines(flash, false, '+12.0 % vs A');
    assert.deepEqual(lines[0], { text: 'flash', style: 'title' });
    assert.equal(lines[1].text, 'kernel · shape');
    assert.equal(lines[2].text, '250.0 µs (250.000 µs)');
    assert.match(lines[3].text, /^[\d.]+ [kMGT]?FLOP, [\d.]+ (KiB|MiB) moved at minimum$/);
    assert.match(lines[4].text, /^[\d.]+ TFLOP\/s$/);
    assert.deepEqual(lines.at(-1), { text: '+12.0 % vs A', style: 'extra' });
    assert.ok(!lines.some((l) => l.style === 'note'));
  });

  test('a synthetic timeline says so on every box but the run', () => {
    const model = buildFlameModel(sampleReport());
    const pass = model.boxes.find((b) => b.kind === 'pass');
    const run = model.boxes.find((b) => b.kind === 'run');
    assert.ok(pass && run);
    assert.ok(tooltipLines(pass, true).some((l) => l.style === 'note' && /^Synthetic timeline/.test(l.text)));
    assert.ok(!tooltipLines(run, true).some((l) => l.style === 'note'));
    assert.match(tooltipLines(pass, false)[3].text, /\(whole kernel\)/);
  });

  test('match count', () => {
    assert.equal(matchCountText('', 0), '');
    assert.equal(matchCountText('  ', 3), '');
    assert.equal(matchCountText('flash', 1), '1 match');
    assert.equal(matchCountText('qk', 0), '0 matches');
  });
});
