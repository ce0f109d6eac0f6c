/** Lengths readers: every format, bad lines counted with their line numbers, and a million-line stream. */
import assert from 'node:assert/strict';
import { createWriteStream, writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { LengthsError, detectFormat, estimateTokens, readLengths } from '../../../extension/padding/lengths';
import { npyFile, tempDir } from '../helpers';

const FIX = 'test/fixtures/lengths';
const tmp = tempDir('attnprof-lengths-');
after(() => tmp.cleanup());

const sorted = (a: Int32Array) => [...a].sort((x, y) => x - y);

describe('lengths readers', () => {
  test('text: integers kept in order; blanks and comments skipped; bad lines counted with line numbers', async () => {
    const r = await readLengths(`${FIX}/mixed.txt`);
    assert.deepEqual([...r.lengths], [12, 7, 40, 5]);
    assert.equal(r.source.format, 'text');
    assert.equal(r.source.order, 'file');
    assert.equal(r.source.estimated, false);
    assert.equal(r.source.badLines.count, 5);
    assert.deepEqual(r.source.badLines.first, [
      { line: 5, reason: "'seven' is not an integer" },
      { line: 6, reason: 'length -3 is not positive' },
      { line: 7, reason: 'length 0 is not positive' },
      { line: 9, reason: "'2.5' is not an integer" },
      { line: 10, reason: 'length 99999999999 is over 67108864' },
    ]);
  });

  test('JSONL: length, else input_ids, else text estimated (and labelled so)', async () => {
    const r = await readLengths(`${FIX}/records.jsonl`);
    // 29 Latin characters → ⌈29/4⌉ = 8; five CJK characters → 5.
    assert.deepEqual([...r.lengths], [12, 5, 8, 5]);
    assert.equal(r.source.estimated, true);
    assert.equal(r.source.estimatedCount, 2);
    assert.deepEqual(r.source.badLines.first.map((b) => [b.line, b.reason]), [
      [5, 'no length, input_ids or text'],
      [6, 'not valid JSON'],
      [7, 'length 0 is not positive'],
      [8, 'not a JSON object'],
      [9, 'length 0 is not positive'],
    ]);
  });

  test('token estimate: chars/4 for Latin script, one per CJK character, code points not UTF-16 units', () => {
    assert.equal(estimateTokens('abcd'), 1);
    assert.equal(estimateTokens('abcde'), 2);
    assert.equal(estimateTokens('ab你好'), 3);
    assert.equal(estimateTokens('こんにちは'), 5);
    assert.equal(estimateTokens('😀😀😀😀'), 1);
  });

  test('histograms: CSV with a header, JSON object; expanded, then shuffled deterministically for dynamic', async () => {
    const csv = await readLengths(`${FIX}/histogram.csv`);
    assert.equal(csv.source.format, 'histogram-csv');
    assert.deepEqual(sorted(csv.lengths), [3, 3, 3, 10]);
    assert.deepEqual(csv.source.badLines.first.map((b) => b.line), [5, 6]);
    assert.equal(csv.source.order, 'shuffled');
    assert.deepEqual([...(await readLengths(`${FIX}/histogram.csv`)).lengths], [...csv.lengths], 'the same order every time');
    const json = await readLengths(`${FIX}/histogram.json`);
    assert.equal(json.source.format, 'histogram-json');
    assert.deepEqual(sorted(json.lengths), [4, 4, 4, 9]);
    // Entries are numbered in JSON object order: integer keys ascending ("4", "6", "9"), then the rest.
    assert.deepEqual(json.source.badLines.first, [
      { line: 2, reason: 'count of 6 is not a non-negative integer' },
      { line: 4, reason: "key 'oops' is not a length" },
    ]);
  });

  test('.npy: int32, int64, uint16 little-endian; other dtypes refused', async () => {
    const i32 = tmp.path('a.npy');
    writeFileSync(i32, npyFile("{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", new Uint8Array(Int32Array.from([5, 0, 7, 9]).buffer)));
    const a = await readLengths(i32, { highWaterMark: 8 }); // 2 values per read: chunk boundaries inside the data
    assert.deepEqual([...a.lengths], [5, 7, 9]);
    assert.deepEqual(a.source.badLines.first, [{ line: 2, reason: 'length 0 is not positive' }]);
    const i64 = tmp.path('b.npy');
    writeFileSync(i64, npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(BigInt64Array.from([3n, 2n ** 40n, 1n, 4n]).buffer)));
    const b = await readLengths(i64);
    assert.deepEqual([...b.lengths], [3, 1, 4]);
    assert.equal(b.source.badLines.count, 1);
    const u16 = tmp.path('c.npy');
    writeFileSync(u16, npyFile("{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(Uint16Array.from([60000, 2, 3]).buffer)));
    assert.deepEqual([...(await readLengths(u16)).lengths], [60000, 2, 3]);
    const f4 = tmp.path('d.npy');
    writeFileSync(f4, npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)));
    await assert.rejects(readLengths(f4), /has dtype '<f4'; lengths must be a little-endian integer array/);
    const short = tmp.path('e.npy');
    writeFileSync(short, npyFile("{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }", new Uint8Array(8)));
    await assert.rejects(readLengths(short), /is truncated: the header promises 5 values, the file holds 2/);
  });

  test('format detection by extension, else by the first line', async () => {
    const p = (name: string, text: string) => {
      writeFileSync(tmp.path(name), text);
      return tmp.path(name);
    };
    assert.equal(await detectFormat(p('x.txt', '# c\n12\n')), 'text');
    assert.equal(await detectFormat(p('x.log', '{"length": 3}\n')), 'jsonl');
    assert.equal(await detectFormat(p('x.dat', '3,4\n')), 'histogram-csv');
    assert.equal(await detectFormat(p('x.json', '{"length": 3}\n{"length": 4}\n')), 'jsonl');
    assert.equal(await detectFormat(p('y.json', '{\n "3": 4\n}\n')), 'histogram-json');
  });

  test('no valid length, or no file: a clear error', async () => {
    writeFileSync(tmp.path('empty.txt'), 'abc\n\n');
    await assert.rejects(readLengths(tmp.path('empty.txt')), (e: Error) => {
      assert.ok(e instanceof LengthsError);
      assert.match(e.message, /holds no valid sequence length \(1 bad lines; first: line 1: 'abc' is not an integer\)\.$/);
      return true;
    });
    await assert.rejects(readLengths(tmp.path('missing.txt')), /cannot read lengths file '.*missing\.txt': no such file\./);
  });

  test('a million lines stream through in small reads', async () => {
    const file = tmp.path('million.txt');
    const out = createWriteStream(file);
    let expectedSum = 0;
    for (let chunk = 0; chunk < 100; chunk++) {
      let text = '';
      for (let i = 0; i < 10_000; i++) {
        const n = chunk * 10_000 + i;
        const len = n % 99_991 === 7 ? -1 : 1 + (n % 4096); // a bad line now and then
        if (len > 0) expectedSum += len;
        text += `${len}\n`;
      }
      if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    // 16 KiB reads: the ~5 MB of text is never in memory at once, only the 4-byte lengths are kept.
    const r = await readLengths(file, { highWaterMark: 16 * 1024 });
    const bad = Math.ceil((1_000_000 - 7) / 99_991);
    assert.equal(r.lengths.length, 1_000_000 - bad);
    assert.equal(r.source.badLines.count, bad);
    assert.equal(r.source.badLines.first[0].line, 8);
    assert.equal(r.lengths.reduce((a, b) => a + b, 0), expectedSum);
    assert.equal(r.lengths[0], 1);
    assert.equal(r.lengths.at(-1), 1 + (999_999 % 4096));
  });
});
