/**
 * Sequence lengths from a file, streamed: a million-line file is read a chunk at a time and only the lengths
 * are kept (4 bytes each), never the text. Formats:
 * - text: one integer per line (blank lines and `#` comments skipped);
 * - JSONL: per record `length`, else the length of `input_ids`, else `text` as a token estimate (≈ chars/4 for
 *   Latin script, 1 per CJK character), the estimate labelled as such;
 * - .npy: a little-endian integer array of any shape (int8–int64, uint8–uint64);
 * - histogram: `length,count` CSV lines (a header line allowed), or a JSON object `{ "length": count }`.
 * Bad lines are counted (the first few reported with their line numbers), never fatal; no valid length at all
 * is an error.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { printable } from '../model/types';
import type { BadLine, LengthsFormat, LengthsSource } from './types';

export class LengthsError extends Error {
  override name = 'LengthsError';
}

/** Longer than any context window: a larger number is a typo or a corrupt record, and its square stays exact. */
export const MAX_SEQUENCE_LENGTH = 2 ** 26;
/** A histogram expands to one entry per sequence (4 bytes each): 128 MiB at most. */
export const MAX_SEQUENCES = 2 ** 25;
const BAD_LINES_KEPT = 5;
/** Same bound as cli/npy.ts: numpy's own limit is 10 000 bytes. */
const MAX_NPY_HEADER_BYTES = 65536;
/** JSON histograms are read whole (they are small by nature); beyond this the file is not a histogram. */
const MAX_JSON_HISTOGRAM_BYTES = 64 * 1024 * 1024;

export interface LengthsInput {
  /** Lengths in dataset order (histograms: expanded, then shuffled deterministically; see `source.order`). */
  lengths: Int32Array;
  source: LengthsSource;
}

export interface ReadLengthsOptions {
  format?: LengthsFormat;
  /** Bytes per read from the file (tests use a small value to prove streaming). Default 64 KiB. */
  highWaterMark?: number;
}

/** A growable Int32Array: lengths only, doubling as needed. */
class LengthBuffer {
  private data = new Int32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === MAX_SEQUENCES) throw new LengthsError(`more than ${MAX_SEQUENCES} sequences; analyse a sample of the dataset.`);
    if (this.length === this.data.length) {
      const next = new Int32Array(Math.min(this.data.length * 2, MAX_SEQUENCES));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  /** A view, not a copy: the buffer is at most twice the lengths, and a copy of 10M lengths is 40 MB more at the peak. */
  result(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

class BadLines {
  count = 0;
  first: BadLine[] = [];

  add(line: number, reason: string): void {
    this.count++;
    // Reasons quote the file's text: control characters are escaped before they reach a terminal or a view.
    if (this.first.length < BAD_LINES_KEPT) this.first.push({ line, reason: printable(reason) });
  }
}

function lengthValue(v: unknown): number | string {
  if (typeof v !== 'number' || !Number.isInteger(v)) return `length ${JSON.stringify(v)} is not an integer`;
  if (v < 1) return `length ${v} is not positive`;
  if (v > MAX_SEQUENCE_LENGTH) return `length ${v} is over ${MAX_SEQUENCE_LENGTH}`;
  return v;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;

/**
 * Token estimate for text without a tokenizer: BPE vocabularies of Latin-script models average about 4
 * characters per token, while CJK characters are mostly one token each.
 */
export function estimateTokens(text: string): number {
  const cjk = text.match(CJK)?.length ?? 0;
  let chars = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) chars++; // code points: a surrogate pair counts once
  }
  return cjk + Math.ceil((chars - cjk) / 4);
}

/** Picks the format from the extension, else from the first non-blank line. */
export async function detectFormat(file: string): Promise<LengthsFormat> {
  const ext = extname(file).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv' || ext === '.tsv') return 'histogram-csv';
  const handle = await openOrThrow(file);
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead).toString('utf8');
    const firstLine = head.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#'))?.trim() ?? '';
    if (ext === '.json') {
      // One object spanning the file is a histogram; one object per line is JSONL.
      return /^\{[^{}]*\}$/.test(firstLine) && /"(length|input_ids|text)"\s*:/.test(firstLine) ? 'jsonl' : 'histogram-json';
    }
    if (firstLine.startsWith('{')) return 'jsonl';
    if (/[,\t]/.test(firstLine)) return 'histogram-csv';
    return 'text';
  } finally {
    await handle.close();
  }
}

