/**
 * NumPy .npy (format 1.0–3.0) for the tensors `attnprof run` reads and writes: little-endian float32
 * (`<f4`), float16 (`<f2`, read into float32 values) or int32 (`<i4`), C order. Anything else is refused with a
 * sentence saying what was found.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { fromHalfArray, toHalfArray } from '../../kernels/f16';

export type NpyDtype = '<f2' | '<f4' | '<i4';

export interface NpyArray {
  /** As stored; `<f2` values arrive as float32 (every half is exactly a float). */
  dtype: NpyDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

export class NpyError extends Error {
  override name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy itself refuses headers over 10 000 bytes (np.load's max_header_size); a larger claim is a corrupt file. */
export const MAX_NPY_HEADER_BYTES = 65536;
/** The largest tensor read into memory: 2^29 float32 values (2 GiB), beyond what a profiled problem may hold. */
export const MAX_NPY_DATA_BYTES = 2 ** 31;

const BYTES: Record<NpyDtype, number> = { '<f2': 2, '<f4': 4, '<i4': 4 };

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  count: number;
  /** Byte offset of the data. */
  dataStart: number;
}

/**
 * The header of a .npy file from its first bytes (at least the 12 of the prefix; the whole header when
 * `need` is asked for: `{ need }` is returned instead while `head` is too short).
 */
export function parseNpyHeader(head: Uint8Array, what = 'the file'): NpyHeader | { need: number } {
  if (head.length < 10 || MAGIC.some((b, i) => head[i] !== b)) throw new NpyError(`${what} is not a .npy file.`);
  const major = head[6];
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (head.length < 12) throw new NpyError(`${what} is truncated inside its .npy header.`);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new NpyError(`${what} uses .npy format version ${major}, which attnprof does not read.`);
  }
  if (headerLen > MAX_NPY_HEADER_BYTES) {
    throw new NpyError(`${what} has a .npy header of ${headerLen} bytes: the file is corrupt (numpy writes a few hundred).`);
  }
  if (head.length < start + headerLen) return { need: start + headerLen };
  const header = new TextDecoder('latin1').decode(head.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError(`${what} has a malformed .npy header.`);
  if (fortran === 'True') throw new NpyError(`${what} is in Fortran order; save it with numpy.ascontiguousarray first.`);
  const dtype = descr === '<f4' || descr === '|f4' ? '<f4' : descr === '<f2' ? '<f2' : descr === '<i4' || descr === '|i4' ? '<i4' : undefined;
  if (!dtype) {
    throw new NpyError(`${what} has dtype '${descr.slice(0, 20)}'; attnprof needs little-endian float32 ('<f4') or float16 ('<f2') tensors (int32 for lengths): use arr.astype(numpy.float32).`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.length > 32 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new NpyError(`${what} has a malformed shape (${shapeText.slice(0, 60)}).`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count * BYTES[dtype] > MAX_NPY_DATA_BYTES) {
    throw new NpyError(`${what} claims ${count} values (${shape.join('×')}), more than the ${MAX_NPY_DATA_BYTES / 4} attnprof reads.`);
  }
  return { dtype, shape, count, dataStart: start + headerLen };
}

function truncated(what: string, h: NpyHeader, available: number): NpyError {
  return new NpyError(`${what} is truncated: the header promises ${h.count} values, the file holds ${Math.max(0, Math.floor(available / BYTES[h.dtype]))}.`);
}

/** The array from its data bytes, copied into an aligned buffer of its own. */
function arrayOf(h: NpyHeader, data: Uint8Array): NpyArray {
  // The data offset in the file need not be a multiple of 4, and `bytes` may be a Node Buffer, whose
  // slice() is a view into a larger (pooled) ArrayBuffer, not a copy.
  const bytes = h.count * BYTES[h.dtype];
  const copy = new Uint8Array(bytes);
  copy.set(data.subarray(0, bytes));
  const values =
    h.dtype === '<f4' ? new Float32Array(copy.buffer, 0, h.count) : h.dtype === '<f2' ? fromHalfArray(new Uint16Array(copy.buffer, 0, h.count)) : new Int32Array(copy.buffer, 0, h.count);
  return { dtype: h.dtype, shape: h.shape, data: values };
}

export function parseNpy(bytes: Uint8Array, what = 'the file'): NpyArray {
  const h = parseNpyHeader(bytes, what);
  if ('need' in h) throw new NpyError(`${what} is truncated inside its .npy header (${h.need} bytes promised, ${bytes.length} present).`);
  const available = bytes.length - h.dataStart;
  if (available < h.count * BYTES[h.dtype]) throw truncated(what, h, available);
  return arrayOf(h, bytes.subarray(h.dataStart));
}

/**
 * A .npy file read without trusting its header: a regular file only (not a folder, not /dev/zero), the
 * header bounded, and exactly the promised data read, so a corrupt 4 GiB claim costs a sentence, not memory.
 */
export function readNpyFile(path: string, what: string): NpyArray {
  let fd: number | undefined;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new NpyError(`${what} is a folder, not a .npy file.`);
    if (!st.isFile()) throw new NpyError(`${what} is not a regular file.`);
    fd = openSync(path, 'r');
    const prefix = Buffer.alloc(Math.min(st.size, 12 + 4096));
    readSync(fd, prefix, 0, prefix.length, 0);
    let h = parseNpyHeader(prefix, what);
    if ('need' in h) {
      if (h.need > st.size) throw new NpyError(`${what} is truncated inside its .npy header (${h.need} bytes promised, ${st.size} present).`);
      const head = Buffer.alloc(h.need);
      readSync(fd, head, 0, h.need, 0);
      h = parseNpyHeader(head, what) as NpyHeader;
    }
    const available = st.size - h.dataStart;
    if (available < h.count * BYTES[h.dtype]) throw truncated(what, h, available);
    const data = Buffer.alloc(h.count * BYTES[h.dtype]);
    for (let done = 0; done < data.length; ) {
      const n = readSync(fd, data, done, data.length - done, h.dataStart + done);
      if (n === 0) throw truncated(what, h, done);
      done += n;
    }
    return arrayOf(h, data);
  } catch (e) {
    if (e instanceof NpyError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new NpyError(`cannot read ${what}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}.`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `half`: float32 values written as float16 (`<f2`, rounded to nearest even). */
export function encodeNpy(values: Float32Array | Int32Array, shape: number[], opts: { half?: boolean } = {}): Uint8Array {
  const half = opts.half && values instanceof Float32Array;
  const data = half ? toHalfArray(values) : values;
  const descr = half ? '<f2' : values instanceof Float32Array ? '<f4' : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Header padded with spaces and ending in \n so the data starts on a 64-byte boundary (format 1.0).
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
