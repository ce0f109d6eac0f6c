/**
 * Kernel tier for flash-mma's decode path on the matrix units (kernels/decode_mma.ts; wgsl/flash_decode_mma.wgsl),
 * on by default (ATTNPROF_DECODE_MMA=0 turns it off), against the float64 reference on the real adapter: the native build where the
 * adapter has subgroup matrices (the H200), else its plain-f16 stand-in build (CI's lavapipe), at the f16 tolerance.
 * Every mask kind, 1 to 16 rows per KV head, head dims 64, 80 (a ragged last load and blocks owned unevenly) and 128,
 * a chunk past the keys, and a score that jumps by more than the lazy threshold (O rescaled mid-walk).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuContext, openGpu } from '../../kernels/device';
import { AttentionProblem } from '../../kernels/problem';
import { runProblem } from '../../kernels/runner';
import { DECODE_MMA_STEP, decodeMmaKvAccess, decodeMmaSections, planDecodeMma, withKvAccess } from '../../kernels/decode_mma';
import decodeMmaWgsl from '../../kernels/wgsl/flash_decode_mma.wgsl';
import { DECODE_CASES, decodeProblem, withEnv } from './decodeCases';
import type { MmaBuild } from '../../kernels/mma_build';

let ctx: GpuContext;
let kernel: string;
let build: MmaBuild;
const seed = Date.now() & 0xffffff;
const F16_TOLERANCE = 8e-3;
const saved = process.env.ATTNPROF_DECODE_MMA;

before(async () => {
  ctx = await openGpu();
  kernel = ctx.hasSubgroupMatrix ? 'flash-mma' : 'flash-mma-emulated';
  build = ctx.hasSubgroupMatrix ? 'native' : 'emulated';
  process.env.ATTNPROF_DECODE_MMA = '1';
});
after(() => {
  if (saved === undefined) delete process.env.ATTNPROF_DECODE_MMA;
  else process.env.ATTNPROF_DECODE_MMA = saved;
  ctx?.destroy();
});

const decode = decodeProblem;

async function expectCorrect(p: AttentionProblem, what: string): Promise<string> {
  const run = await runProblem(ctx, p, { kernels: [kernel], iterations: 1, warmup: 0, warmupMs: 0, seed, checkBudget: 100000 });
  const r = run.results[0];
  const notes = r.notes.join(' ');
  assert.equal(r.status, 'ok', `${what}: ${r.error}`);
  assert.match(notes, /decode shape on the matrix units/, `${what}: the matrix-unit decode ran (${notes})`);
  assert.equal(r.checkedRows, p.batch * p.heads * p.seqLenQ, `${what}: every row is checked`);
  assert.ok(r.maxRelError <= F16_TOLERANCE, `${what} (${notes}): max relative error ${r.maxRelError} > ${F16_TOLERANCE} (seed ${seed})`);
  assert.deepEqual(r.passes.map((x) => x.name), ['partial', 'combine'], `${what}: a partial and a combine pass`);
  return notes;
}

const CASES: [string, Partial<AttentionProblem>][] = [
  ...DECODE_CASES,
  // Scores spread over tens (scale 5): a later step's max passes the running max by more than LAZY, and O is rescaled mid-walk.
  ['scores far apart (scale 5)', { scale: 5, causal: false }],
];

describe('decode on the matrix units matches the float64 reference (f16)', () => {
  test('every row count and mask kind, head dim 128', async () => {
    for (const [name, over] of CASES) {
      const p = decode(over);
      const plan = planDecodeMma(p, ctx, build);
      assert.ok(plan, `${name}: a matrix-unit decode plan`);
      assert.equal(plan.rows, (p.heads / p.kvHeads) * p.seqLenQ, `${name}: rows per KV head`);
      assert.ok(plan.chunks > 1 && p.seqLenK % plan.chunkKeys !== 0, `${name}: Nk is chunked, not a multiple of the chunk (${plan.chunkKeys})`);
      const notes = await expectCorrect(p, name);
      assert.match(notes, new RegExp(`${plan.rows} query rows per KV head.*${plan.chunks} workgroups per KV head.*${plan.chunkKeys} keys`), name);
    }
  });

  test('head dims 64 and 80 (a ragged last load, column blocks owned unevenly), a chunk past the keys', async () => {
    for (const [d, nk] of [[64, 700], [80, 333], [128, 30]] as const) {
      const p = decode({ heads: 4, kvHeads: 2, headDim: d, seqLenK: nk, kvLens: Int32Array.from([nk, Math.floor(nk / 2)]) });
      const plan = planDecodeMma(p, ctx, build);
      assert.ok(plan, `D = ${d}: a plan`);
      if (nk <= DECODE_MMA_STEP * 2) assert.ok(plan.chunks * plan.chunkKeys - nk >= plan.chunkKeys, `Nk = ${nk}: a chunk lies past the keys`);
      await expectCorrect(p, `D = ${d}, Nk = ${nk}`);
    }
  });

  test('long chunks (many steps per workgroup, every refill used) with one and with two register buffers per tensor', async () => {
    // 3 chunks per KV head of the 1000 keys: 352 keys (11 steps) with one buffer, 384 (6 two-step trips) with two.
    for (const depth of ['1', '2'] as const) {
      await withEnv({ ATTNPROF_DECODE_MMA_CHUNKS: '3', ATTNPROF_DECODE_MMA_DEPTH: depth }, async () => {
        for (const [name, over] of [['window 300', { window: 300 }], ['scores far apart (scale 5)', { scale: 5, causal: false }], ['D = 80', { headDim: 80 }]] as const) {
          const what = `${depth} buffer(s), ${name}`;
          const notes = await expectCorrect(decode(over), what);
          assert.match(notes, depth === '2' ? /the next two steps' K\/V in flight/ : /the next step's K\/V in flight/, what);
          assert.match(notes, /3 workgroups per KV head, each walking (352|384) keys/, what);
        }
      });
    }
  });

  test('K and V bound read-only (ATTNPROF_DECODE_MMA_KV=read)', async () => {
    await withEnv({ ATTNPROF_DECODE_MMA_KV: 'read' }, async () => {
      const notes = await expectCorrect(decode({ window: 300 }), 'read-only K/V');
      assert.match(notes, /K and V bound read-only/);
    });
  });
});

describe('where the matrix-unit decode applies', () => {
  test('on by default: f16, head dims a multiple of 16 up to 128, the decode shapes; the rest take the key-parallel pass', async () => {
    await withEnv({ ATTNPROF_DECODE_MMA: undefined }, () => assert.ok(planDecodeMma(decode({}), ctx, build), 'on with ATTNPROF_DECODE_MMA unset'));
    assert.equal(planDecodeMma(decode({ dtype: 'f32' }), ctx, build), undefined, 'f32');
    assert.equal(planDecodeMma(decode({ headDim: 72 }), ctx, build), undefined, 'D = 72');
    assert.equal(planDecodeMma(decode({ headDim: 256 }), ctx, build), undefined, 'D = 256');
    assert.equal(planDecodeMma(decode({ seqLenQ: 64, causal: false }), ctx, build), undefined, 'a prefill');
    assert.equal(planDecodeMma(decode({ layout: 'bshd' }), ctx, build), undefined, 'bshd');
    await withEnv({ ATTNPROF_DECODE_MMA: '0' }, () => assert.equal(planDecodeMma(decode({}), ctx, build), undefined, 'ATTNPROF_DECODE_MMA=0 turns it off'));
  });

  test('the Qwen2-7B decode step b8 4k: 12 chunks of 352 keys, one wave of 384 workgroups', async () => {
    const plan = planDecodeMma(decode({ batch: 8, seqLenK: 4096 }), ctx, build);
    assert.ok(plan);
    assert.deepEqual([plan.chunks, plan.chunkKeys, plan.loads, plan.chunks * 8 * 4], [12, 352, 4, 384]);
    assert.ok(plan.workgroupBytes <= 16 * 1024, `${plan.workgroupBytes} bytes: three workgroups in an H200 multiprocessor's 48 KiB`);
    await withEnv({ ATTNPROF_DECODE_MMA_CHUNKS: '8' }, () => {
      const forced = planDecodeMma(decode({ batch: 8, seqLenK: 4096 }), ctx, build);
      assert.deepEqual([forced?.chunks, forced?.chunkKeys], [8, 512], 'ATTNPROF_DECODE_MMA_CHUNKS=8');
    });
  });

  test('the native build reduces rows by subgroup shuffles, the stand-in through workgroup memory', async () => {
    const native = decodeMmaSections(decodeMmaWgsl, 128, 'native');
    const standIn = decodeMmaSections(decodeMmaWgsl, 128, 'emulated');
    assert.match(native, /subgroupShuffleXor\(mx, 4u\)/);
    assert.doesNotMatch(standIn, /subgroupShuffle/);
    assert.match(standIn, /red\[lid\] = mx;/);
    // One register buffer of 4 words per tensor by default, refilled right after it is staged; with two, both steps
    // of a loop trip unguarded (no value merged at a step's end) and chunks of whole trips.
    assert.equal((native.match(/var kb[01]_[0-3] = /g) ?? []).length, 4);
    assert.match(native, /stage\([^;]*kb0_3\); kb0_3 = k\[kvWord\(b, kvh, t0 \+ 1u \* STEP/);
    const two = decodeMmaSections(decodeMmaWgsl, 128, 'native', 2);
    assert.equal((two.match(/var kb[01]_[0-3] = /g) ?? []).length, 8);
    assert.match(two, /stage\([^;]*kb0_3\); kb0_3 = k\[kvWord\(b, kvh, t0 \+ 2u \* STEP/);
    assert.doesNotMatch(two, /if \(t0 \+ STEP < kEnd\)/);
    await withEnv({ ATTNPROF_DECODE_MMA_DEPTH: '2' }, () =>
      assert.equal(planDecodeMma(decode({ batch: 8, seqLenK: 4096 }), ctx, build)!.chunkKeys % (2 * DECODE_MMA_STEP), 0),
    );
    assert.equal(decodeMmaKvAccess(), 'read_write', 'K and V bound read-write by default');
    const rw = withKvAccess(decodeMmaWgsl, 'read_write');
    assert.match(rw, /var<storage, read_write> k: array<vec4<u32>>;/);
    assert.match(rw, /var<storage, read_write> v: array<vec4<u32>>;/);
    assert.match(rw, /var<storage, read> q: array<vec4<u32>>;/);
  });
});
