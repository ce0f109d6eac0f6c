import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { NpyError, encodeNpy, parseNpy } from '../../../extension/cli/npy';
import { npyFile, tempDir } from '../helpers';

function refuses(bytes: Uint8Array, message: string | RegExp, what?: string): void {
  assert.throws(
    () => parseNpy(bytes, what),
    (e: unknown) => {
      assert.ok(e instanceof NpyError, `expected NpyError, got ${String(e)}`);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
}

const f32Bytes = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

describe('encodeNpy → parseNpy', () => {
  test('float32, 1-D', () => {
    const data = Float32Array.from([1.5, -2, 3.25, 0, 1e-30]);
    const back = parseNpy(encodeNpy(data, [5]));
    assert.equal(back.dtype, '<f4');
    assert.deepEqual(back.shape, [5]);
    assert.ok(back.data instanceof Float32Array);
    assert.deepEqual([...back.data], [...data]);
  });

  test('float32, 4-D [B,H,N,D]', () => {
    const shape = [2, 3, 5, 4];
    const data = Float32Array.from({ length: 120 }, (_, i) => i * 0.5 - 7);
    const bytes = encodeNpy(data, shape);
    const back = parseNpy(bytes);
    assert.deepEqual(back.shape, shape);
    assert.deepEqual([...back.data], [...data]);
  });

  test('int32, 1-D and 4-D', () => {
    const lens = Int32Array.from([7, 0, -3, 2147483647]);
    const back = parseNpy(encodeNpy(lens, [4]));
    assert.equal(back.dtype, '<i4');
    assert.ok(back.data instanceof Int32Array);
    assert.deepEqual([...back.data], [...lens]);
    const four = Int32Array.from({ length: 16 }, (_, i) => i - 8);
    const b4 = parseNpy(encodeNpy(four, [1, 2, 2, 4]));
    assert.deepEqual(b4.shape, [1, 2, 2, 4]);
    assert.deepEqual([...b4.data], [...four]);
  });

  test('the encoding is the one numpy writes: format 1.0, data on a 64-byte boundary, C order', () => {
    const bytes = encodeNpy(new Float32Array(6), [2, 3]);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLen = bytes[8] | (bytes[9] << 8);
    assert.equal((10 + headerLen) % 64, 0);
    assert.equal(bytes.length, 10 + headerLen + 24);
    const header = Buffer.from(bytes.subarray(10, 10 + headerLen)).toString('latin1');
    assert.ok(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header);
    assert.ok(header.endsWith('\n'));
    assert.match(header, /^[^\n]*\n$/, 'one line');
    // a 1-D shape is written as a Python 1-tuple
    const one = Buffer.from(encodeNpy(new Int32Array(3), [3])).toString('latin1');
    assert.ok(one.includes("'descr': '<i4'") && one.includes("'shape': (3,), }"), one);
  });

  test('from a Node Buffer, as readFileSync returns it (Buffer.slice is a view into a shared pool)', () => {
    const data = Float32Array.from([0.5, -1.25, 3]);
    const lens = Int32Array.from([8, -1]);
    // small Buffers are carved out of one pooled ArrayBuffer, at a non-zero offset
    const pooled = Buffer.from(encodeNpy(data, [3]));
    assert.deepEqual([...parseNpy(pooled).data], [...data]);
    assert.deepEqual([...parseNpy(Buffer.from(encodeNpy(lens, [2]))).data], [8, -1]);
    const tmp = tempDir();
    try {
      writeFileSync(tmp.path('x.npy'), encodeNpy(data, [1, 1, 1, 3]));
      const read = parseNpy(readFileSync(tmp.path('x.npy')));
      assert.deepEqual(read.shape, [1, 1, 1, 3]);
      assert.deepEqual([...read.data], [...data]);
      // the result owns its memory: it is not a window onto the file's bytes
      assert.equal(read.data.byteOffset, 0);
      assert.equal(read.data.buffer.byteLength, 12);
    } finally {
      tmp.cleanup();
    }
  });

  test('a subarray view encodes only its own elements', () => {
    const big = Float32Array.from([9, 9, 1, 2, 3, 9]);
    const back = parseNpy(encodeNpy(big.subarray(2, 5), [3]));
    assert.deepEqual([...back.data], [1, 2, 3]);
  });
});

describe('parseNpy on files numpy writes', () => {
  test("np.save of a float32 (2, 3) array (numpy's exact header bytes)", () => {
    const bytes = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f32Bytes([0, 1, 2, 3, 4, 5]));
    // what numpy 1.x/2.x writes: 128-byte header (length field 118), then 24 bytes of data
    assert.equal(bytes.length, 152);
    assert.deepEqual([...bytes.subarray(0, 10)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
    const a = parseNpy(bytes);
    assert.equal(a.dtype, '<f4');
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual([...a.data], [0, 1, 2, 3, 4, 5]);
  });

  test('older writers: header aligned to 16 bytes only; int32 lengths; |f4 descr', () => {
    const a = parseNpy(npyFile("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(Int32Array.from([5, 6, 7]).buffer), { total: 80 }));
    assert.equal(a.dtype, '<i4');
    assert.deepEqual(a.shape, [3]);
    assert.deepEqual([...a.data], [5, 6, 7]);
    const b = parseNpy(npyFile("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", f32Bytes([2.5])));
    assert.equal(b.dtype, '<f4');
    assert.deepEqual([...b.data], [2.5]);
  });

  test('data at an offset that is not a multiple of 4 is still read correctly', () => {
    const bytes = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32Bytes([1.25, -8]), { total: 71 });
    assert.deepEqual([...parseNpy(bytes).data], [1.25, -8]);
  });

  test('scalar and empty shapes', () => {
    const scalar = parseNpy(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f32Bytes([4])));
    assert.deepEqual(scalar.shape, []);
    assert.deepEqual([...scalar.data], [4]);
    const empty = parseNpy(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", new Uint8Array(0)));
    assert.deepEqual(empty.shape, [0, 4]);
    assert.equal(empty.data.length, 0);
  });

  test('format 2.0 (4-byte header length) is read', () => {
    const bytes = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 2), }", f32Bytes([3, 4]), { major: 2 });
    assert.equal(bytes[6], 2);
    const a = parseNpy(bytes);
    assert.deepEqual(a.shape, [1, 1, 1, 2]);
    assert.deepEqual([...a.data], [3, 4]);
  });
});

describe('parseNpy refuses', () => {
  test('float64 with a sentence that says to use float32', () => {
    const bytes = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", new Uint8Array(48));
    refuses(
      bytes,
      "--q 'q.npy' has dtype '<f8'; attnprof needs little-endian float32 ('<f4') or float16 ('<f2') tensors (int32 for lengths): use arr.astype(numpy.float32).",
      "--q 'q.npy'",
    );
  });

  test('big-endian float32 and float16', () => {
    refuses(npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(12)), /has dtype '>f4'.*float32/);
    refuses(npyFile("{'descr': '>f2', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(6)), /has dtype '>f2'.*float16/);
  });

  test("little-endian float16 ('<f2') reads as float32 values and round-trips", () => {
    const values = Float32Array.from([0, 1, -2.5, 65504, 6.103515625e-5, 0.333251953125]); // all exact in f16
    const a = parseNpy(encodeNpy(values, [2, 3], { half: true }));
    assert.equal(a.dtype, '<f2');
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual([...a.data], [...values]);
    refuses(npyFile("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", new Uint8Array(6)), /truncated: the header promises 4 values, the file holds 3/);
  });

  test('Fortran order', () => {
    refuses(
      npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", new Uint8Array(24)),
      'the file is in Fortran order; save it with numpy.ascontiguousarray first.',
    );
  });

  test('truncated data says how much is there', () => {
    refuses(
      npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f32Bytes([1, 2, 3, 4, 5])),
      'k.npy is truncated: the header promises 6 values, the file holds 5.',
      'k.npy',
    );
    const cut = encodeNpy(new Float32Array(4), [4]);
    refuses(cut.subarray(0, cut.length - 1), /is truncated: the header promises 4 values, the file holds 3\./);
  });

  test('not a .npy file: bad magic, too short, text', () => {
    const good = encodeNpy(new Float32Array(2), [2]);
    const bad = good.slice();
    bad[1] = 0x58; // \x93XUMPY
    refuses(bad, 'the file is not a .npy file.');
    refuses(good.subarray(0, 9), 'the file is not a .npy file.');
    refuses(new TextEncoder().encode('{"q": [1, 2, 3]}'), 'v.json is not a .npy file.', 'v.json');
    refuses(new Uint8Array(0), 'the file is not a .npy file.');
  });

  test('unknown format versions', () => {
    const bytes = encodeNpy(new Float32Array(2), [2]).slice();
    bytes[6] = 4;
    refuses(bytes, 'the file uses .npy format version 4, which attnprof does not read.');
    bytes[6] = 0;
    refuses(bytes, /format version 0/);
  });

  test('malformed headers', () => {
    refuses(npyFile("{'descr': '<f4', 'fortran_order': False, }", new Uint8Array(4)), 'the file has a malformed .npy header.');
    refuses(npyFile("{'descr': '<f4', 'shape': (1,), }", new Uint8Array(4)), 'the file has a malformed .npy header.');
    refuses(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", new Uint8Array(8)), 'the file has a malformed shape (2, x).');
    refuses(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", new Uint8Array(8)), /malformed shape \(-1,\)/);
  });
});
