/**
 * Kernel tier: every kernel on the real adapter (lavapipe on CI) against the float64 reference, on fresh
 * random inputs each run. A missing adapter fails these tests; it never skips them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuContext, openGpu } from '../../kernels/device';
import { AttentionProblem, ProblemError } from '../../kernels/problem';
import { measureCeilings } from '../../kernels/ceilings';
import { CancelledError, KERNEL_NAMES, runProblem } from '../../kernels/runner';

let ctx: GpuContext;
const seed = Date.now() & 0xffffff;

before(async () => {
  ctx = await openGpu();
});
after(() => ctx?.destroy());

function problem(over: Partial<AttentionProblem>): AttentionProblem {
  return {
    batch: 1, heads: 2, kvHeads: 2, seqLenQ: 37, seqLenK: 37, headDim: 64, dtype: 'f32',
    causal: false, window: 0, softcap: 0, ...over,
  };
}

/**
 * Runs each kernel; flash once per variant: tiled register blocks as planned, tiled with the keys forced
 * into 3 splits (the decode path: partial results + combine pass), and one row per thread.
 */
/**
 * Every user-visible kernel; flash-mma where the adapter has matrix units (its stand-in build is checked on
 * every feature in mma.test.ts: it compiles slowly on a software adapter).
 */
function testKernels(): string[] {
  return KERNEL_NAMES.filter((k) => k !== 'flash-mma' || ctx.hasSubgroupMatrix);
}

async function expectCorrect(p: AttentionProblem, kernels = testKernels()): Promise<void> {
  const results = [];
  const runs: { kernels: string[]; variant?: string; splits?: string }[] = [
    ...kernels.filter((k) => k !== 'flash').map((k) => ({ kernels: [k] })),
    ...(kernels.includes('flash')
      ? [{ variant: 'tiled' }, { variant: 'tiled', splits: '3' }, { variant: 'rows' }].map((v) => ({ kernels: ['flash'], ...v }))
      : []),
  ];
  for (const { kernels: ks, variant, splits } of runs) {
    if (variant) process.env.ATTNPROF_FLASH_VARIANT = variant;
    if (splits) process.env.ATTNPROF_FLASH_SPLITS = splits;
    try {
      const run = await runProblem(ctx, p, { kernels: ks, iterations: 1, warmup: 0, warmupMs: 0, seed, checkBudget: 100000 });
      assert.equal(run.results.length, ks.length);
      results.push(...run.results);
    } catch (e) {
      // The tiled variant may not fit a head dim on this adapter; then flash uses rows and says so.
      if (!(variant === 'tiled' && /tiled flash variant does not fit/.test((e as Error).message))) throw e;
    } finally {
      delete process.env.ATTNPROF_FLASH_VARIANT;
      delete process.env.ATTNPROF_FLASH_SPLITS;
    }
  }
  for (const r of results) {
    assert.equal(r.status, 'ok', `${r.kernel} (${r.notes.join('; ')}): ${r.error}`);
    assert.ok(r.checkedRows > 0, `${r.kernel} checked no rows`);
    assert.ok(r.correct, `${r.kernel} (${r.notes.join('; ')}) max relative error ${r.maxRelError} > ${r.tolerance} (seed ${seed})`);
    assert.ok(r.timings && r.timings.medianMs > 0, `${r.kernel} has no timing`);
  }
}

const cases: [string, Partial<AttentionProblem>][] = [
  ['N not a multiple of any tile', { seqLenQ: 77, seqLenK: 77 }],
  ['N = 1', { seqLenQ: 1, seqLenK: 1 }],
  ['decode: Nq = 1, Nk = 70, causal', { seqLenQ: 1, seqLenK: 70, causal: true }],
  ['Nq < Nk, causal bottom-right', { seqLenQ: 19, seqLenK: 53, causal: true }],
  ['Nq > Nk, causal: leading rows see no key', { seqLenQ: 45, seqLenK: 20, causal: true }],
  ['Nq ≠ Nk, not causal', { seqLenQ: 33, seqLenK: 65 }],
  ['causal', { seqLenQ: 70, seqLenK: 70, causal: true }],
  ['GQA 6:2', { heads: 6, kvHeads: 2, seqLenQ: 41, seqLenK: 41, causal: true }],
  ['MQA 4:1', { heads: 4, kvHeads: 1, seqLenQ: 29, seqLenK: 29 }],
  ['sliding window 8', { seqLenQ: 66, seqLenK: 66, window: 8 }],
  ['sliding window + causal, Nq < Nk', { seqLenQ: 20, seqLenK: 50, window: 5, causal: true }],
  ['window 1 (only itself)', { seqLenQ: 17, seqLenK: 17, window: 1 }],
  ['softcap 5 (Gemma-2 style)', { seqLenQ: 40, seqLenK: 40, softcap: 5 }],
  ['custom scale 0.3', { seqLenQ: 40, seqLenK: 40, scale: 0.3 }],
  ['large scale: peaked softmax', { seqLenQ: 40, seqLenK: 40, scale: 2.5 }],
  ['kv lengths incl. an empty batch', { batch: 3, seqLenQ: 30, seqLenK: 30, kvLens: Int32Array.from([30, 7, 0]) }],
  ['kv lengths + causal', { batch: 2, seqLenQ: 30, seqLenK: 30, causal: true, kvLens: Int32Array.from([12, 30]) }],
  ['everything at once', { batch: 2, heads: 4, kvHeads: 2, seqLenQ: 23, seqLenK: 47, causal: true, window: 11, softcap: 20, scale: 0.2, kvLens: Int32Array.from([40, 47]) }],
];

