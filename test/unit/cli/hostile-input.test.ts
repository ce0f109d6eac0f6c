/**
 * Inputs from issue 12's fuzzing pass that once escaped the CLI as a stack trace, an abort (exit 134) or a
 * stall: output paths into missing folders or onto folders, lengths files that are folders, devices or one
 * giant line, .npy headers that lie. Each is now exit 2 and one sentence, and is caught before any GPU work
 * (`--adapter no-such-adapter` would make a GPU open fail with exit 1, so exit 2 proves the order).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { internalErrorLine, main } from '../../../extension/cli/main';
import { encodeNpy } from '../../../extension/cli/npy';
import { tempDir } from '../helpers';

const tmp = tempDir('attnprof-hostile-cli-');
after(() => tmp.cleanup());

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out, err };
}

/** Exit 2, one line on stderr matching `message`, no stack trace, and no file written in the temp folder. */
async function refused(argv: string[], message: RegExp): Promise<void> {
  const before = readdirSync(tmp.dir).sort();
  const r = await cli(...argv);
  const what = `attnprof ${argv.join(' ')}`;
  assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr ${JSON.stringify(r.err)}`);
  assert.equal(r.err.length, 1, `${what}: ${JSON.stringify(r.err)}`);
  assert.ok(!r.err[0].includes('\n') && !/\bat .*:\d+:\d+/.test(r.err[0]), `${what}: stack: ${r.err[0]}`);
  assert.match(r.err[0], message, what);
  assert.deepEqual(readdirSync(tmp.dir).sort(), before, `${what} wrote a file`);
}

const NO_GPU = ['--adapter', 'no-such-adapter'];
const SHAPE = ['profile', '--shape', '1,1,1,4,64', ...NO_GPU];

function npyWithHeaderLength(major: 1 | 2, headerLen: number): Uint8Array {
  const dict = Buffer.from("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 4, 64), }\n", 'latin1');
  const prefix = Buffer.alloc(major === 1 ? 10 : 12);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  if (major === 1) prefix.writeUInt16LE(headerLen, 8);
  else prefix.writeUInt32LE(headerLen, 8);
  return Buffer.concat([prefix, dict]);
}

describe('output paths are checked before any GPU work', () => {
  const missing = tmp.path('no-such-folder/report.json');
  test('profile --json / --trace into a missing folder or onto a folder', async () => {
    await refused([...SHAPE, '--json', missing], /^attnprof: --json '.*report\.json': the folder '.*no-such-folder' does not exist\.$/);
    await refused([...SHAPE, '--trace', tmp.dir], /^attnprof: --trace '.*' is a folder; give a file path inside it\.$/);
    await refused([...SHAPE, '--json', ''], /^attnprof: --json needs a file path/);
  });

  test('run --out and padding --json', async () => {
    const q = tmp.path('q.npy');
    writeFileSync(q, encodeNpy(new Float32Array(4 * 64), [1, 1, 4, 64]));
    const run = ['run', '--kernel', 'flash', '--q', q, '--k', q, '--v', q, ...NO_GPU];
    await refused([...run, '--out', missing], /^attnprof: --out '.*' the folder '.*' does not exist\.$|does not exist/);
    await refused([...run, '--out', tmp.dir], /is a folder; give a file path inside it/);
    await refused([...run, '--out', '-'], /--out needs a file path; '-' \(stdout\) is not supported/);
    const lengths = tmp.path('lengths.txt');
    writeFileSync(lengths, '5\n7\n');
    await refused(['padding', '--lengths', lengths, '--json', missing], /^attnprof: --json '.*' the folder '.*' does not exist\.$|does not exist/);
  });
});

describe('lengths files that are not files, or lie', () => {
  test('a folder and a device are refused by name', async () => {
    await refused(['padding', '--lengths', tmp.dir], /^attnprof: lengths file '.*' is a folder; give a text, JSONL, \.npy or histogram file\.$/);
    for (const format of ['text', 'histogram-json', 'npy']) {
      await refused(['padding', '--lengths', tmp.dir, '--lengths-format', format], /is a folder/);
    }
    if (existsSync('/dev/zero')) await refused(['padding', '--lengths', '/dev/zero'], /^attnprof: lengths file '\/dev\/zero' is not a regular file/);
  });

  test('.npy headers claiming 2 GiB or 4 GiB, and a header length past the end of the file', async () => {
    for (const [name, bytes, message] of [
      ['h2g.npy', npyWithHeaderLength(2, 2 ** 31), /has a \.npy header of 2147483648 bytes: the file is corrupt/],
      ['h4g.npy', npyWithHeaderLength(2, 2 ** 32 - 1), /has a \.npy header of 4294967295 bytes: the file is corrupt/],
      ['lie.npy', npyWithHeaderLength(1, 60000), /is truncated inside its \.npy header \(60010 bytes promised, \d+ present\)/],
    ] as const) {
      const file = tmp.path(name);
      writeFileSync(file, bytes);
      await refused(['padding', '--lengths', file], message);
      await refused(['run', '--kernel', 'flash', '--q', file, '--k', file, '--v', file, '--out', tmp.path('o.npy'), ...NO_GPU], message);
    }
  });

  test('.npy whose shape claims more values than attnprof reads, or that is a folder', async () => {
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 64), }";
    const file = tmp.path('huge-shape.npy');
    writeFileSync(file, Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, dict.length + 1, 0]), Buffer.from(dict + '\n', 'latin1')]));
    await refused(['run', '--kernel', 'flash', '--q', file, '--k', file, '--v', file, '--out', tmp.path('o.npy'), ...NO_GPU], /claims 274877906944 values/);
    const dir = tmp.path('q-folder.npy');
    mkdirSync(dir);
    await refused(['run', '--kernel', 'flash', '--q', dir, '--k', dir, '--v', dir, '--out', tmp.path('o.npy'), ...NO_GPU], /--q '.*' is a folder, not a \.npy file/);
  });
});

describe('non-finite tensors', () => {
  test('run refuses NaN or ±Inf in q, k or v with the tensor and the first index', async () => {
    const shape = [1, 2, 4, 64];
    const good = tmp.path('good.npy');
    writeFileSync(good, encodeNpy(new Float32Array(2 * 4 * 64).fill(0.5), shape));
    for (const [name, value] of [['q', Number.NaN], ['k', Infinity], ['v', -Infinity]] as const) {
      const data = new Float32Array(2 * 4 * 64).fill(0.5);
      data[1 * 4 * 64 + 3 * 64 + 5] = value;
      const bad = tmp.path(`bad-${name}.npy`);
      writeFileSync(bad, encodeNpy(data, shape));
      const files = { q: good, k: good, v: good, [name]: bad };
      await refused(
        ['run', '--kernel', 'flash', '--q', files.q, '--k', files.k, '--v', files.v, '--out', tmp.path('o.npy'), ...NO_GPU],
        new RegExp(`^attnprof: --${name} holds ${String(value).replace('+', '')} at index \\[0,1,3,5\\]: attention of non-finite inputs`),
      );
    }
  });
});

describe('flags named like JavaScript built-ins', () => {
  test('--constructor and --toString are unknown options', async () => {
    await refused(['profile', '--constructor', 'x'], /^attnprof: unknown option --constructor\.$/);
    await refused(['inspect', 'a.json', '--toString'], /^attnprof: unknown option --toString\.$/);
  });
});

describe('an internal error is one line asking for a report; the stack only with --debug', () => {
  test('the line', () => {
    const e = new TypeError("Cannot read properties of undefined (reading 'x')");
    const line = internalErrorLine(e, false);
    assert.equal(line.split('\n').length, 1);
    assert.match(line, /^attnprof: internal error \(TypeError: Cannot read properties of undefined \(reading 'x'\)\); please report this bug .* \(add --debug for the stack trace\)\.$/);
    const debug = internalErrorLine(e, true);
    assert.ok(debug.split('\n').length > 1 && debug.includes('at '), debug);
  });

  test('--debug is accepted anywhere and changes nothing for a user error', async () => {
    const r = await cli('profile', '--debug', '--shape', '1,3,2,64,64');
    assert.equal(r.code, 2);
    assert.deepEqual(r.err, ['attnprof: query heads (3) must be a multiple of key/value heads (2) for GQA/MQA.']);
  });

  test('the built CLI: a hundred thousand nested operators are a diagnostic, not a stack overflow', () => {
    const root = resolve(__dirname, '../../..');
    const cliJs = resolve(root, 'dist/cli.js');
    const deep = tmp.path('deep.py');
    writeFileSync(deep, `NUM_HEADS = ${'-'.repeat(100000)}8\nHEAD_DIM = 2${'**2'.repeat(100000)}\n`);
    const r = spawnSync(process.execPath, [cliJs, 'inspect', deep], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /cannot evaluate HEAD_DIM: expression nested too deeply/);
  });
});
