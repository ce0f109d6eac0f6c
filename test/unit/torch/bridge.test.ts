/**
 * The PyTorch bridge for real: Debian's python3-torch (1.13, CPU; scripts/test.sh installs it) runs the shipped
 * dist/attnprof_torch.py. Discovery, the protocol, torch:eager on CPU against the float64 reference, the clear
 * "needs PyTorch ≥ …" word for SDPA and Flex, cancellation, the time limit, and a Python killed mid-run. A machine
 * without a Python that has PyTorch fails these tests (scripts/setup-torch.sh installs one); they never skip.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { main } from '../../../extension/cli/main';
import { discoverPython, pythonCandidates, PythonSession } from '../../../extension/engine/pythonSession';
import type { PythonCandidate } from '../../../extension/protocol/worker';
import { runTorchKernels, TORCH_TOLERANCE } from '../../../extension/engine/torchBridge';
import { parseReport } from '../../../extension/report/schema';
import { summaryTable } from '../../../extension/report/summary';
import { buildFlameModel } from '../../../extension/report/flame-model';
import { toChromeTrace, validateChromeTrace } from '../../../extension/report/trace';
import { CancelledError } from '../../../kernels/runner';
import { problem, tempDir } from '../helpers';
import { docBoundsFor } from '../../../kernels/problem';
import { ProfileFailure, WorkerClient } from '../../../extension/vscode/workerClient';
import type { ProfileRequest } from '../../../extension/protocol/worker';
import { repoPath } from '../model/helpers';

process.env.XDG_RUNTIME_DIR ??= '/tmp';
const tmp = tempDir();
let torchPython: PythonCandidate;
let session: PythonSession;

/** A real Python that cannot see its site-packages (so no torch): what a pyenv or venv Python without PyTorch is. */
function pythonWithoutTorch(dir: string): string {
  const path = `${dir}/python3`;
  writeFileSync(path, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
  chmodSync(path, 0o755);
  return path;
}

before(async () => {
  const found = await discoverPython({});
  assert.ok(
    found.session,
    `no Python with PyTorch on this machine (tried: ${found.tried.map((t) => t.candidate.path).join(', ') || 'none'}); run scripts/setup-torch.sh (apt-get install python3-torch).`,
  );
  session = found.session;
  torchPython = session.candidate;
});
after(async () => {
  await session?.close();
  tmp.cleanup();
});

const olderThan2 = () => !/^[2-9]\d*\./.test(session.hello.torch ?? '');

describe('discovery', () => {
  test('tries PATH first, reports what each Python has, and picks the one with PyTorch', async () => {
    const dir = tmp.path('bin');
    mkdirSync(dir);
    const noTorch = pythonWithoutTorch(dir);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` };
    delete env.ATTNPROF_PYTHON;
    const candidates = pythonCandidates({}, env);
    assert.equal(candidates[0].path, noTorch);
    assert.equal(candidates[0].source, 'PATH');
    assert.ok(candidates.some((c) => c.path === '/usr/bin/python3'), 'Debian\'s python3 is a candidate');
    const found = await discoverPython({}, { env });
    try {
      assert.equal(found.tried[0].candidate.path, noTorch);
      assert.equal(found.tried[0].hello?.torch, null);
      assert.match(found.tried[0].hello?.torchError ?? '', /No module named 'torch'/);
      assert.ok(found.session, 'a later candidate has PyTorch');
      assert.ok(found.session.hello.torch);
      assert.notEqual(found.session.candidate.path, noTorch);
    } finally {
      await found.session?.close();
    }
  });

  test('an explicit Python is the only one tried; ATTNPROF_PYTHON when no flag or setting names one', () => {
    assert.deepEqual(pythonCandidates({ explicit: { path: '/opt/py', source: '--python' } }, { PATH: '/usr/bin' }), [{ path: '/opt/py', source: '--python' }]);
    assert.deepEqual(pythonCandidates({}, { PATH: '/usr/bin', ATTNPROF_PYTHON: '/opt/env/bin/python' }), [{ path: '/opt/env/bin/python', source: 'ATTNPROF_PYTHON' }]);
    const ext = pythonCandidates({ extensionInterpreter: '/usr/bin/python3' }, { PATH: '' });
    assert.deepEqual(ext, [{ path: '/usr/bin/python3', source: 'Python extension' }], 'the same file found twice is tried once');
  });

  test('a missing interpreter and a program that is not Python are one sentence each', async () => {
    await assert.rejects(PythonSession.start({ path: '/nonexistent/python3', source: '--python' }), /Python '\/nonexistent\/python3' \(--python\) does not exist\./);
    await assert.rejects(PythonSession.start({ path: '/bin/true', source: '--python' }), /exited \(code 0\) before it said hello: it is not a Python 3/);
  });

  test('output that is not the protocol (a sitecustomize printing at start-up) is skipped, not taken for a reply', async () => {
    const dir = tmp.path('site');
    mkdirSync(dir);
    writeFileSync(`${dir}/sitecustomize.py`, 'print("hello from a sitecustomize")\nprint("{\\"type\\": \\"progress\\"}")\n');
    const before = process.env.PYTHONPATH;
    process.env.PYTHONPATH = dir;
    try {
      const own = await PythonSession.start(torchPython);
      const [r] = await runTorchKernels(own, problem({ heads: 2, kvHeads: 2, seqLenQ: 8, seqLenK: 8, headDim: 32 }), ['torch:eager'], {
        dtype: 'f32', mode: 'fwd', iterations: 1, warmup: 0, maxSeconds: 10, seed: 2, profile: false,
      });
      assert.ok(r.correct, r.error);
      await own.close();
    } finally {
      if (before === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = before;
    }
  });

  test('hello: versions, the device, and one sentence per unavailable backend', () => {
    const h = session.hello;
    assert.equal(h.protocol, 1);
    assert.match(h.python, /^3\.\d+/);
    assert.ok(['cpu', 'cuda', 'rocm', 'mps'].includes(h.device.kind));
    assert.equal(h.backends.eager.available, true);
    if (olderThan2()) {
      for (const b of ['sdpa-flash', 'sdpa-efficient', 'sdpa-cudnn', 'sdpa-math']) {
        assert.match(h.backends[b].reason ?? '', /^needs PyTorch ≥ 2\.0 \(scaled_dot_product_attention\); this Python has 1\./, b);
      }
      assert.match(h.backends.flex.reason ?? '', /^needs PyTorch ≥ 2\.5 \(FlexAttention; PyTorch ≥ 2\.0 has none\)/);
    }
    if (h.device.kind === 'cpu') assert.match(h.backends['sdpa-efficient'].reason ?? '', /needs|CPU only/);
  });
});

describe('torch:eager on CPU against the float64 reference', () => {
  const cases = [
    { name: 'GQA 4:2, causal bottom-right (Nq < Nk), f32', p: problem({ batch: 2, heads: 4, kvHeads: 2, seqLenQ: 24, seqLenK: 40, headDim: 32, causal: true }), dtype: 'f32' as const },
    { name: 'window 7 + softcap 5 + custom scale, f32', p: problem({ batch: 1, heads: 2, kvHeads: 1, seqLenQ: 33, seqLenK: 33, headDim: 64, window: 7, softcap: 5, scale: 0.3 }), dtype: 'f32' as const },
    { name: 'kv-lens with an empty batch row (outputs 0), bf16', p: problem({ batch: 3, heads: 2, kvHeads: 2, seqLenQ: 16, seqLenK: 16, headDim: 32, kvLens: Int32Array.from([16, 5, 0]) }), dtype: 'bf16' as const },
    { name: 'the seed\'s 2-D neighbourhood (grid 7, radius 2) + causal, GQA, f32', p: problem({ batch: 1, heads: 4, kvHeads: 2, seqLenQ: 49, seqLenK: 49, headDim: 32, causal: true, neighborhood: { radius: 2, rows: 7, cols: 7 } }), dtype: 'f32' as const },
    { name: 'MQA 8:1, N = 1 decode against 50 keys, causal, bf16', p: problem({ batch: 2, heads: 8, kvHeads: 1, seqLenQ: 1, seqLenK: 50, headDim: 64, causal: true }), dtype: 'bf16' as const },
    {
      name: 'packed documents (a padded tail that sees nothing), causal, GQA 4:2, f32',
      p: problem({ batch: 2, heads: 4, kvHeads: 2, seqLenQ: 48, seqLenK: 48, headDim: 32, causal: true, docBounds: docBoundsFor([[20, 1, 17], [48]], 48) }),
      dtype: 'f32' as const,
    },
    {
      name: 'packed documents, bidirectional with a window and a softcap, bf16',
      p: problem({ batch: 1, heads: 2, kvHeads: 2, seqLenQ: 40, seqLenK: 40, headDim: 32, window: 6, softcap: 4, docBounds: docBoundsFor([[9, 25, 6]], 40) }),
      dtype: 'bf16' as const,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const progress: string[] = [];
      const timelines: string[] = [];
      const [r] = await runTorchKernels(session, c.p, ['torch:eager'], {
        dtype: c.dtype, mode: 'fwd', iterations: 3, warmup: 1, maxSeconds: 30, seed: 1234, onProgress: (m) => progress.push(m),
        onMemory: (k, events) => timelines.push(`${k}: ${events.filter((e) => e.kind === 'alloc').map((e) => e.label).join(',')}`),
      });
      assert.equal(r.status, 'ok', r.error);
      if (session.hello.device.kind === 'cpu') {
        // The allocator history is CUDA's: on CPU the row says so in one sentence, and everything else stands.
        assert.deepEqual(timelines, []);
        assert.ok(r.notes.includes('memory timeline: not recorded — torch.cuda.memory._record_memory_history needs a CUDA device, and this run is on CPU.'), r.notes.join(' | '));
      } else if (session.hello.device.kind === 'cuda' && !olderThan2() && !/^2\.0\./.test(session.hello.torch ?? '')) {
        assert.match(timelines[0] ?? '', /^torch:eager: Q,K,V,.*O/, 'the timeline names the inputs and the output');
        assert.ok(r.notes.some((n) => /^memory timeline: one extra call under torch\.cuda\.memory\._record_memory_history, peak /.test(n)), r.notes.join(' | '));
      }
      assert.equal(r.engine, 'pytorch');
      assert.equal(r.dtype, c.dtype);
      assert.ok(r.correct, `max rel error ${r.maxRelError} > ${r.tolerance}`);
      assert.equal(r.tolerance, TORCH_TOLERANCE[c.dtype]);
      assert.ok(r.maxRelError < r.tolerance && r.maxRelError >= 0);
      assert.equal(r.checkedRows, c.p.batch * c.p.heads * c.p.seqLenQ, 'small problems check every row');
      assert.equal(r.timings?.samples.length, 3);
      assert.equal(r.timings?.source, 'wall-clock');
      assert.ok(r.tflops > 0);
      assert.ok(r.iterations.length > 0 && r.iterations[0].passes.length > 0, 'torch.profiler gave a breakdown');
      assert.ok(r.passes.some((p) => /matmul|bmm/.test(p.name)), r.passes.map((p) => p.name).join(','));
      assert.ok(progress.some((m) => m.startsWith('torch:eager: iteration 3/3')), progress.join('\n'));
      assert.ok(progress.some((m) => m.includes('checking against the float64 reference')));
    });
  }

  test('a wrong seed on one side would be caught: different seeds give a wrong result, not a pass', async () => {
    // The reference here uses seed 5; asking Python for the same seed passes, so a generator mismatch cannot hide.
    const p = problem({ batch: 1, heads: 2, kvHeads: 2, seqLenQ: 8, seqLenK: 8, headDim: 32 });
    const [ok] = await runTorchKernels(session, p, ['torch:eager'], { dtype: 'f32', mode: 'fwd', iterations: 1, warmup: 0, maxSeconds: 10, seed: 5, profile: false });
    assert.ok(ok.correct);
    assert.ok(ok.maxRelError < 1e-5, `f32 eager agrees to ${ok.maxRelError}`);
  });

  test('train mode: forward + backward timed, FLOPs 3.5× forward, output and gradients checked against float64', async () => {
    const p = problem({ batch: 1, heads: 4, kvHeads: 2, seqLenQ: 32, seqLenK: 32, headDim: 32, causal: true });
    const [fwd] = await runTorchKernels(session, p, ['torch:eager'], { dtype: 'f32', mode: 'fwd', iterations: 2, warmup: 0, maxSeconds: 10, seed: 3, profile: false });
    const [train] = await runTorchKernels(session, p, ['torch:eager'], { dtype: 'f32', mode: 'train', iterations: 2, warmup: 0, maxSeconds: 10, seed: 3 });
    assert.equal(train.status, 'ok', train.error);
    assert.equal(train.mode, 'train');
    assert.equal(train.flops, 3.5 * fwd.flops);
    assert.ok(train.correct);
    assert.ok(train.notes.some((n) => /fwd \+ bwd with a random dO; output and gradients \(dQ, dK, dV\) checked/.test(n)));
    const perTensor = train.notes.find((n) => n.startsWith('max relative error per tensor:')) ?? '';
    const errs = [...perTensor.matchAll(/(O|dQ|dK|dV) ([0-9.e+-]+)/g)].map((m) => [m[1], Number(m[2])] as const);
    assert.deepEqual(errs.map(([n]) => n), ['O', 'dQ', 'dK', 'dV'], perTensor);
    for (const [n, e] of errs) assert.ok(e < 1e-5, `f32 ${n} agrees with the float64 gradient to ${e}`);
    assert.equal(train.tolerance, 1e-3);
    assert.ok(train.iterations[0].passes.some((x) => /Backward/.test(x.name)), 'the breakdown shows backward ops');
  });

  test('train mode in bf16 with GQA, a window and a softcap: gradients within the bf16 training tolerance', async () => {
    const p = problem({ batch: 2, heads: 4, kvHeads: 2, seqLenQ: 40, seqLenK: 40, headDim: 32, window: 9, softcap: 8, causal: true });
    const [r] = await runTorchKernels(session, p, ['torch:eager'], { dtype: 'bf16', mode: 'train', iterations: 1, warmup: 0, maxSeconds: 10, seed: 17, profile: false });
    assert.equal(r.status, 'ok', r.error);
    assert.ok(r.correct, `${r.maxRelError} > ${r.tolerance}: ${r.notes.join(' | ')}`);
  });

  test('train mode on packed documents: a padded tail gets no gradient, every tensor within the f32 tolerance', async () => {
    const p = problem({ batch: 1, heads: 2, kvHeads: 1, seqLenQ: 36, seqLenK: 36, headDim: 32, causal: true, docBounds: docBoundsFor([[11, 19]], 36) });
    const [r] = await runTorchKernels(session, p, ['torch:eager'], { dtype: 'f32', mode: 'train', iterations: 1, warmup: 0, maxSeconds: 10, seed: 23, profile: false });
    assert.equal(r.status, 'ok', r.error);
    assert.ok(r.correct, `${r.maxRelError} > ${r.tolerance}: ${r.notes.join(' | ')}`);
    const perTensor = r.notes.find((n) => n.startsWith('max relative error per tensor:')) ?? '';
    assert.match(perTensor, /O .* dQ .* dK .* dV /, 'the output and all three gradients were compared');
  });

  test('packed documents with backends that cannot take them: skipped with the reason', async () => {
    const p = problem({ batch: 1, heads: 2, kvHeads: 2, seqLenQ: 16, seqLenK: 16, headDim: 32, causal: true, docBounds: docBoundsFor([[8, 8]], 16) });
    const [eager, sdpaFlash, fa] = await runTorchKernels(session, p, ['torch:eager', 'torch:sdpa-flash', 'torch:flash-attn'], {
      dtype: 'f32', mode: 'fwd', iterations: 1, warmup: 0, maxSeconds: 10, seed: 4, profile: false,
    });
    assert.ok(eager.correct, eager.error);
    assert.equal(sdpaFlash.status, 'skipped');
    assert.match(sdpaFlash.error ?? '', olderThan2() ? /^needs PyTorch ≥ 2\.0/ : /no attention mask: SDPA's flash backend takes only is_causal \(this problem has causal, packed documents\)/);
    assert.equal(fa.status, 'skipped');
    assert.match(fa.error ?? '', /flash_attn|fp32/);
  });

  test('backends this PyTorch lacks are skipped with their reason, beside a backend that runs', async () => {
    const p = problem({ batch: 1, heads: 2, kvHeads: 1, seqLenQ: 16, seqLenK: 16, headDim: 32, softcap: 20 });
    const results = await runTorchKernels(session, p, ['torch:sdpa-flash', 'torch:eager', 'torch:flex', 'torch:xformers'], {
      dtype: 'f32', mode: 'fwd', iterations: 1, warmup: 0, maxSeconds: 10, seed: 9, profile: false,
    });
    assert.deepEqual(results.map((r) => r.kernel), ['torch:sdpa-flash', 'torch:eager', 'torch:flex', 'torch:xformers']);
    assert.equal(results[1].status, 'ok');
    const [sdpa, , flex, xf] = results;
    assert.equal(sdpa.status, 'skipped');
    assert.match(sdpa.error ?? '', olderThan2() ? /^needs PyTorch ≥ 2\.0/ : /no softcap/);
    assert.equal(flex.status, 'skipped');
    if (olderThan2()) assert.match(flex.error ?? '', /^needs PyTorch ≥ 2\.5/);
    assert.equal(xf.status, 'skipped');
    assert.match(xf.error ?? '', /xformers/);
  });
});

describe('cancel, time limit, a Python that dies', () => {
  const heavy = problem({ batch: 4, heads: 8, kvHeads: 8, seqLenQ: 512, seqLenK: 512, headDim: 64 });

  test('Cancel stops the run between iterations; the same Python then runs the next request', async () => {
    const abort = new AbortController();
    // Short iterations (milliseconds), so even a loaded machine stops well inside the grace before a kill.
    const light = problem({ batch: 1, heads: 4, kvHeads: 4, seqLenQ: 256, seqLenK: 256, headDim: 64 });
    const run = runTorchKernels(session, light, ['torch:eager'], {
      dtype: 'f32', mode: 'fwd', iterations: 10000, warmup: 0, maxSeconds: 600, seed: 1, signal: abort.signal,
      onProgress: (m) => m.includes('iteration 5/') && abort.abort(),
    });
    await assert.rejects(run, CancelledError);
    assert.ok(session.alive, 'a cooperative cancel leaves Python running');
    const [r] = await runTorchKernels(session, problem({ heads: 2, kvHeads: 2, seqLenQ: 8, seqLenK: 8, headDim: 32 }), ['torch:eager'], {
      dtype: 'f32', mode: 'fwd', iterations: 1, warmup: 0, maxSeconds: 10, seed: 2, profile: false,
    });
    assert.ok(r.correct);
    // The kill kept in reserve for a Python that would not stop (5 s) is dropped once the run has ended.
    await new Promise((done) => setTimeout(done, 5500));
    assert.ok(session.alive, 'Python outlives the cancelled run\'s grace period');
  });

  test('a backend past its time limit is stopped: Python is killed, the row says so', async () => {
    const own = await PythonSession.start(torchPython);
    // Small inputs (generated well inside the limit), heavy iterations, and a warm-up (not bounded by maxSeconds)
    // far longer than the 1 s limit: the bridge must stop it.
    const long = problem({ batch: 1, heads: 4, kvHeads: 4, seqLenQ: 1024, seqLenK: 1024, headDim: 32 });
    const [r] = await runTorchKernels(own, long, ['torch:eager'], { dtype: 'f32', mode: 'fwd', iterations: 10, warmup: 1000, maxSeconds: 1, graceSeconds: 0, seed: 1 });
    assert.equal(r.status, 'failed');
    assert.match(r.error ?? '', /^torch:eager did not finish within 1 s: the Python process was stopped\.$/);
    assert.equal(own.alive, false);
  });

  test('a Python killed mid-run fails the backend it ran and those after it, with one sentence', async () => {
    const own = await PythonSession.start(torchPython);
    const pid = own.pid;
    assert.ok(pid);
    const results = await runTorchKernels(own, heavy, ['torch:eager', 'torch:sdpa-math'], {
      dtype: 'f32', mode: 'fwd', iterations: 10000, warmup: 0, maxSeconds: 600, seed: 1,
      onProgress: (m) => m.includes('iteration 5/') && process.kill(pid, 'SIGKILL'),
    });
    assert.deepEqual(results.map((r) => r.status), ['failed', 'failed']);
    assert.match(results[0].error ?? '', new RegExp(`^Python \\(${torchPython.path.replace(/[/.]/g, '\\$&')}\\) was killed by SIGKILL while running torch:eager`));
    assert.equal(results[1].error, results[0].error);
    assert.equal(own.alive, false);
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the process is gone');
  });

  test('closing the session ends Python (it exits on end of input, even mid-run)', async () => {
    const own = await PythonSession.start(torchPython);
    const pid = own.pid as number;
    const run = runTorchKernels(own, heavy, ['torch:eager'], { dtype: 'f32', mode: 'fwd', iterations: 10000, warmup: 0, maxSeconds: 600, seed: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await own.close(10_000);
    const [r] = await run;
    assert.equal(r.status, 'failed');
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});

describe('attnprof profile with both engines (WebGPU on the real adapter, PyTorch on CPU)', () => {
  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('one report: rows of both engines, engine and dtype columns, a PyTorch lane in the flame chart', async () => {
    const json = tmp.path('both.json');
    const r = await cli('profile', '--shape', '1,4,2,64,32', '--causal', '--kernels', 'flash,torch:eager,torch:sdpa-math', '--dtype', 'bf16',
      '--iters', '3', '--seed', '21', '--no-ceilings', '--python', torchPython.path, '--json', json);
    assert.equal(r.code, 0, r.err);
    const report = parseReport(JSON.parse(readFileSync(json, 'utf8')));
    const rows = report.workloads[0].results;
    assert.deepEqual(rows.map((x) => [x.kernel, x.engine, x.status]), [
      ['flash', 'webgpu', 'ok'],
      ['torch:eager', 'pytorch', 'ok'],
      ['torch:sdpa-math', 'pytorch', olderThan2() ? 'skipped' : 'ok'],
    ]);
    assert.equal(report.spec.dtype, 'f16', 'bf16 is PyTorch\'s: our kernels ran their 16-bit type');
    assert.equal(rows[1].dtype, 'bf16');
    assert.ok(rows.every((x) => x.status !== 'ok' || x.correct));
    assert.deepEqual(report.engines?.map((e) => e.id), ['webgpu', 'pytorch']);
    assert.equal(report.engines?.[1].torch, session.hello.torch);
    assert.equal(report.settings.torchDtype, 'bf16');
    const table = summaryTable(report);
    assert.match(table, /^workload\s+engine\s+kernel\s+dtype\s+median/m);
    assert.match(table, new RegExp(`PyTorch ${session.hello.torch?.replace(/[.+]/g, '\\$&')} · (CPU|.+)\\s+torch:eager\\s+bf16`));
    assert.match(table, /WebGPU\s+flash\s+f16/);
    if (olderThan2()) assert.match(r.err, /torch:sdpa-math skipped on shape: needs PyTorch ≥ 2\.0/);
    const flame = buildFlameModel(report);
    assert.deepEqual(flame.rows.map((x) => x.label), ['run', 'layer', 'WebGPU', 'pass', 'PyTorch', 'torch op']);
    const trace = toChromeTrace(report);
    assert.deepEqual(validateChromeTrace(trace), []);
    const names = trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => e.args?.name);
    assert.ok(names.some((n) => String(n).startsWith(`PyTorch ${session.hello.torch}`)), names.join(', '));
    const torchPid = trace.traceEvents.find((e) => e.ph === 'X' && e.name === 'torch:eager')?.pid;
    const flashPid = trace.traceEvents.find((e) => e.ph === 'X' && e.name === 'flash')?.pid;
    assert.ok(torchPid !== undefined && flashPid !== undefined && torchPid !== flashPid, 'each engine has its own process in the trace');
    assert.deepEqual(flame.rows[2].boxes.map((b) => b.label), ['flash']);
    assert.deepEqual(flame.rows[4].boxes.map((b) => b.label), ['torch:eager']);
    assert.ok(flame.rows[5].boxes.length > 0);
  });

  test('--docs: packed documents through both engines, each checked against the float64 reference', async () => {
    const json = tmp.path('docs.json');
    const r = await cli('profile', '--shape', '2,4,2,48,32', '--causal', '--docs', '20,1,17;48', '--kernels', 'flash,torch:eager', '--iters', '2', '--seed', '8',
      '--no-ceilings', '--python', torchPython.path, '--json', json);
    assert.equal(r.code, 0, r.err);
    const report = parseReport(JSON.parse(readFileSync(json, 'utf8')));
    assert.deepEqual(report.spec.documents, [[20, 1, 17], [48]]);
    assert.deepEqual(report.workloads[0].results.map((x) => [x.kernel, x.status, x.correct]), [['flash', 'ok', true], ['torch:eager', 'ok', true]]);
    assert.match(r.out, /causal, packed documents \(4 in 2 rows\)/);
  });

  test('--docs: bad lists are exit 2 with one sentence', async () => {
    const cases: [string[], RegExp][] = [
      [['--docs', '10,0'], /--docs takes document lengths \(positive integers, ',' between documents, ';' between rows\), got '10,0'\./],
      [['--docs', '4;4;4'], /--docs gives 3 rows of documents for a batch of 2: give one list \(every row\) or 2\./],
      [['--docs', '40'], /packed row 0 holds 40 tokens, more than its 32\./],
      [['--docs', '8', '--q-len', '16'], /--docs packs documents into rows of N tokens: queries and keys must be the same tokens \(--q-len 16 ≠ N 32\)\./],
    ];
    for (const [extra, want] of cases) {
      const r = await cli('profile', '--shape', '2,2,2,32,32', '--kernels', 'torch:eager', ...extra);
      assert.equal(r.code, 2, `${extra.join(' ')}: ${r.err}`);
      assert.match(r.err, want);
    }
  });

  test('no Python with PyTorch: every torch row is skipped with one sentence naming what was tried', async () => {
    const dir = tmp.path('bin2');
    mkdirSync(dir);
    const noTorch = pythonWithoutTorch(dir);
    const json = tmp.path('none.json');
    const r = await cli('profile', '--shape', '1,2,2,16,32', '--kernels', 'torch:eager', '--iters', '1', '--python', noTorch, '--json', json);
    assert.equal(r.code, 1, 'nothing could run');
    assert.match(r.err, new RegExp(`torch:eager skipped on shape: no PyTorch: ${noTorch.replace(/[/.]/g, '\\$&')} has no PyTorch\\. Install PyTorch there`));
    assert.match(r.err, /no kernel could run/);
    assert.doesNotMatch(r.err, /at .*\.js:\d+/, 'no stack trace');
    const report = parseReport(JSON.parse(readFileSync(json, 'utf8')));
    assert.equal(report.adapter.description, 'WebGPU not used (PyTorch backends only)');
  });

  test('no WebGPU adapter: the PyTorch rows still run, ours fail with the adapter\'s sentence', async () => {
    const json = tmp.path('noadapter.json');
    const r = await cli('profile', '--shape', '1,2,2,16,32', '--kernels', 'flash,torch:eager', '--iters', '1', '--adapter', 'no-such-adapter-xyz',
      '--python', torchPython.path, '--no-ceilings', '--json', json);
    assert.equal(r.code, 1, 'a requested kernel failed');
    assert.match(r.err, /flash failed on shape: no WebGPU adapter[^\n]*; the PyTorch rows ran without it\./);
    const report = parseReport(JSON.parse(readFileSync(json, 'utf8')));
    assert.deepEqual(report.workloads[0].results.map((x) => [x.kernel, x.status]), [['flash', 'failed'], ['torch:eager', 'ok']]);
    assert.ok(report.workloads[0].results[1].correct);
  });

  test('usage errors: unknown torch backend, bad mode, bad dtype are exit 2 with one sentence', async () => {
    const a = await cli('profile', '--shape', '1,2,2,16,32', '--kernels', 'torch:nope');
    assert.equal(a.code, 2);
    assert.match(a.err, /unknown kernel 'torch:nope'; available: naive, flash, flash-mma, torch:eager, /);
    const b = await cli('profile', '--shape', '1,2,2,16,32', '--mode', 'backward');
    assert.equal(b.code, 2);
    assert.match(b.err, /--mode must be fwd \(forward\) or train \(forward \+ backward\), got 'backward'\./);
    const c = await cli('profile', '--shape', '1,2,2,16,32', '--dtype', 'fp8');
    assert.equal(c.code, 2);
    assert.match(c.err, /--dtype must be f32, f16 or bf16, got 'fp8'\./);
  });

  test('train mode: our kernels and the PyTorch row both time a training step', async () => {
    const json = tmp.path('train.json');
    const r = await cli('profile', '--shape', '1,2,2,32,32', '--kernels', 'flash,torch:eager', '--mode', 'train', '--iters', '2', '--python', torchPython.path, '--json', json);
    assert.equal(r.code, 0, r.err);
    const report = parseReport(JSON.parse(readFileSync(json, 'utf8')));
    assert.equal(report.settings.mode, 'train');
    const [flash, eager] = report.workloads[0].results;
    assert.equal(flash.status, 'ok', flash.error);
    assert.equal(flash.mode, 'train');
    assert.ok(flash.correct && flash.train && flash.train.checkedKeys > 0);
    assert.equal(eager.status, 'ok');
    assert.equal(eager.mode, 'train');
    // Both count the step as forward + 2.5× forward.
    assert.equal(flash.flops, eager.flops);
  });

  test('flash-attn, xformers, te without their packages: one sentence each in hello, adapters and a skipped row', async () => {
    const h = session.hello;
    const packages = { 'flash-attn': 'flash_attn', xformers: 'xformers', te: 'transformer_engine' } as const;
    const missing = (Object.keys(packages) as (keyof typeof packages)[]).filter((b) => !h.packages[packages[b]] && !(b === 'flash-attn' && h.packages.flash_attn_3));
    const rows = await runTorchKernels(session, problem({ batch: 1, heads: 2, kvHeads: 2, seqLenQ: 8, seqLenK: 8, headDim: 32 }), missing.map((b) => `torch:${b}`), {
      dtype: 'bf16', mode: 'fwd', iterations: 1, warmup: 0, maxSeconds: 10, seed: 3, profile: false,
    });
    const adapters = await cli('adapters', '--python', torchPython.path);
    for (const [i, b] of missing.entries()) {
      const reason = h.backends[b].reason ?? '';
      assert.equal(h.backends[b].available, false, b);
      assert.equal(reason, `${b === 'te' ? 'transformer_engine' : `the ${packages[b]} package`} is not importable in ${h.executable}`);
      assert.equal(rows[i].status, 'skipped');
      assert.equal(rows[i].error, reason, 'the row gives the same sentence');
      assert.ok(adapters.out.includes(`torch:${b}\t${reason}`), adapters.out);
    }
  });

  test('attnprof adapters lists the Python candidates and each backend\'s availability', async () => {
    const r = await cli('adapters', '--python', torchPython.path);
    assert.match(r.out, new RegExp(`PyTorch: using ${torchPython.path.replace(/[/.]/g, '\\$&')}`));
    assert.match(r.out, /torch:eager\tavailable/);
    if (olderThan2()) assert.match(r.out, /torch:sdpa-flash\tneeds PyTorch ≥ 2\.0/);
  });
});

describe('through the extension\'s worker process (dist/cli.js worker)', () => {
  /** Child processes of `pid`, from /proc (field 4 of /proc/N/stat is the parent). */
  const childrenOf = (pid: number): number[] =>
    readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .filter((n) => {
        try {
          const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
        } catch {
          return false;
        }
      })
      .map(Number);
  const request = (kernels: string[], seqLen = 32, iterations = 2): ProfileRequest => ({
    title: 'torch via worker',
    source: { kind: 'shape' },
    workloads: [{ name: 'shape', problem: problem({ batch: 1, heads: 4, kvHeads: 2, seqLenQ: seqLen, seqLenK: seqLen, headDim: 32, causal: true }), layers: [0] }],
    kernels,
    iterations,
    warmup: 0,
    seed: 4,
    ceilings: false,
    torchDtype: 'f32',
    python: { explicit: { path: torchPython.path, source: 'attnprof.python' } },
  });

  test('a profile with torch kernels comes back as one report; Python discovery answers Select Kernels', async () => {
    const client = new WorkerClient({ cliPath: repoPath('dist/cli.js') });
    try {
      const progress: string[] = [];
      const report = await client.profile(request(['flash', 'torch:eager']), { onProgress: (m) => progress.push(m) });
      assert.deepEqual(report.workloads[0].results.map((r) => [r.kernel, r.status, r.correct]), [['flash', 'ok', true], ['torch:eager', 'ok', true]]);
      assert.ok(progress.some((m) => m.startsWith('torch:eager: iteration')), progress.join('\n'));
      const probes = await client.python({ explicit: { path: torchPython.path, source: 'attnprof.python' } });
      assert.equal(probes.length, 1);
      assert.equal(probes[0].torch, session.hello.torch);
      assert.equal(probes[0].backends?.eager.available, true);
    } finally {
      client.dispose();
    }
  });

  test('Cancel kills the worker, and its Python goes with it', async () => {
    const client = new WorkerClient({ cliPath: repoPath('dist/cli.js') });
    const abort = new AbortController();
    let python: number | undefined;
    const run = client.profile(request(['torch:eager'], 512, 100000), {
      signal: abort.signal,
      onProgress: (m) => {
        if (!m.includes('iteration 5/') || python) return;
        const worker = (client as unknown as { child?: { pid?: number } }).child?.pid;
        python = worker ? childrenOf(worker)[0] : undefined;
        abort.abort();
      },
    });
    const e = await run.then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof ProfileFailure && e.kind === 'cancelled', String(e));
    assert.ok(python, 'the worker had a Python child while it ran');
    const pid = python;
    // The worker died by SIGKILL; Python reads end-of-input on its stdin and leaves within moments.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'Python is gone');
    client.dispose();
  });
});