/** Opens a regular file (not a folder, not /dev/zero or a pipe that never ends) or says why not. */
async function openOrThrow(file: string): Promise<fs.FileHandle> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LengthsError(`cannot read lengths file '${file}': ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}.`);
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    throw new LengthsError(`lengths file '${file}' is ${st.isDirectory() ? 'a folder' : 'not a regular file'}; give a text, JSONL, .npy or histogram file.`);
  }
  return handle;
}

/**
 * Longest line kept (a JSONL record with its text included). A longer line is counted as bad and skipped
 * without being held: one 600 MB line must not take the process's memory.
 */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** Lines of a text stream (\n or \r\n); a line over `maxChars` comes out as null. */
export async function* boundedLines(stream: AsyncIterable<string>, maxChars = MAX_LINE_CHARS): AsyncGenerator<string | null> {
  let carry = '';
  let skipping = false;
  const done = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line);
  for await (const chunk of stream) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (skipping || carry.length + piece.length > maxChars) {
        skipping = false;
        carry = '';
        yield null;
      } else {
        const line = carry + piece;
        carry = '';
        yield done(line);
      }
    }
    if (skipping) continue;
    const rest = chunk.slice(start);
    if (carry.length + rest.length > maxChars) {
      carry = '';
      skipping = true;
    } else carry += rest;
  }
  if (skipping) yield null;
  else if (carry.length) yield done(carry);
}

async function* linesOf(stream: Readable): AsyncGenerator<string | null> {
  try {
    yield* boundedLines(stream as AsyncIterable<string>);
  } finally {
    stream.destroy();
  }
}

/** Lines → lengths for the line formats. */
async function lengthsFromLines(
  lines: AsyncIterable<string | null>,
  format: 'text' | 'jsonl' | 'histogram-csv',
): Promise<{ lengths: LengthBuffer; bad: BadLines; estimatedCount: number; histogram: Map<number, number> | undefined }> {
  const lengths = new LengthBuffer();
  const bad = new BadLines();
  const histogram = format === 'histogram-csv' ? new Map<number, number>() : undefined;
  let estimatedCount = 0;
  let lineNo = 0;
  let sawData = false;
  for await (const raw of lines) {
    lineNo++;
    if (raw === null) {
      bad.add(lineNo, `line longer than ${MAX_LINE_CHARS / 1048576} Mi characters`);
      continue;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (format === 'text') {
      const v = /^[+-]?\d+$/.test(line) ? lengthValue(Number(line)) : `'${line.slice(0, 40)}' is not an integer`;
      if (typeof v === 'number') lengths.push(v);
      else bad.add(lineNo, v);
    } else if (format === 'jsonl') {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        bad.add(lineNo, 'not valid JSON');
        continue;
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        bad.add(lineNo, 'not a JSON object');
        continue;
      }
      const r = record as Record<string, unknown>;
      let v: number | string;
      if (Object.hasOwn(r, 'length')) v = lengthValue(r.length);
      else if (Object.hasOwn(r, 'input_ids') && Array.isArray(r.input_ids)) v = lengthValue(r.input_ids.length);
      else if (Object.hasOwn(r, 'text') && typeof r.text === 'string') {
        v = lengthValue(estimateTokens(r.text));
        if (typeof v === 'number') estimatedCount++;
        else v = 'text is empty';
      } else v = 'no length, input_ids or text';
      if (typeof v === 'number') lengths.push(v);
      else bad.add(lineNo, v);
    } else {
      const cells = line.split(/[,\t]/).map((c) => c.trim());
      const numeric = cells.length === 2 && cells.every((c) => /^\d+$/.test(c));
      if (!numeric) {
        // A first line of names (length,count) is a header, not a bad line.
        if (!sawData && cells.some((c) => /[a-z]/i.test(c)) && cells.every((c) => !/^\d+$/.test(c))) continue;
        bad.add(lineNo, `'${line.slice(0, 40)}' is not 'length,count'`);
        continue;
      }
      sawData = true;
      const v = lengthValue(Number(cells[0]));
      const count = Number(cells[1]);
      if (typeof v !== 'number') bad.add(lineNo, v);
      else if (!Number.isSafeInteger(count)) bad.add(lineNo, `count ${cells[1]} is too large`);
      else histogram?.set(v, (histogram.get(v) ?? 0) + count);
    }
  }
  return { lengths, bad, estimatedCount, histogram };
}

