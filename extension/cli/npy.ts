/**
 * NumPy .npy (format 1.0–3.0) for the tensors `attnprof run` reads and writes: little-endian float32
 * (`<f4`) or int32 (`<i4`), C order. Anything else is refused with a sentence saying what was found.
 */
export interface NpyArray {
  dtype: '<f4' | '<i4';
  shape: number[];
  data: Float32Array | Int32Array;
}

export class NpyError extends Error {
  override name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function parseNpy(bytes: Uint8Array, what = 'the file'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyError(`${what} is not a .npy file.`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new NpyError(`${what} uses .npy format version ${major}, which attnprof does not read.`);
  }
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError(`${what} has a malformed .npy header.`);
  if (fortran === 'True') throw new NpyError(`${what} is in Fortran order; save it with numpy.ascontiguousarray first.`);
  const dtype = descr === '<f4' || descr === '|f4' ? '<f4' : descr === '<i4' || descr === '|i4' ? '<i4' : undefined;
  if (!dtype) {
    throw new NpyError(`${what} has dtype '${descr}'; attnprof needs little-endian float32 ('<f4') tensors (int32 for lengths): use arr.astype(numpy.float32).`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NpyError(`${what} has a malformed shape (${shapeText}).`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (bytes.length - dataStart < count * 4) {
    throw new NpyError(`${what} is truncated: the header promises ${count} values, the file holds ${Math.floor((bytes.length - dataStart) / 4)}.`);
  }
  // Copy into an aligned buffer of its own: the data offset in the file need not be a multiple of 4, and
  // `bytes` may be a Node Buffer, whose slice() is a view into a larger (pooled) ArrayBuffer, not a copy.
  const copy = new Uint8Array(count * 4);
  copy.set(bytes.subarray(dataStart, dataStart + count * 4));
  const data = dtype === '<f4' ? new Float32Array(copy.buffer, 0, count) : new Int32Array(copy.buffer, 0, count);
  return { dtype, shape, data };
}

export function encodeNpy(data: Float32Array | Int32Array, shape: number[]): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
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
