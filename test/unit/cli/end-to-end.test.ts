/**
 * The CLI's success paths, in process, on the real adapter (Mesa lavapipe on CI, installed by
 * scripts/test.sh): `profile --shape … --json --trace` and `run` on .npy tensors. Like the kernel tier,
 * a missing adapter fails these tests; it never skips them.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { main } from '../../../extension/cli/main';
import { encodeNpy, parseNpy } from '../../../extension/cli/npy';
import { parseReport } from '../../../extension/report/schema';
import { ChromeTrace, validateChromeTrace } from '../../../extension/report/trace';
import { maxRelativeError, referenceRows } from '../../../kernels/reference';
import { referenceGradients } from '../../../kernels/reference-grad';
import { randomNormal } from '../../../kernels/random';
import { problem, tempDir } from '../helpers';

process.env.XDG_RUNTIME_DIR ??= '/tmp';
const tmp = tempDir();
after(() => tmp.cleanup());

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('attnprof profile --shape on the real adapter', () => {
  test('exit 0, a JSON report with the contract fields, a valid Chrome trace', async () => {
    const json = tmp.path('report.json');
    const tracePath = tmp.path('trace.json');
    const r = await cli('profile', '--shape', '1,2,1,33,32', '--iters', '2', '--seed', '11', '--json', json, '--trace', tracePath);
    assert.equal(r.code, 0, `stderr: ${r.err}`);
    assert.match(r.out, /^adapter: /);
    assert.match(r.out, /\bnaive\b.*\bok$/m);
    assert.match(r.out, /\bflash\b.*\bok$/m);
    assert.match(r.err, /flash: checking against the float64 reference/);

    const report = parseReport(JSON.parse(readFileSync(json, 'utf8')));
    // adapter
    assert.equal(typeof report.adapter.vendor, 'string');
    assert.equal(typeof report.adapter.device, 'string');
    assert.equal(typeof report.adapter.isFallback, 'boolean');
    assert.ok(report.adapter.description.length > 0);
    // spec
    assert.deepEqual(
      [report.spec.batch, report.spec.heads, report.spec.kvHeads, report.spec.seqLenQ, report.spec.seqLenK, report.spec.headDim, report.spec.dtype],
      [1, 2, 1, 33, 33, 32, 'f32'],
    );
    assert.equal(report.spec.flops, 4 * 1 * 2 * 33 * 33 * 32);
    assert.deepEqual(report.settings, { iterations: 2, warmup: 3, seed: 11, kernels: ['naive', 'flash', 'flash-mma'] });
    // results: flash-mma runs where the adapter has tensor-core matrices, else it is a skipped row saying why
    assert.deepEqual(report.results.map((x) => x.kernel), ['naive', 'flash', 'flash-mma']);
    const mma = report.results[2];
    if (mma.status === 'skipped') assert.match(mma.error ?? '', /^flash-mma is unavailable: this adapter .* offers no 16×16×16 f16→f32 subgroup matrices/);
    else assert.equal(mma.status, 'ok');
    for (const k of report.results.filter((x) => x.status === 'ok')) {
      const what = k.kernel;
      assert.equal(k.status, 'ok', `${what}: ${k.error}`);
      assert.ok(k.timings, `${what}: timings`);
      const t = k.timings;
      assert.equal(t.samples.length, 2, `${what}: one sample per iteration`);
      assert.ok(t.medianMs > 0 && Number.isFinite(t.medianMs), `${what}: median ${t.medianMs}`);
      assert.ok(t.p10Ms <= t.medianMs && t.medianMs <= t.p90Ms, `${what}: p10 ≤ median ≤ p90`);
      assert.ok(k.tflops > 0 && Number.isFinite(k.tflops), `${what}: tflops`);
      assert.ok(Math.abs(k.tflops - k.flops / (t.medianMs * 1e-3) / 1e12) < 1e-9 * k.tflops, `${what}: tflops from median`);
      assert.ok(k.peakBytes > 0, `${what}: peakBytes`);
      assert.ok(k.maxRelError <= k.tolerance, `${what}: maxRelError ${k.maxRelError}`);
      assert.equal(k.correct, true);
      assert.equal(k.checkedRows, 2 * 33, `${what}: every row checked`);
      assert.ok(k.passes.length > 0, `${what}: passes`);
      for (const p of k.passes) {
        assert.equal(typeof p.name, 'string');
        assert.ok(p.medianMs >= 0 && Number.isFinite(p.medianMs), `${what}/${p.name}: medianMs`);
      }
    }
    assert.ok(report.results[0].passes.length > 1, 'naive has separate passes');
    assert.ok(report.results[0].peakBytes > report.results[1].peakBytes, 'naive holds the score matrix, flash does not');
    // memory trace: every buffer allocated is freed, live bytes back to 0
    assert.ok(report.memory.length >= 2);
    const allocs = report.memory.filter((m) => m.kind === 'alloc').map((m) => m.id).sort();
    const frees = report.memory.filter((m) => m.kind === 'free').map((m) => m.id).sort();
    assert.deepEqual(frees, allocs);
    assert.equal(report.memory[report.memory.length - 1].liveBytes, 0);
    const peak = Math.max(...report.memory.map((m) => m.liveBytes));
    assert.ok(peak >= report.results[0].peakBytes);

    const trace = JSON.parse(readFileSync(tracePath, 'utf8')) as ChromeTrace;
    assert.deepEqual(validateChromeTrace(trace), []);
    assert.equal(trace.traceEvents.filter((e) => e.ph === 'C').length, report.memory.length);
    if (report.timestamps.available) {
      const expected = report.results.reduce((n, k) => n + k.iterations.reduce((m, it) => m + 1 + it.passes.length, 0), 0);
      assert.equal(trace.traceEvents.filter((e) => e.ph === 'X').length, expected);
      // Timed iterations carry one timestamp each: naive's three passes come from a per-pass iteration after them,
      // flash's one pass is its iteration.
      const naive = report.results.find((k) => k.kernel === 'naive');
      const flash = report.results.find((k) => k.kernel === 'flash');
      assert.ok(naive && flash);
      const timed = naive.iterations.filter((it) => !it.perPass);
      const perPass = naive.iterations.filter((it) => it.perPass);
      assert.equal(timed.length, 2);
      assert.ok(timed.every((it) => it.passes.length === 0));
      assert.equal(perPass.length, 1, 'one per-pass iteration for every two timed ones');
      assert.deepEqual(perPass[0].passes.map((x) => x.name), ['QKᵀ', 'softmax', 'PV']);
      const sum = perPass[0].passes.reduce((a, x) => a + x.durationMs, 0);
      assert.ok(Math.abs(sum - perPass[0].durationMs) < 1e-6, 'the passes tile the iteration');
      assert.equal(naive.timings?.samples?.length ?? timed.length, 2, 'per-pass iterations are not in the timings');
      assert.ok(naive.notes.some((n) => /^3 passes: each timed iteration has one GPU timestamp/.test(n)));
      assert.ok(flash.iterations.every((it) => !it.perPass && it.passes.length === 1 && it.passes[0].durationMs === it.durationMs));
    }
    assert.equal(trace.otherData.softwareAdapter, String(report.adapter.isFallback));
  });
});

describe('attnprof run on .npy tensors on the real adapter', () => {
  test('writes O.npy matching the float64 reference (GQA, causal, kv-lens)', async () => {
    const [B, Hq, Hkv, N, D] = [2, 4, 2, 9, 32];
    const q = randomNormal(B * Hq * N * D, 5);
    const k = randomNormal(B * Hkv * N * D, 6);
    const v = randomNormal(B * Hkv * N * D, 7);
    const lens = Int32Array.from([5, 9]);
    const paths = { q: tmp.path('q.npy'), k: tmp.path('k.npy'), v: tmp.path('v.npy'), lens: tmp.path('lens.npy'), out: tmp.path('o.npy') };
    writeFileSync(paths.q, encodeNpy(q, [B, Hq, N, D]));
    writeFileSync(paths.k, encodeNpy(k, [B, Hkv, N, D]));
    writeFileSync(paths.v, encodeNpy(v, [B, Hkv, N, D]));
    writeFileSync(paths.lens, encodeNpy(lens, [B]));
    const r = await cli('run', '--kernel', 'flash', '--q', paths.q, '--k', paths.k, '--v', paths.v, '--out', paths.out, '--causal', '--kv-lens', paths.lens);
    assert.equal(r.code, 0, `stderr: ${r.err}`);
    const o = parseNpy(readFileSync(paths.out), 'O.npy');
    assert.equal(o.dtype, '<f4');
    assert.deepEqual(o.shape, [B, Hq, N, D]);
    const p = problem({ batch: B, heads: Hq, kvHeads: Hkv, seqLenQ: N, seqLenK: N, headDim: D, causal: true, kvLens: lens });
    const rows = Array.from({ length: B * Hq * N }, (_, i) => i);
    const want = referenceRows(p, q, k, v, rows);
    const err = maxRelativeError(o.data, want);
    assert.ok(err < 2e-4, `max relative error ${err}`);
    // the input tensors' values mattered: the output is not zeros
    assert.ok(o.data.some((x) => Math.abs(x) > 0.1));
  });

  test("float16 inputs ('<f2') run in f16 and come back as '<f2', or as '<f4' with --out-dtype f32", async () => {
    const [B, H, N, D] = [1, 2, 11, 32];
    const half = (a: Float32Array) => parseNpy(encodeNpy(a, [a.length], { half: true }), 'rounded').data as Float32Array;
    const q = half(randomNormal(B * H * N * D, 8));
    const k = half(randomNormal(B * H * N * D, 9));
    const v = half(randomNormal(B * H * N * D, 10));
    const paths = { q: tmp.path('hq.npy'), k: tmp.path('hk.npy'), v: tmp.path('hv.npy'), out: tmp.path('ho.npy'), out32: tmp.path('ho32.npy') };
    for (const [path, t] of [[paths.q, q], [paths.k, k], [paths.v, v]] as const) writeFileSync(path, encodeNpy(t, [B, H, N, D], { half: true }));
    const r = await cli('run', '--kernel', 'flash', '--q', paths.q, '--k', paths.k, '--v', paths.v, '--out', paths.out, '--causal');
    assert.equal(r.code, 0, `stderr: ${r.err}`);
    assert.match(r.err, / f16\b/, 'the problem line says f16');
    const o = parseNpy(readFileSync(paths.out), 'O.npy');
    assert.equal(o.dtype, '<f2');
    const p = problem({ batch: B, heads: H, kvHeads: H, seqLenQ: N, seqLenK: N, headDim: D, causal: true });
    const want = referenceRows(p, q, k, v, Array.from({ length: B * H * N }, (_, i) => i));
    assert.ok(maxRelativeError(o.data, want) < 8e-3, `f16 max relative error ${maxRelativeError(o.data, want)}`);
    const r32 = await cli('run', '--kernel', 'flash', '--q', paths.q, '--k', paths.k, '--v', paths.v, '--out', paths.out32, '--causal', '--out-dtype', 'f32');
    assert.equal(r32.code, 0, `stderr: ${r32.err}`);
    assert.equal(parseNpy(readFileSync(paths.out32), 'O.npy').dtype, '<f4');
    const bad = await cli('run', '--kernel', 'flash', '--q', paths.q, '--k', paths.k, '--v', paths.v, '--out', paths.out32, '--out-dtype', 'bf16');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--out-dtype must be f32 or f16/);
  });

  test('with --do writes O, dQ, dK, dV matching the float64 gradients (GQA, causal, window, kv-lens, Nq ≠ Nk)', async () => {
    const [B, Hq, Hkv, Nq, Nk, D] = [2, 6, 2, 7, 11, 32];
    const q = randomNormal(B * Hq * Nq * D, 15);
    const k = randomNormal(B * Hkv * Nk * D, 16);
    const v = randomNormal(B * Hkv * Nk * D, 17);
    const dout = randomNormal(B * Hq * Nq * D, 18);
    const lens = Int32Array.from([8, 11]);
    const at = (name: string) => tmp.path(`g-${name}.npy`);
    writeFileSync(at('q'), encodeNpy(q, [B, Hq, Nq, D]));
    writeFileSync(at('k'), encodeNpy(k, [B, Hkv, Nk, D]));
    writeFileSync(at('v'), encodeNpy(v, [B, Hkv, Nk, D]));
    writeFileSync(at('do'), encodeNpy(dout, [B, Hq, Nq, D]));
    writeFileSync(at('lens'), encodeNpy(lens, [B]));
    const p = problem({ batch: B, heads: Hq, kvHeads: Hkv, seqLenQ: Nq, seqLenK: Nk, headDim: D, causal: true, window: 4, kvLens: lens });
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    const want = referenceGradients(p, q, k, v, dout, all(B * Hq * Nq), all(B * Hkv * Nk));
    for (const kernel of ['naive', 'flash']) {
      const r = await cli(
        'run', '--kernel', kernel, '--q', at('q'), '--k', at('k'), '--v', at('v'), '--do', at('do'), '--out', at('o'),
        '--dq', at('dq'), '--dk', at('dk'), '--dv', at('dv'), '--causal', '--window', '4', '--kv-lens', at('lens'),
      );
      assert.equal(r.code, 0, `${kernel} stderr: ${r.err}`);
      assert.match(r.err, /max relative errors vs float64 reference gradients: O .*, dQ .*, dK .*, dV /);
      const read = (name: string) => parseNpy(readFileSync(at(name)), name);
      assert.deepEqual(read('o').shape, [B, Hq, Nq, D]);
      for (const [name, shape, ref] of [['dq', [B, Hq, Nq, D], want.dq], ['dk', [B, Hkv, Nk, D], want.dk], ['dv', [B, Hkv, Nk, D], want.dv]] as const) {
        const g = read(name);
        assert.equal(g.dtype, '<f4');
        assert.deepEqual(g.shape, shape);
        const err = maxRelativeError(g.data, ref);
        assert.ok(err < 2e-4, `${kernel} ${name}: max relative error ${err}`);
      }
    }
  });

  test('--dtype f16 with float16 inputs writes float16 gradients', async () => {
    const [B, H, N, D] = [1, 2, 10, 32];
    const t = (seed: number) => Float32Array.from(randomNormal(B * H * N * D, seed), (x) => Math.fround(x));
    const at = (name: string) => tmp.path(`h-${name}.npy`);
    for (const [name, seed] of [['q', 1], ['k', 2], ['v', 3], ['do', 4]] as const) writeFileSync(at(name), encodeNpy(t(seed), [B, H, N, D], { half: true }));
    const r = await cli('run', '--kernel', 'flash', '--dtype', 'f16', '--q', at('q'), '--k', at('k'), '--v', at('v'), '--do', at('do'), '--out', at('o'), '--dq', at('dq'), '--dk', at('dk'), '--dv', at('dv'));
    if (/shader-f16/.test(r.err)) {
      assert.equal(r.code, 2);
      return;
    }
    assert.equal(r.code, 0, r.err);
    for (const name of ['o', 'dq', 'dk', 'dv']) {
      const g = parseNpy(readFileSync(at(name)), name);
      assert.equal(g.dtype, '<f2', name);
      assert.deepEqual(g.shape, [B, H, N, D]);
      assert.ok(g.data.some((x) => Math.abs(x) > 0.01), `${name} is all (near) zero`);
    }
  });

  test('missing or mismatched --do: exit 2 with one sentence', async () => {
    const [B, H, N, D] = [1, 2, 6, 32];
    const at = (name: string) => tmp.path(`m-${name}.npy`);
    for (const name of ['q', 'k', 'v']) writeFileSync(at(name), encodeNpy(randomNormal(B * H * N * D, 9), [B, H, N, D]));
    writeFileSync(at('do'), encodeNpy(randomNormal(B * H * (N + 1) * D, 9), [B, H, N + 1, D]));
    const base = ['run', '--kernel', 'naive', '--q', at('q'), '--k', at('k'), '--v', at('v'), '--out', at('o')];
    const grads = ['--dq', at('dq'), '--dk', at('dk'), '--dv', at('dv')];
    const missing = await cli(...base, ...grads);
    assert.equal(missing.code, 2);
    assert.equal(missing.err, 'attnprof: run needs --do DO.npy (dL/dO, shaped like --q) to compute --dq, --dk and --dv.');
    const mismatched = await cli(...base, '--do', at('do'), ...grads);
    assert.equal(mismatched.code, 2);
    assert.match(mismatched.err, /^attnprof: --do shape \[1,2,7,32\] differs from --q shape \[1,2,6,32\]/);
    assert.equal(mismatched.err.split('\n').length, 1);
    const noOutputs = await cli(...base, '--do', at('q'));
    assert.equal(noOutputs.code, 2);
    assert.match(noOutputs.err, /with --do, run needs --dq too/);
  });
});