/** Seeded Fisher–Yates (mulberry32): the same file gives the same `dynamic` batches on every run. */
export function shuffleInPlace(a: Int32Array, seed: number): void {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

export const HISTOGRAM_SHUFFLE_SEED = 1;

function expandHistogram(histogram: Map<number, number>): Int32Array {
  let n = 0;
  for (const count of histogram.values()) n += count;
  if (n > MAX_SEQUENCES) throw new LengthsError(`the histogram counts ${n} sequences, more than ${MAX_SEQUENCES}; scale the counts down.`);
  const out = new Int32Array(n);
  let at = 0;
  for (const [len, count] of [...histogram].sort((a, b) => a[0] - b[0])) {
    out.fill(len, at, at + count);
    at += count;
  }
  shuffleInPlace(out, HISTOGRAM_SHUFFLE_SEED);
  return out;
}

async function readJsonHistogram(file: string, bad: BadLines): Promise<Map<number, number>> {
  const handle = await openOrThrow(file);
  let text: string;
  try {
    const stat = await handle.stat();
    if (stat.size > MAX_JSON_HISTOGRAM_BYTES) {
      throw new LengthsError(`'${file}' is ${stat.size} bytes: too large for a JSON histogram; use JSONL or one length per line.`);
    }
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new LengthsError(`'${file}' is not valid JSON (${(e as Error).message}); a histogram is { "length": count, … }.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LengthsError(`'${file}' is not a JSON object; a histogram is { "length": count, … }.`);
  }
  const histogram = new Map<number, number>();
  Object.entries(value as Record<string, unknown>).forEach(([key, count], i) => {
    const v = /^\d+$/.test(key) ? lengthValue(Number(key)) : `key '${key.slice(0, 40)}' is not a length`;
    if (typeof v !== 'number') bad.add(i + 1, v);
    else if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) bad.add(i + 1, `count of ${key} is not a non-negative integer`);
    else histogram.set(v, (histogram.get(v) ?? 0) + count);
  });
  return histogram;
}

const NPY_INTS: Record<string, { bytes: number; read: (v: DataView, at: number) => number | bigint }> = {
  i1: { bytes: 1, read: (v, at) => v.getInt8(at) },
  u1: { bytes: 1, read: (v, at) => v.getUint8(at) },
  i2: { bytes: 2, read: (v, at) => v.getInt16(at, true) },
  u2: { bytes: 2, read: (v, at) => v.getUint16(at, true) },
  i4: { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  u4: { bytes: 4, read: (v, at) => v.getUint32(at, true) },
  i8: { bytes: 8, read: (v, at) => v.getBigInt64(at, true) },
  u8: { bytes: 8, read: (v, at) => v.getBigUint64(at, true) },
};

/** .npy integer arrays, read in chunks (extends cli/npy.ts's header parsing to every integer width). */
async function readNpyLengths(file: string, lengths: LengthBuffer, bad: BadLines, chunkBytes: number): Promise<void> {
  const handle = await openOrThrow(file);
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
    if (bytesRead < 10 || magic.some((b, i) => head[i] !== b)) throw new LengthsError(`'${file}' is not a .npy file.`);
    const major = head[6];
    if (major < 1 || major > 3) throw new LengthsError(`'${file}' uses .npy format version ${major}, which attnprof does not read.`);
    const start = major === 1 ? 10 : 12;
    const headerLen = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    const { size } = await handle.stat();
    // numpy writes headers of a few hundred bytes (np.load refuses over 10 000): a bigger claim is corruption.
    if (headerLen > MAX_NPY_HEADER_BYTES) throw new LengthsError(`'${file}' has a .npy header of ${headerLen} bytes: the file is corrupt.`);
    if (start + headerLen > size) throw new LengthsError(`'${file}' is truncated inside its .npy header (${start + headerLen} bytes promised, ${size} present).`);
    const headerBuf = Buffer.alloc(headerLen);
    await handle.read(headerBuf, 0, headerLen, start);
    const header = headerBuf.toString('latin1');
    const descr = /'descr'\s*:\s*'([<>|=])([a-z]\d+)'/.exec(header);
    const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
    const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
    if (!descr || !fortran || shapeText === undefined) throw new LengthsError(`'${file}' has a malformed .npy header.`);
    const kind = NPY_INTS[descr[2]];
    if (!kind || descr[1] === '>' || (descr[1] === '|' && kind.bytes > 1)) {
      throw new LengthsError(`'${file}' has dtype '${descr[1]}${descr[2]}'; lengths must be a little-endian integer array (e.g. int32, int64).`);
    }
    const dims = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new LengthsError(`'${file}' has a malformed shape (${shapeText}).`);
    // Element order does not matter for a flat list of lengths, so Fortran order is as good as C order.
    const count = dims.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count)) throw new LengthsError(`'${file}' claims ${dims.join('×')} values: the header is corrupt.`);
    const dataStart = start + headerLen;
    if (size - dataStart < count * kind.bytes) {
      throw new LengthsError(`'${file}' is truncated: the header promises ${count} values, the file holds ${Math.floor((size - dataStart) / kind.bytes)}.`);
    }
    const per = Math.max(1, Math.floor(chunkBytes / kind.bytes));
    const buf = Buffer.alloc(per * kind.bytes);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let done = 0; done < count; ) {
      const take = Math.min(per, count - done);
      await handle.read(buf, 0, take * kind.bytes, dataStart + done * kind.bytes);
      for (let e = 0; e < take; e++) {
        const raw = kind.read(view, e * kind.bytes);
        const v = typeof raw === 'bigint' ? (raw <= BigInt(MAX_SEQUENCE_LENGTH) && raw >= -1n ? Number(raw) : MAX_SEQUENCE_LENGTH + 1) : raw;
        const checked = lengthValue(v);
        if (typeof checked === 'number') lengths.push(checked);
        else bad.add(done + e + 1, checked);
      }
      done += take;
    }
  } finally {
    await handle.close();
  }
}

export async function readLengths(file: string, options: ReadLengthsOptions = {}): Promise<LengthsInput> {
  const format = options.format ?? (await detectFormat(file));
  const highWaterMark = options.highWaterMark ?? 64 * 1024;
  const bad = new BadLines();
  let lengths: Int32Array;
  let estimatedCount = 0;
  let histogram: Map<number, number> | undefined;
  if (format === 'npy') {
    const buffer = new LengthBuffer();
    await readNpyLengths(file, buffer, bad, highWaterMark);
    lengths = buffer.result();
  } else if (format === 'histogram-json') {
    histogram = await readJsonHistogram(file, bad);
    lengths = expandHistogram(histogram);
  } else {
    await (await openOrThrow(file)).close(); // a clear error for a missing file before the stream starts
    const stream = createReadStream(file, { encoding: 'utf8', highWaterMark });
    const r = await lengthsFromLines(linesOf(stream), format);
    for (const b of r.bad.first) bad.first.push(b);
    bad.count = r.bad.count;
    estimatedCount = r.estimatedCount;
    histogram = r.histogram;
    lengths = histogram ? expandHistogram(histogram) : r.lengths.result();
  }
  if (lengths.length === 0) {
    const why = bad.count ? ` (${bad.count} bad lines; first: line ${bad.first[0].line}: ${bad.first[0].reason})` : '';
    throw new LengthsError(`'${file}' holds no valid sequence length${why}.`);
  }
  const shuffled = histogram !== undefined;
  return {
    lengths,
    source: {
      file,
      format,
      estimated: estimatedCount > 0,
      estimatedCount,
      order: shuffled ? 'shuffled' : 'file',
      ...(shuffled ? { shuffleSeed: HISTOGRAM_SHUFFLE_SEED } : {}),
      badLines: { count: bad.count, first: bad.first },
    },
  };
}