describe('kernels match the float64 reference', () => {
  // Head dims × mask kinds × dtypes: shapes.test.ts.
  for (const [name, over] of cases) {
    test(name, async () => expectCorrect(problem(over)));
  }
  test('f16 storage when the adapter has shader-f16', async () => {
    if (!ctx.hasF16) {
      await assert.rejects(runProblem(ctx, problem({ dtype: 'f16' }), { kernels: ['flash'] }), ProblemError);
      return;
    }
    await expectCorrect(problem({ dtype: 'f16', heads: 4, kvHeads: 2, seqLenQ: 50, seqLenK: 50, causal: true }));
    await expectCorrect(problem({ dtype: 'f16', headDim: 128, seqLenQ: 1, seqLenK: 40 }));
  });
});

describe('adapter limits', () => {
  test('naive runs in chunks when S exceeds the largest binding, and says so', async () => {
    // 64 KiB binding: one 64×64 f32 score matrix is 16 KiB, so 6 (batch, head) pairs need 2 chunks of 4.
    const small = await openGpu({ maxStorageBufferBindingSize: 64 * 1024 });
    try {
      const p = problem({ batch: 2, heads: 3, kvHeads: 3, seqLenQ: 64, seqLenK: 64, headDim: 32, causal: true });
      const run = await runProblem(small, p, { kernels: ['naive'], iterations: 1, warmup: 0, warmupMs: 0, seed });
      const r = run.results[0];
      assert.equal(r.status, 'ok', r.error);
      assert.ok(r.correct, `max rel error ${r.maxRelError}`);
      assert.match(r.notes.join(' '), /2 chunks of 4/);
      assert.equal(r.passes.find((x) => x.name === 'QKᵀ')?.perIteration, 2);
      const scores = run.memory.find((m) => m.kind === 'alloc' && m.role === 'scores');
      assert.equal(scores?.bytes, 4 * 64 * 64 * 4);
    } finally {
      small.destroy();
    }
  });

  test('a score matrix larger than one binding is refused before allocating', async () => {
    const small = await openGpu({ maxStorageBufferBindingSize: 64 * 1024 });
    try {
      const p = problem({ seqLenQ: 200, seqLenK: 200, headDim: 32 });
      await assert.rejects(runProblem(small, p, { kernels: ['naive'] }), (e: Error) => {
        assert.ok(e instanceof ProblemError);
        assert.match(e.message, /score matrix per head .* profile 'flash' instead/);
        return true;
      });
      // flash never materialises S, so the same problem runs.
      await expectCorrectOn(small, p, ['flash']);
    } finally {
      small.destroy();
    }
  });

  test('tensors larger than a binding are refused with the sizes', async () => {
    const small = await openGpu({ maxStorageBufferBindingSize: 64 * 1024 });
    try {
      await assert.rejects(
        runProblem(small, problem({ batch: 4, heads: 8, kvHeads: 8, seqLenQ: 128, seqLenK: 128 }), { kernels: ['flash'] }),
        /Q and O are 1 MiB each, over this adapter's largest storage binding \(64 KiB\)/,
      );
    } finally {
      small.destroy();
    }
  });
});

async function expectCorrectOn(c: GpuContext, p: AttentionProblem, kernels: string[]): Promise<void> {
  const run = await runProblem(c, p, { kernels, iterations: 1, warmup: 0, warmupMs: 0, seed });
  for (const r of run.results) assert.ok(r.status === 'ok' && r.correct, `${r.kernel}: ${r.error ?? r.maxRelError}`);
}

