/**
 * Dawn's native start-up warnings never reach the CLI's stderr: the filter on its own, then the built CLI on the
 * real adapter (Mesa lavapipe on CI, where Dawn prints them on every device it opens).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { DawnNoiseFilter, FILTERED_ENV, opensGpu } from '../../../extension/cli/quietDawn';

const root = resolve(__dirname, '../../..');
const cliJs = join(root, 'dist', 'cli.js');
const WARNING = 'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';

describe('Dawn noise filter', () => {
  test('drops Dawn’s warnings, keeps every other line in order, across chunks split mid-line', () => {
    const written: string[] = [];
    const f = new DawnNoiseFilter((t) => written.push(t));
    f.push('attnprof: naive: compil');
    f.push(`ing and allocating\n${WARNING.slice(0, 30)}`);
    f.push(`${WARNING.slice(30)}\nattnprof: flash failed: device lost\n`);
    f.push('Warning: something Dawn has not said before\nlast line without newline');
    f.end();
    assert.equal(written.join(''), 'attnprof: naive: compiling and allocating\nattnprof: flash failed: device lost\nWarning: something Dawn has not said before\nlast line without newline');
  });

  test('only the commands that open a GPU run filtered', () => {
    assert.ok(opensGpu(['profile', '--shape', '1,1,1,8,8']));
    assert.ok(opensGpu(['--debug', 'run', '--kernel', 'flash']));
    assert.ok(opensGpu(['padding', 'lens.txt', '--measure']));
    assert.ok(!opensGpu(['padding', 'lens.txt']));
    assert.ok(!opensGpu(['inspect', 'config.json']));
    assert.ok(!opensGpu(['worker']));
  });
});

describe('the built CLI on the real adapter', () => {
  const profile = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [cliJs, 'profile', '--shape', '1,1,1,16,16', '--kernels', 'naive', '--iters', '1', '--warmup', '0', '--no-ceilings'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...env },
    });

  test('profile: attnprof’s own progress on stderr, none of Dawn’s start-up warnings, exit 0', () => {
    assert.ok(existsSync(cliJs), `${cliJs} is missing: build it with 'node scripts/build.mjs'`);
    const r = profile({});
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^attnprof: naive: compiling and allocating/m);
    assert.doesNotMatch(r.stderr, /artificially reduced|dynamic offset allocation limit/);
    assert.match(r.stdout, /\bnaive\b.*\bok$/m);
    // Unfiltered (as the child sees it), the same run on lavapipe does print them: the filter is what removes them.
    const raw = profile({ [FILTERED_ENV]: '1' });
    assert.equal(raw.status, 0, raw.stderr);
    if (/llvmpipe/.test(r.stdout)) assert.match(raw.stderr, /artificially reduced/);
  });

  test('a bad argument still exits 2 with its one sentence through the filtered child', () => {
    const r = spawnSync(process.execPath, [cliJs, 'run', '--kernel', 'nope', '--q', 'q.npy', '--k', 'k.npy', '--v', 'v.npy', '--out', 'o.npy'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim(), "attnprof: unknown kernel 'nope'; available: naive, flash, flash-mma.");
  });
});
