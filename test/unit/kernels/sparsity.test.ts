import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AttentionProblem, docBoundsFor } from '../../../kernels/problem';
import { keyVisible } from '../../../kernels/mask';
import { blockWork, TileSchedule } from '../../../kernels/sparsity';
import { describeWork } from '../../../kernels/units';
import { buildRooflineModel } from '../../../extension/report/roofline-model';
import { kernelResult, problem, sampleReport, workload } from '../helpers';

const rowsOf = (rows: number, keys: number): TileSchedule => ({ rows, keys, groupSlots: false, splitKeys: 0 });

/** Tiles with at least one visible pair, by brute force over every pair (one head, positions not wrapped). */
function bruteTiles(p: AttentionProblem, rows: number, keys: number): { tiles: number; pairs: number } {
  let tiles = 0;
  let pairs = 0;
  for (let b = 0; b < p.batch; b++) {
    for (let i0 = 0; i0 < p.seqLenQ; i0 += rows) {
      const i1 = Math.min(i0 + rows, p.seqLenQ) - 1;
      for (let j0 = 0; j0 < p.seqLenK; j0 += keys) {
        const j1 = Math.min(j0 + keys, p.seqLenK) - 1;
        let any = false;
        for (let i = i0; i <= i1 && !any; i++) for (let j = j0; j <= j1 && !any; j++) any = keyVisible(p, b, i, j);
        if (any) {
          tiles++;
          pairs += (i1 - i0 + 1) * (j1 - j0 + 1);
        }
      }
    }
  }
  return { tiles, pairs };
}

describe('block skipping counted on the host', () => {
  test('causal 128 × 128 in 64 × 32 tiles: 6 of 8 tiles, the FLOPs of their rows × keys', () => {
    const p = problem({ seqLenQ: 128, seqLenK: 128, causal: true, headDim: 64 });
    const w = blockWork(p, rowsOf(64, 32));
    assert.equal(w.tilesComputed, 6);
    assert.equal(w.tilesTotal, 8);
    assert.equal(w.flopsDone, 4 * 64 * (64 * 64 + 64 * 128));
    assert.equal(w.flopsDense, 4 * 64 * 128 * 128);
    assert.equal(w.visiblePairs, (128 * 129) / 2);
    assert.equal(w.tile, '64×32');
  });

  test('a kernel without a schedule computes every score', () => {
    const p = problem({ seqLenQ: 100, seqLenK: 100, causal: true });
    const w = blockWork(p);
    assert.equal(w.tileFraction, 1);
    assert.equal(w.flopsDone, w.flopsDense);
    assert.ok(w.visibleFraction < 0.51);
    assert.match(describeWork(w), /computes the whole score matrix/);
  });

  const exact: [string, AttentionProblem][] = [
    ['ViT 20×20, R = 3', problem({ seqLenQ: 400, seqLenK: 400, neighborhood: { radius: 3, rows: 20, cols: 20 } })],
    ['15×15 + class token, R = 2', problem({ seqLenQ: 226, seqLenK: 226, neighborhood: { radius: 2, rows: 15, cols: 15 } })],
    ['sliding window 20', problem({ seqLenQ: 300, seqLenK: 300, window: 20 })],
    ['key lengths per batch row', problem({ batch: 3, seqLenQ: 90, seqLenK: 90, kvLens: Int32Array.from([90, 17, 0]) })],
    ['packed documents', problem({ batch: 2, seqLenQ: 96, seqLenK: 96, docBounds: docBoundsFor([[40, 40, 16], [96]], 96) })],
  ];
  for (const [name, p] of exact) {
    test(`${name}: one mask kind, the tiles computed are exactly those with a visible pair`, () => {
      for (const [rows, keys] of [[64, 32], [40, 16], [100, 32]]) {
        const w = blockWork(p, rowsOf(rows, keys));
        const want = bruteTiles(p, rows, keys);
        assert.equal(w.tilesComputed, want.tiles, `${rows}×${keys}`);
        assert.equal(w.flopsDone, 4 * p.headDim * want.pairs, `${rows}×${keys}`);
      }
    });
  }

  test('ViT-3136, R = 5: 2.4 % visible; tiles of 64 rows × 32 keys compute about a fifth of the matrix', () => {
    const p = problem({ batch: 8, heads: 12, kvHeads: 12, seqLenQ: 3136, seqLenK: 3136, neighborhood: { radius: 5, rows: 56, cols: 56 } });
    const w = blockWork(p, { rows: 64, keys: 32, groupSlots: true, splitKeys: 0 });
    assert.ok(Math.abs(w.visibleFraction - 0.02382) < 0.0001, String(w.visibleFraction));
    assert.ok(w.tileFraction > w.visibleFraction && w.tileFraction < 0.3, String(w.tileFraction));
    assert.equal(w.tilesTotal, 8 * 12 * 49 * 98);
    assert.match(describeWork(w), /^Work: 2\.4 % of the score matrix is visible; computed \d+ of 460992 64×32 tiles \(\d+ %\): .+ done of .+ dense\.$/);
  });

  test('GQA tiles that span two heads are counted over both heads\' positions; key splits change nothing', () => {
    const p = problem({ heads: 4, kvHeads: 1, seqLenQ: 50, seqLenK: 50, causal: true });
    const packed = blockWork(p, { rows: 64, keys: 16, groupSlots: true, splitKeys: 0 });
    // 200 slots in 4 blocks; blocks 0–2 span two heads (positions 0–49: every key tile), block 3 holds 8 slots of head 3.
    assert.equal(packed.tilesTotal, 4 * 4);
    assert.equal(packed.tilesComputed, 4 * 4);
    const split = blockWork(p, { rows: 64, keys: 16, groupSlots: true, splitKeys: 32 });
    assert.equal(split.tilesComputed, packed.tilesComputed);
    assert.equal(split.flopsDone, packed.flopsDone);
  });

  test('the roofline places a kernel by the FLOPs it did', () => {
    const p = problem({ seqLenQ: 128, seqLenK: 128, causal: true, headDim: 64 });
    const w = blockWork(p, rowsOf(64, 32));
    const r = kernelResult('flash', [['fused', 1]], { flops: 4 * 64 * w.visiblePairs, tflops: (4 * 64 * w.visiblePairs) / 1e-3 / 1e12, bytesMoved: 1e6, work: w });
    const model = buildRooflineModel(sampleReport([workload('shape', [r], p)]));
    const point = model.points[0];
    assert.equal(r.timings?.medianMs, 1);
    assert.ok(Math.abs(point.intensity - w.flopsDone / 1e6) < 1e-9);
    assert.ok(Math.abs(point.tflops - w.flopsDone / 1e-3 / 1e12) / point.tflops < 1e-9);
  });
});