describe('decode split-K', () => {
  test('decode takes the key-parallel path: keys split over workgroups, then combined, matching the reference', async () => {
    // f16: flash's decode path (f32 decode keeps the split tiled kernel, checked by the decode cases above).
    const p = problem({ batch: 2, heads: 8, kvHeads: 2, seqLenQ: 1, seqLenK: 1000, headDim: 64, dtype: 'f16', causal: true, kvLens: Int32Array.from([1000, 333]) });
    const run = await runProblem(ctx, p, { kernels: ['flash'], iterations: 2, warmup: 0, warmupMs: 0, seed });
    const r = run.results[0];
    assert.ok(r.correct, `max rel error ${r.maxRelError}`);
    assert.match(r.notes.join(' '), /key-parallel decode: 4 query rows per KV head.*keys split \d+ ways/);
    assert.deepEqual(r.passes.map((x) => x.name), ['partial', 'combine']);
    const partials = run.memory.find((m) => m.kind === 'alloc' && m.label.startsWith('split partials ('));
    assert.ok(partials && partials.bytes >= 2 * 2 * 8 * 64 * 4, 'the partial results are in the memory trace');
    const f32 = await runProblem(ctx, { ...p, dtype: 'f32' }, { kernels: ['flash'], iterations: 1, warmup: 0, warmupMs: 0, seed });
    assert.ok(f32.results[0].correct, `f32: max rel error ${f32.results[0].maxRelError}`);
    assert.match(f32.results[0].notes.join(' '), /Keys split \d+ ways/, 'f32 decode: the split tiled kernel');
  });
});

