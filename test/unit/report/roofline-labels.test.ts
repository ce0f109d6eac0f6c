import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { placeLabels, type LabelBox } from '../../../webview/report/rooflineChart';

const overlap = (a: LabelBox, b: LabelBox) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

describe('roofline labels', () => {
  test('coinciding points (Gemma local = global) get labels that neither collide nor leave the plot', () => {
    const plot = { x0: 72, y0: 24, x1: 700, y1: 330 };
    // Four points on one spot near the bottom edge, as two identical workloads × two kernels draw them.
    const at = [{ x: 400, y: 322 }, { x: 400, y: 322 }, { x: 402, y: 320 }, { x: 402, y: 320 }];
    const labels = at.map((p) => ({ ...p, width: 150, height: 15 }));
    const points = at.map((p) => ({ x0: p.x - 7, y0: p.y - 7, x1: p.x + 7, y1: p.y + 7 }));
    const boxes = placeLabels(labels, points, plot);
    for (const [i, b] of boxes.entries()) {
      assert.ok(b.x0 >= plot.x0 && b.x1 <= plot.x1 && b.y0 >= plot.y0 && b.y1 <= plot.y1, `label ${i} ${JSON.stringify(b)} leaves the plot (it would sit on an axis)`);
      for (const [j, c] of boxes.entries()) if (j < i) assert.ok(!overlap(b, c), `labels ${j} and ${i} collide`);
      for (const p of points) assert.ok(!overlap(b, p), `label ${i} covers a point`);
    }
  });

  test('a lone point keeps its label to the right, centred on it', () => {
    const [b] = placeLabels([{ x: 200, y: 100, width: 40, height: 15 }], [], { x0: 0, y0: 0, x1: 600, y1: 300 });
    assert.deepEqual(b, { x0: 209, y0: 92.5, x1: 249, y1: 107.5 });
  });
});
