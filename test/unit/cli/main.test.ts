/**
 * The CLI's argument and input errors, in process: exit code 2 and one sentence on stderr, never a stack
 * trace, and no GPU needed (every case here is refused before an adapter is opened). One spawn of the built
 * `dist/cli.js` proves the process exit code, with the Vulkan loader pointed at nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { main } from '../../../extension/cli/main';
import { encodeNpy } from '../../../extension/cli/npy';
import { npyFile, tempDir } from '../helpers';

const tmp = tempDir();
after(() => tmp.cleanup());

interface Outcome {
  code: number;
  out: string[];
  err: string[];
}

async function cli(...argv: string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out, err };
}

/** Exit 2, nothing on stdout, exactly one stderr message: one line, no stack trace, equal to `message`. */
async function usageError(argv: string[], message: string | RegExp): Promise<void> {
  const r = await cli(...argv);
  const what = `attnprof ${argv.join(' ')}`;
  assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr ${JSON.stringify(r.err)}`);
  assert.deepEqual(r.out, [], `${what}: stdout`);
  assert.equal(r.err.length, 1, `${what}: stderr ${JSON.stringify(r.err)}`);
  const line = r.err[0];
  assert.ok(!line.includes('\n'), `${what}: more than one line: ${line}`);
  assert.ok(!/\bat .*:\d+:\d+/.test(line) && !line.includes('unexpected failure'), `${what}: stack trace: ${line}`);
  if (typeof message === 'string') assert.equal(line, `attnprof: ${message}`);
  else assert.match(line, message);
}

const SHAPE = ['profile', '--shape'];

describe('attnprof: commands and usage', () => {
  test('no command prints usage and exits 2; help exits 0', async () => {
    const none = await cli();
    assert.equal(none.code, 2);
    assert.match(none.out.join('\n'), /^attnprof — profile Transformer attention kernels/);
    assert.match(none.out.join('\n'), /exit codes: 0 success, 1 runtime failure, 2 bad arguments or unreadable input\./);
    for (const h of ['help', '--help', '-h']) {
      const r = await cli(h);
      assert.equal(r.code, 0, h);
      assert.match(r.out.join('\n'), /attnprof run --kernel NAME --q Q\.npy --k K\.npy --v V\.npy --out O\.npy/);
    }
  });

  test('unknown command', async () => {
    await usageError(['frobnicate'], "unknown command 'frobnicate'. Run 'attnprof help'.");
    await usageError(['--shape', '1,2,1,4,64'], "unknown command '--shape'. Run 'attnprof help'.");
  });
});

describe('attnprof profile: bad arguments exit 2', () => {
  test('unknown flag and missing value', async () => {
    await usageError([...SHAPE, '1,2,1,33,32', '--bogus'], 'unknown option --bogus.');
    await usageError([...SHAPE, '1,2,1,33,32', '--iters'], '--iters needs a value.');
    await usageError([...SHAPE, '1,2,1,33,32', '--causal=1'], '--causal takes no value.');
  });

  test('bad --shape', async () => {
    await usageError([...SHAPE, '1,2,1,33'], "--shape takes B,Hq,Hkv,N,D (five integers), got '1,2,1,33'.");
    await usageError([...SHAPE, '1,2,x,33,32'], "--shape: Hkv must be a positive integer, got 'x'.");
    await usageError([...SHAPE, '0,2,1,33,32'], "--shape: B must be a positive integer, got '0'.");
  });

  test('shapes the kernels cannot run', async () => {
    await usageError([...SHAPE, '1,3,2,64,64'], 'query heads (3) must be a multiple of key/value heads (2) for GQA/MQA.');
    await usageError([...SHAPE, '1,2,1,64,52'], 'head dim 52 is not supported; the kernels take a multiple of 8 up to 256.');
    await usageError([...SHAPE, '1024,128,8,1048576,128'], /^attnprof: the shape is absurdly large \(.* G elements per tensor\); nothing was allocated\.$/);
  });

  test('bad option values', async () => {
    await usageError([...SHAPE, '1,2,1,33,32', '--iters', '0'], "--iters must be an integer from 1 to 100000, got '0'.");
    await usageError([...SHAPE, '1,2,1,33,32', '--window', '-3'], `--window must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got '-3'.`);
    await usageError([...SHAPE, '1,2,1,33,32', '--softcap', '-1'], "--softcap must be a number ≥ 0, got '-1'.");
    await usageError([...SHAPE, '1,2,1,33,32', '--scale', 'big'], "--scale must be a number, got 'big'.");
    await usageError([...SHAPE, '1,2,1,33,32', '--q-len', '0'], `--q-len must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got '0'.`);
    await usageError([...SHAPE, '1,2,1,33,32', '--dtype', 'f64'], "--dtype must be f32, f16 or bf16, got 'f64'.");
    await usageError([...SHAPE, '1,2,1,33,32', '--kernels', 'naive,turbo'], "unknown kernel 'turbo'; available: naive, flash, flash-mma, torch:eager, torch:sdpa-flash, torch:sdpa-efficient, torch:sdpa-cudnn, torch:sdpa-math, torch:flex, torch:flash-attn, torch:xformers, torch:te.");
    await usageError([...SHAPE, '1,2,1,33,32', '--kernels', ','], '--kernels is empty.');
  });

  test('neither or both of FILE and --shape', async () => {
    await usageError(['profile'], 'profile needs a config FILE or --shape B,Hq,Hkv,N,D.');
    await usageError(['profile', 'a.json', 'b.json'], 'profile needs a config FILE or --shape B,Hq,Hkv,N,D.');
    await usageError([...SHAPE, '1,2,1,33,32', 'config.json'], 'give either a config FILE or --shape, not both.');
  });

  test('a config file that does not exist', async () => {
    const missing = tmp.path('no-such-config.json');
    await usageError(['profile', missing], /^attnprof: .*no-such-config\.json.*(ENOENT|no such file)/);
  });
});

describe('attnprof run: unreadable or mismatched tensors exit 2', () => {
  const f32 = (name: string, shape: number[], fill = 0.5) => {
    const path = tmp.path(name);
    writeFileSync(path, encodeNpy(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), shape));
    return path;
  };
  const i32 = (name: string, values: number[], shape = [values.length]) => {
    const path = tmp.path(name);
    writeFileSync(path, encodeNpy(Int32Array.from(values), shape));
    return path;
  };
  const q = () => f32('q.npy', [2, 4, 8, 64]);
  const k = () => f32('k.npy', [2, 2, 8, 64]);
  const v = () => f32('v.npy', [2, 2, 8, 64]);
  const out = () => tmp.path('o.npy');
  const run = (over: Record<string, string>, ...extra: string[]) => {
    const flags = { kernel: 'flash', q: q(), k: k(), v: v(), out: out(), ...over };
    return ['run', ...Object.entries(flags).flatMap(([name, value]) => (value === '' ? [] : [`--${name}`, value])), ...extra];
  };

  test('each required flag', async () => {
    for (const f of ['kernel', 'q', 'k', 'v', 'out']) await usageError(run({ [f]: '' }), `run needs --${f}.`);
  });

  test('unknown kernel and unknown flag', async () => {
    await usageError(run({ kernel: 'cutlass' }), "unknown kernel 'cutlass'; available: naive, flash, flash-mma.");
    await usageError(run({}, '--iters', '3'), 'unknown option --iters.');
  });

  test('a missing file', async () => {
    const missing = tmp.path('missing-q.npy');
    await usageError(run({ q: missing }), `cannot read --q '${missing}': no such file.`);
    const missingK = tmp.path('missing-k.npy');
    await usageError(run({ k: missingK }), `cannot read --k '${missingK}': no such file.`);
  });

  test('not float32: float64 from numpy, int32, not a .npy at all', async () => {
    const f64 = tmp.path('q64.npy');
    writeFileSync(f64, npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 4, 8, 64), }", new Uint8Array(2 * 4 * 8 * 64 * 8)));
    await usageError(
      run({ q: f64 }),
      `--q '${f64}' has dtype '<f8'; attnprof needs little-endian float32 ('<f4') or float16 ('<f2') tensors (int32 for lengths): use arr.astype(numpy.float32).`,
    );
    const int = i32('kint.npy', new Array(2 * 2 * 8 * 64).fill(1), [2, 2, 8, 64]);
    await usageError(run({ k: int }), '--k must be float32 or float16, got int32.');
    const text = tmp.path('v.txt');
    writeFileSync(text, '0.5 0.5 0.5\n');
    await usageError(run({ v: text }), `--v '${text}' is not a .npy file.`);
    const fortran = tmp.path('vf.npy');
    writeFileSync(fortran, npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2, 8, 64), }", new Uint8Array(2 * 2 * 8 * 64 * 4)));
    await usageError(run({ v: fortran }), `--v '${fortran}' is in Fortran order; save it with numpy.ascontiguousarray first.`);
    const truncated = tmp.path('qt.npy');
    writeFileSync(truncated, encodeNpy(new Float32Array(2 * 4 * 8 * 64), [2, 4, 8, 64]).subarray(0, 128 + 100));
    await usageError(run({ q: truncated }), `--q '${truncated}' is truncated: the header promises 4096 values, the file holds 25.`);
  });

  test('wrong rank', async () => {
    await usageError(run({ q: f32('q3.npy', [4, 8, 64]) }), '--q must have 4 dimensions [B,H,N,D], got [4,8,64].');
    await usageError(run({ v: f32('v5.npy', [1, 2, 2, 8, 64]) }), '--v must have 4 dimensions [B,H,N,D], got [1,2,2,8,64].');
  });

  test('mismatched batch, head dim, k/v shapes', async () => {
    await usageError(run({ k: f32('kb.npy', [1, 2, 8, 64]), v: f32('vb.npy', [1, 2, 8, 64]) }), 'q has batch 2 but k has batch 1.');
    await usageError(run({ k: f32('kd.npy', [2, 2, 8, 32]), v: f32('vd.npy', [2, 2, 8, 32]) }), 'q has head dim 64 but k has head dim 32.');
    await usageError(run({ v: f32('vn.npy', [2, 2, 9, 64]) }), '--v shape [2,2,9,64] differs from --k shape [2,2,8,64].');
  });

  test('shapes the kernels cannot run (checked before any GPU is opened)', async () => {
    await usageError(run({ k: f32('k3.npy', [2, 3, 8, 64]), v: f32('v3.npy', [2, 3, 8, 64]) }), 'query heads (4) must be a multiple of key/value heads (3) for GQA/MQA.');
    await usageError(
      run({ q: f32('q44.npy', [2, 4, 8, 44]), k: f32('k44.npy', [2, 2, 8, 44]), v: f32('v44.npy', [2, 2, 8, 44]) }),
      'head dim 44 is not supported; the kernels take a multiple of 8 up to 256.',
    );
    await usageError(run({}, '--window', '-1'), `--window must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got '-1'.`);
  });

  test('--kv-lens must be int32 [B] with non-negative entries', async () => {
    await usageError(run({ 'kv-lens': f32('lens-f.npy', [2], 8) }), '--kv-lens must be int32 of shape [2], got <f4 [2].');
    await usageError(run({ 'kv-lens': i32('lens3.npy', [8, 8, 8]) }), '--kv-lens must be int32 of shape [2], got <i4 [3].');
    await usageError(run({ 'kv-lens': i32('lens2d.npy', [8, 8], [1, 2]) }), '--kv-lens must be int32 of shape [2], got <i4 [1,2].');
    await usageError(run({ 'kv-lens': i32('lensneg.npy', [8, -1]) }), 'kv-lens must be non-negative, got -1.');
    const missing = tmp.path('no-lens.npy');
    await usageError(run({ 'kv-lens': missing }), `cannot read --kv-lens '${missing}': no such file.`);
  });
});

describe('attnprof inspect: bad arguments exit 2', () => {
  test('a missing file', async () => {
    const missing = tmp.path('config-that-is-not-there.json');
    await usageError(['inspect', missing], /^attnprof: .*config-that-is-not-there\.json.*(ENOENT|no such file)/);
  });

  test('no file, two files, unknown flag', async () => {
    await usageError(['inspect'], 'inspect needs exactly one FILE.');
    await usageError(['inspect', 'a.json', 'b.json'], 'inspect needs exactly one FILE.');
    await usageError(['inspect', 'a.json', '--yaml'], 'unknown option --yaml.');
  });
});

describe('the built CLI process', () => {
  const root = resolve(__dirname, '../../..');
  const cliJs = resolve(root, 'dist/cli.js');

  test('exits 2 with one sentence for a bad shape, even with no GPU driver at all', () => {
    assert.ok(existsSync(cliJs), `${cliJs} is missing: build it with 'node scripts/build.mjs'`);
    const r = spawnSync(process.execPath, [cliJs, 'profile', '--shape', '1,3,2,64,64'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      // no Vulkan driver: a bad argument must still be exit 2, not a GPU failure (exit 1)
      env: { ...process.env, VK_ICD_FILENAMES: resolve(root, 'no-such-icd.json'), XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    });
    assert.equal(r.error, undefined);
    assert.equal(r.status, 2, `stderr: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'attnprof: query heads (3) must be a multiple of key/value heads (2) for GQA/MQA.\n');
  });

  test('exits 2 for an unknown flag and for a missing input file', () => {
    const flag = spawnSync(process.execPath, [cliJs, 'profile', '--shape', '1,2,1,33,32', '--iterations', '5'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(flag.status, 2, flag.stderr);
    assert.equal(flag.stderr, 'attnprof: unknown option --iterations.\n');
    const missing = tmp.path('nope.npy');
    const run = spawnSync(
      process.execPath,
      [cliJs, 'run', '--kernel', 'flash', '--q', missing, '--k', missing, '--v', missing, '--out', tmp.path('o.npy')],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stderr, `attnprof: cannot read --q '${missing}': no such file.\n`);
  });
});