describe('measurement', () => {
  test('timings, passes and the memory trace are consistent', async () => {
    const p = problem({ batch: 2, heads: 2, kvHeads: 1, seqLenQ: 48, seqLenK: 48, causal: true });
    const run = await runProblem(ctx, p, { kernels: ['naive', 'flash'], iterations: 4, warmup: 1, seed });
    const [naive, flash] = run.results;
    assert.deepEqual(naive.passes.map((x) => x.name), ['QKᵀ', 'softmax', 'PV']);
    assert.deepEqual(flash.passes.map((x) => x.name), ['fused']);
    for (const r of run.results) {
      const t = r.timings;
      assert.ok(t);
      assert.equal(t.samples.length, 4);
      assert.ok(t.p10Ms <= t.medianMs && t.medianMs <= t.p90Ms);
      // Timed iterations (one timestamp each) and, for naive's three passes, one per-pass iteration for every two.
      assert.equal(r.iterations.filter((it) => !it.perPass).length, ctx.hasTimestamps ? 4 : 0);
      assert.equal(r.iterations.filter((it) => it.perPass).length, ctx.hasTimestamps && r.kernel === 'naive' ? 2 : 0);
      assert.ok(r.tflops > 0 && r.gbps > 0);
      // The tracked allocator and the analytic model agree on what this kernel allocated.
      assert.ok(Math.abs(r.peakBytes - r.analyticPeakBytes) / r.analyticPeakBytes < 0.02, `${r.kernel}: measured ${r.peakBytes} vs analytic ${r.analyticPeakBytes}`);
    }
    // naive's materialised S = B·Hq·Nq·Nk·4 bytes shows in its trace, and flash allocates none.
    const s = run.memory.filter((m) => m.role === 'scores' && m.kind === 'alloc');
    assert.equal(s.length, 1);
    assert.equal(s[0].bytes, 2 * 2 * 48 * 48 * 4);
    assert.equal(s[0].phase, 'naive');
    assert.ok(naive.peakBytes > flash.peakBytes);
    // The peak is the working set: Q, K, V once, O, S for naive, and the small parameter buffers; the rotating input
    // copies and timestamp buffers are the profiler's, counted apart.
    const qkvo = (2 * (2 * 2 * 48 * 64) + 2 * (2 * 1 * 48 * 64)) * 4;
    assert.ok(flash.peakBytes >= qkvo && flash.peakBytes < qkvo + 4096, `flash working set ${flash.peakBytes} vs Q+K+V+O ${qkvo}`);
    assert.ok(naive.peakBytes >= qkvo + s[0].bytes && naive.peakBytes < qkvo + s[0].bytes + 4096, `naive working set ${naive.peakBytes}`);
    assert.equal(run.inputSets, 4, 'small inputs rotate through copies');
    const copies = run.memory.filter((m) => m.kind === 'alloc' && /rotation copy/.test(m.label));
    assert.equal(copies.length, 9, 'Q, K and V have three rotation copies each');
    assert.ok(copies.every((m) => m.role === 'profiler'), 'rotation copies are profiler overhead');
    for (const r of run.results) assert.ok((r.overheadBytes ?? 0) >= copies.reduce((a, m) => a + m.bytes, 0), `${r.kernel}: overhead ${r.overheadBytes} holds the copies`);
    // Every allocation is freed by the end, and live bytes never go negative.
    assert.equal(run.memory.at(-1)?.liveBytes, 0);
    assert.ok(run.memory.every((m) => m.liveBytes >= 0));
    const allocs = run.memory.filter((m) => m.kind === 'alloc').length;
    const frees = run.memory.filter((m) => m.kind === 'free').length;
    assert.equal(allocs, frees);
  });

  test('short iterations are submitted back to back, each still timed on its own', async () => {
    const p = problem({ seqLenQ: 16, seqLenK: 16, headDim: 16 });
    const run = await runProblem(ctx, p, { kernels: ['flash', 'naive'], iterations: 12, warmup: 2, warmupMs: 0, seed });
    for (const r of run.results) {
      assert.equal(r.status, 'ok', r.error);
      assert.ok(r.correct);
      assert.equal(r.timings?.samples.length, 12);
      assert.equal(r.wallTimings?.samples.length, 12);
      const note = r.notes.find((n) => n.startsWith('timed up to '));
      assert.match(note ?? '', /^timed up to \d+ iterations per submission, back to back \(each under 4 ms: a GPU left idle between them lowers its clocks\)\.$/, r.notes.join(' | '));
      if (ctx.hasTimestamps) {
        // flash: 12 timed iterations; naive (3 passes): 12 timed and 6 per-pass ones, in the same submissions.
        assert.equal(r.iterations.length, r.kernel === 'naive' ? 18 : 12, r.kernel);
        assert.deepEqual(r.timings?.samples, r.iterations.filter((it) => !it.perPass).map((it) => it.durationMs));
        // One trace per iteration, in submission order, none overlapping the next; a per-pass iteration's passes tile it.
        for (let i = 1; i < r.iterations.length; i++) {
          const prev = r.iterations[i - 1];
          assert.ok(r.iterations[i].startMs >= prev.startMs + prev.durationMs - 1e-6, `${r.kernel}: iteration ${i} starts after ${i - 1} ends`);
        }
        for (const it of r.iterations.filter((x) => x.perPass)) {
          assert.equal(it.passes.length, 3);
          assert.ok(Math.abs(it.passes[0].startMs - it.startMs) < 1e-9 && Math.abs(it.passes.reduce((a, x) => a + x.durationMs, 0) - it.durationMs) < 1e-6);
        }
      }
    }
  });

  test('a cancelled run stops with CancelledError', async () => {
    const controller = new AbortController();
    const p = problem({ seqLenQ: 64, seqLenK: 64 });
    await assert.rejects(
      runProblem(ctx, p, {
        kernels: ['naive', 'flash'],
        iterations: 50,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
      CancelledError,
    );
  });

  test('losing the device mid-run ends in a failed result with a message, not a hang', async () => {
    const doomed = await openGpu();
    let destroyed = false;
    const run = await runProblem(doomed, problem({ seqLenQ: 64, seqLenK: 64 }), {
      kernels: ['naive', 'flash'],
      iterations: 20,
      onProgress: (m) => {
        if (!destroyed && m.includes('iteration')) {
          destroyed = true;
          doomed.device.destroy();
        }
      },
    }).then(
      (r) => r.results.map((x) => x.status + ':' + (x.error ?? '')).join(' | '),
      (e: Error) => `threw:${e.name}:${e.message}`,
    );
    assert.ok(destroyed);
    assert.match(run, /failed:.+|threw:GpuError:.+/);
    doomed.destroy();
  });

  test('the output buffer is cleared between kernels, so a kernel cannot pass on another one\'s result', async () => {
    const p = problem({ seqLenQ: 16, seqLenK: 16 });
    const run = await runProblem(ctx, p, { kernels: ['flash', 'flash'], iterations: 1, warmup: 0, warmupMs: 0, seed, keepOutput: true });
    assert.ok(run.results.every((r) => r.correct));
    assert.ok(run.output && run.output.some((x) => x !== 0));
  });
});

describe('ceilings', () => {
  test('copy bandwidth, FMA peak and a checked matmul are measured on the adapter', async () => {
    const c = await measureCeilings(ctx, { maxBytes: 16 * 1024 * 1024 });
    assert.ok(c.computeTflops > 0 && Number.isFinite(c.computeTflops));
    assert.ok(c.bandwidthGBps > 0 && Number.isFinite(c.bandwidthGBps));
    // measureMatmul throws when its sampled outputs disagree with float64 dot products.
    assert.ok(c.matmulTflops !== undefined && c.matmulTflops > 0);
    assert.deepEqual(c.bandwidthBySize?.map((b) => b.bytes), [4 * 1024 * 1024, 16 * 1024 * 1024]);
    assert.match(c.method, /matmul/);
  });
});
