/**
 * The host's worker client against a scripted fake worker (crashes, bad messages, hangs) and against the
 * real `dist/cli.js worker` on this machine's adapter (lavapipe on CI).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ProfileRequest } from '../../../extension/protocol/worker';
import { ProfileFailure, WorkerClient } from '../../../extension/vscode/workerClient';
import { repoPath } from '../model/helpers';
import { shapeReport } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'attnprof-worker-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const reportFile = join(dir, 'report.json');
writeFileSync(reportFile, JSON.stringify(shapeReport()));

const FAKE = join(dir, 'fake-cli.js');
writeFileSync(
  FAKE,
  `
const mode = process.env.FAKE_MODE;
if (process.argv[2] !== 'worker') process.exit(2);
if (mode === 'silent') { setInterval(() => {}, 1000); return; }
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m.type === 'adapters') return process.send({ type: 'adapters', id: m.id, adapters: [{ description: 'Fake GPU', vendor: 'x', isFallback: false }, { nope: 1 }] });
  process.send({ type: 'bogus', id: m.id });
  process.send('not an object');
  process.send({ type: 'progress', id: m.id + 100, message: 'someone else', fraction: 0.5 });
  process.send({ type: 'progress', id: m.id, message: 'flash: timing', fraction: 0.5 });
  if (mode === 'ok') process.send({ type: 'result', id: m.id, ok: true, report: JSON.parse(require('fs').readFileSync(process.env.FAKE_REPORT, 'utf8')) });
  if (mode === 'error') process.send({ type: 'result', id: m.id, ok: false, error: { kind: 'no-adapter', message: 'no WebGPU adapter found' } });
  if (mode === 'badreport') process.send({ type: 'result', id: m.id, ok: true, report: { schema: 'nope' } });
  if (mode === 'crash') { process.stderr.write('Dawn: VK_ERROR_DEVICE_LOST while mapping\\n'); setTimeout(() => process.exit(134), 20); }
  if (mode === 'segv') setTimeout(() => process.kill(process.pid, 'SIGSEGV'), 20);
  // 'hang': never answers, like a GPU stuck in a long dispatch
});
process.send({ type: 'ready' });
`,
);

const request: ProfileRequest = {
  title: 't',
  source: { kind: 'shape' },
  workloads: [{ name: 'shape', problem: { batch: 1, heads: 2, kvHeads: 1, seqLenQ: 16, seqLenK: 16, headDim: 32, dtype: 'f32', causal: true, window: 0, softcap: 0 }, layers: [0] }],
  kernels: ['naive', 'flash'],
  iterations: 2,
  warmup: 0,
  seed: 1,
};

function fake(mode: string, extra: { startTimeoutMs?: number; idleMs?: number; log?: (l: string) => void } = {}): WorkerClient {
  return new WorkerClient({ cliPath: FAKE, env: { ...process.env, FAKE_MODE: mode, FAKE_REPORT: reportFile }, ...extra });
}

async function failure(p: Promise<unknown>): Promise<ProfileFailure> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ProfileFailure, String(e));
    return e;
  }
  assert.fail('expected a ProfileFailure');
}

test('a result comes back validated; only this request’s well-formed progress reaches the caller', async () => {
  const logs: string[] = [];
  const client = fake('ok', { log: (l) => logs.push(l) });
  const progress: string[] = [];
  const report = await client.profile(request, { onProgress: (m, f) => progress.push(`${m} ${f}`) });
  assert.equal(report.id, shapeReport().id);
  assert.deepEqual(progress, ['flash: timing 0.5']);
  assert.ok(logs.some((l) => l.includes('ignored a malformed message')));
  // The same worker serves the next request.
  const pid = logs.filter((l) => l.includes('started pid')).length;
  await client.profile(request);
  assert.equal(logs.filter((l) => l.includes('started pid')).length, pid);
  client.dispose();
  assert.equal(client.running, false);
});

test('adapters: malformed entries are dropped', async () => {
  const client = fake('ok');
  const adapters = await client.adapters();
  assert.deepEqual(adapters.map((a) => a.description), ['Fake GPU']);
  client.dispose();
});

test('a worker error keeps its kind and tells the user what to do', async () => {
  const client = fake('error');
  const e = await failure(client.profile(request));
  assert.equal(e.kind, 'no-adapter');
  assert.equal(e.message, 'No GPU adapter: no WebGPU adapter found. Install a Vulkan driver for your GPU; on a machine without a GPU, install Mesa lavapipe (see the README).');
  client.dispose();
});

test('an invalid report is an internal error, not a crash of the host', async () => {
  const client = fake('badreport');
  const e = await failure(client.profile(request));
  assert.equal(e.kind, 'internal');
  assert.match(e.message, /invalid report \(not an attnprof report: schema is "nope"/);
  client.dispose();
});

test('a worker that exits mid-run: exit code and the stderr tail; the next request starts a new worker', async () => {
  const client = fake('crash');
  const e = await failure(client.profile(request));
  assert.equal(e.kind, 'crash');
  assert.match(e.message, /^The profiling worker exited with code 134 .* Last output: Dawn: VK_ERROR_DEVICE_LOST while mapping$/);
  assert.equal(client.running, false);
  const again = await failure(client.profile(request));
  assert.equal(again.kind, 'crash');
  client.dispose();
});

test('a worker killed by a signal names the signal', async () => {
  const client = fake('segv');
  const e = await failure(client.profile(request));
  assert.match(e.message, /^The profiling worker was killed by SIGSEGV/);
  client.dispose();
});

test('cancel kills a hung worker at once; a request already aborted never starts one', async () => {
  const client = fake('hang');
  const abort = new AbortController();
  const run = client.profile(request, { signal: abort.signal, onProgress: () => abort.abort() });
  const e = await failure(run);
  assert.equal(e.kind, 'cancelled');
  assert.equal(e.message, 'Profiling cancelled.');
  assert.equal(client.running, false);
  const pre = new AbortController();
  pre.abort();
  assert.equal((await failure(client.profile(request, { signal: pre.signal }))).kind, 'cancelled');
  assert.equal(client.running, false);
  client.dispose();
});

test('a worker that never says ready times out with a message', async () => {
  const client = fake('silent', { startTimeoutMs: 300 });
  const e = await failure(client.profile(request));
  assert.equal(e.kind, 'crash');
  assert.match(e.message, /did not start within/);
  assert.equal(client.running, false);
  client.dispose();
});

test('an idle worker is stopped', async () => {
  const client = fake('ok', { idleMs: 50 });
  await client.profile(request);
  assert.equal(client.running, true);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(client.running, false);
  client.dispose();
});

test('the real worker (dist/cli.js) profiles a small shape on this machine, and cancel then re-run works', { timeout: 120_000 }, async () => {
  const cli = repoPath('dist/cli.js');
  assert.ok(existsSync(cli), 'build first: node scripts/build.mjs');
  const client = new WorkerClient({ cliPath: cli });
  try {
    const fractions: number[] = [];
    const report = await client.profile(request, { onProgress: (_m, f) => fractions.push(f) });
    assert.equal(report.workloads[0].results.length, 2);
    assert.ok(report.workloads[0].results.every((r) => r.status === 'ok' && r.correct), JSON.stringify(report.workloads[0].results.map((r) => [r.kernel, r.status, r.error])));
    assert.ok(fractions.length > 0 && fractions.at(-1) === 1, fractions.join(','));
    const abort = new AbortController();
    const cancelled = client.profile(request, { signal: abort.signal, onProgress: () => abort.abort() });
    assert.equal((await failure(cancelled)).kind, 'cancelled');
    const again = await client.profile(request);
    assert.ok(again.workloads[0].results.every((r) => r.status === 'ok'));
  } finally {
    client.dispose();
  }
});

test('the real worker at the time limit: the report of what ran comes back, the worker ends, a fresh one takes the next request', { timeout: 180_000 }, async () => {
  const cli = repoPath('dist/cli.js');
  assert.ok(existsSync(cli), 'build first: node scripts/build.mjs');
  const logs: string[] = [];
  const client = new WorkerClient({ cliPath: cli, log: (l) => logs.push(l) });
  try {
    // Flash skips almost every tile of this windowed shape (~0.2 s an iteration on lavapipe); naive computes them all (~12 s).
    const problem = { batch: 1, heads: 4, kvHeads: 4, seqLenQ: 2048, seqLenK: 2048, headDim: 64, dtype: 'f32' as const, causal: false, window: 32, softcap: 0 };
    const limited: ProfileRequest = { ...request, workloads: [{ name: 'shape', problem, layers: [0] }], kernels: ['flash', 'naive'], iterations: 100_000, maxSeconds: 1, ceilings: false };
    const report = await client.profile(limited);
    const [flash, naive] = report.workloads[0].results;
    assert.equal(flash.status, 'ok', flash.error);
    assert.equal(naive.status, 'failed');
    assert.match(naive.error ?? '', /^stopped at the time limit \(1 s\)/);
    assert.ok(report.notes?.some((n) => n.startsWith('naive was stopped at its time limit')), JSON.stringify(report.notes));
    // Its GPU still busy, the worker ends by itself once the result is sent.
    for (let i = 0; i < 200 && client.running; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(client.running, false, logs.join('\n'));
    const again = await client.profile(request);
    assert.ok(again.workloads[0].results.every((r) => r.status === 'ok'));
  } finally {
    client.dispose();
  }
});

test('the real worker analyses padding of a lengths file: arithmetic only, measured, and typed failures', { timeout: 180_000 }, async () => {
  const cli = repoPath('dist/cli.js');
  const client = new WorkerClient({ cliPath: cli });
  const base = {
    title: 'padding',
    source: { kind: 'shape' as const },
    lengthsFile: repoPath('examples/lengths/lengths.txt'),
    lengthsLabel: 'examples/lengths/lengths.txt',
    batchSize: 8,
    maxLength: 1024,
    causal: true,
  };
  try {
    const report = await client.padding(base);
    assert.ok(report.padding);
    assert.equal(report.padding.n, 2000);
    assert.equal(report.padding.lengths.file, 'examples/lengths/lengths.txt', 'the label, not the absolute path');
    assert.deepEqual(report.padding.strategies.map((s) => s.name), ['fixed', 'dynamic', 'bucketed', 'packed']);
    assert.equal(report.workloads.length, 0);
    assert.equal(report.padding.measurement, undefined);
    assert.match(report.adapter.description, /not measured/);

    // A tiny measured run: lengths ≤ 40, B = 2, two batches per strategy timed.
    const small = join(dir, 'small.txt');
    writeFileSync(small, '3\n17\n40\n8\n25\n1\nnot-a-number\n');
    const progress: string[] = [];
    const measured = await client.padding(
      {
        ...base,
        lengthsFile: small,
        lengthsLabel: 'small.txt',
        batchSize: 2,
        maxLength: 32,
        attention: { name: 'shape', heads: 2, kvHeads: 1, headDim: 32, dtype: 'f32', dtypeBytes: 4, causal: true },
        measure: { samples: 2, iterations: 1, warmup: 0, seed: 1 },
      },
      { onProgress: (m) => progress.push(m) },
    );
    const p = measured.padding;
    assert.ok(p?.measurement);
    assert.equal(p.lengths.badLines.count, 1);
    assert.ok(p.strategies.every((s) => s.measurement && s.measurement.correct && s.measurement.sampledBatches.length === Math.min(2, s.batches)));
    assert.ok(progress.some((m) => /^packed: batch/.test(m)), progress.join('\n'));
    assert.equal(measured.settings.kernels[0], 'flash');

    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'x\ny\n');
    const e = await failure(client.padding({ ...base, lengthsFile: bad }));
    assert.equal(e.kind, 'input');
    assert.match(e.message, /^Cannot analyse padding: .*holds no valid sequence length \(2 bad lines; first: line 1: 'x' is not an integer\)\. Check the lengths file/);
    const missing = await failure(client.padding({ ...base, lengthsFile: join(dir, 'nope.txt') }));
    assert.equal(missing.kind, 'input');
    assert.match(missing.message, /no such file/);
  } finally {
    client.dispose();
  }
});

test('padding requests are checked before they reach the worker’s engine', async () => {
  const { isToWorker, isPaddingRequest } = await import('../../../extension/protocol/worker');
  const ok = { title: 't', source: { kind: 'shape' }, lengthsFile: '/x', causal: false };
  assert.ok(isToWorker({ type: 'padding', id: 1, request: ok }));
  assert.ok(!isToWorker({ type: 'padding', id: 1, request: { ...ok, lengthsFile: '' } }));
  assert.ok(!isPaddingRequest({ ...ok, batchSize: 0 }));
  assert.ok(!isPaddingRequest({ ...ok, measure: { samples: 2, iterations: 1, warmup: 0 } }), 'measuring needs the attention');
  assert.ok(!isPaddingRequest({ ...ok, attention: { heads: 2, kvHeads: 1, headDim: 32, dtype: 'bf16', dtypeBytes: 2 } }));
});
