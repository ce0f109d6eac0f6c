/** Lengths input at its limits: a line longer than any record, many lengths through the strategies without layouts. */
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { after, describe, test } from 'node:test';
import { MAX_LINE_CHARS, boundedLines, readLengths } from '../../../extension/padding/lengths';
import { planStrategies, sortedLengths } from '../../../extension/padding/strategies';
import { tempDir } from '../helpers';

const tmp = tempDir('attnprof-hostile-lengths-');
after(() => tmp.cleanup());

async function collect(chunks: string[], max: number): Promise<(string | null)[]> {
  async function* source() {
    yield* chunks;
  }
  const out: (string | null)[] = [];
  for await (const l of boundedLines(source(), max)) out.push(l);
  return out;
}

describe('lines are bounded', () => {
  test('a line over the limit comes out as null, whatever the chunking; the lines around it are kept', async () => {
    assert.deepEqual(await collect(['12\r\n', 'abcdefghij', 'kl\n7\n', '9'], 5), ['12', null, '7', '9']);
    assert.deepEqual(await collect(['1\n123456', '\n2'], 5), ['1', null, '2']);
    assert.deepEqual(await collect(['12345\n'], 5), ['12345']);
    assert.deepEqual(await collect(['123456'], 5), [null]);
    assert.deepEqual(await collect(['', '\n\n'], 5), ['', '']);
  });

  test('a file with one line longer than the limit: counted as a bad line with its number, not held', async () => {
    const file = tmp.path('giant-line.txt');
    const out = createWriteStream(file);
    out.write('5\n');
    const block = '7'.repeat(1 << 20);
    for (let i = 0; i <= MAX_LINE_CHARS / block.length; i++) out.write(block);
    out.write('\n9\n');
    await new Promise((r) => out.end(r));
    const r = await readLengths(file);
    assert.deepEqual([...r.lengths], [5, 9]);
    assert.equal(r.source.badLines.count, 1);
    assert.deepEqual(r.source.badLines.first, [{ line: 2, reason: 'line longer than 16 Mi characters' }]);
  });
});

describe('strategies without per-batch layouts', () => {
  test('batchShape agrees with batch() for every strategy and batch', () => {
    const lengths = Int32Array.from({ length: 103 }, (_, i) => 1 + ((i * 37) % 50));
    for (const plan of planStrategies(lengths, { batchSize: 8, maxLength: 32, causal: true })) {
      for (let b = 0; b < plan.analysis.batches; b++) {
        const layout = plan.batch(b);
        const rows = layout.kind === 'padded' ? layout.rowLengths.length : layout.rowDocs.length;
        assert.deepEqual(plan.batchShape(b), { rows, seqLen: layout.seqLen }, `${plan.analysis.name} batch ${b}`);
      }
    }
  });

  test('the counting sort equals a comparison sort, small and large value ranges', () => {
    for (const [n, max] of [
      [10, 5],
      [5000, 100],
      [20000, 1 << 20],
    ]) {
      let s = 7;
      const a = Int32Array.from({ length: n }, () => 1 + ((s = (s * 1103515245 + 12345) % 2 ** 31) % max));
      assert.deepEqual([...sortedLengths(a)], [...Int32Array.from(a).sort()]);
    }
  });

  test('long pieces open their rows in bulk: same packing as one at a time', () => {
    // Lengths above L/2 (bulk path) mixed with short ones (tree path), checked against a plain first-fit.
    const L = 100;
    const lengths = Int32Array.from({ length: 2000 }, (_, i) => 1 + ((i * 7919) % 160));
    const packed = planStrategies(lengths, { batchSize: 4, maxLength: L, causal: false })[3];
    const pieces: number[] = [];
    let full = 0;
    for (const len of lengths) {
      full += Math.floor(len / L);
      if (len % L) pieces.push(len % L);
    }
    pieces.sort((a, b) => b - a);
    const free: number[] = [];
    for (const p of pieces) {
      const row = free.findIndex((f) => f >= p);
      if (row >= 0) free[row] -= p;
      else free.push(L - p);
    }
    assert.equal(packed.analysis.rows, full + free.length);
  });
});
