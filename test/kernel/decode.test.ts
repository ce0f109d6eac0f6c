/**
 * Kernel tier for the key-parallel decode pass (kernels/decode.ts; wgsl/flash_decode.wgsl) and the split-K combine
 * pass (wgsl/flash_combine_split.wgsl), against the float64 reference on the real adapter. f16 storage runs through `flash` (whose decode shapes
 * take the pass in f16) and is checked at the f16 tolerance; f32 storage through flash-mma (its plain-f16 stand-in
 * build where the adapter has no matrix units: decode shapes never reach the matrix code), checked at the f32
 * tolerance because the pass reads f32 K/V and computes in f32.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuContext, openGpu } from '../../kernels/device';
import { AttentionProblem, DType } from '../../kernels/problem';
import { runProblem } from '../../kernels/runner';
import { keyParallelShape, planDecode, splitCombineShape } from '../../kernels/decode';
import { DECODE_CASES, decodeProblem, withEnv } from './decodeCases';

let ctx: GpuContext;
let f32Kernel: string;
const seed = Date.now() & 0xffffff;
const TOLERANCE: Record<DType, number> = { f32: 2e-4, f16: 8e-3 };

before(async () => {
  ctx = await openGpu();
  f32Kernel = ctx.hasSubgroupMatrix ? 'flash-mma' : 'flash-mma-emulated';
});
after(() => ctx?.destroy());

const decode = decodeProblem;

/** Runs the decode path in `p.dtype` and checks every row against the float64 reference; returns the notes. */
async function expectCorrect(p: AttentionProblem, what: string): Promise<string> {
  const kernel = p.dtype === 'f16' ? 'flash' : f32Kernel;
  const run = await runProblem(ctx, p, { kernels: [kernel], iterations: 1, warmup: 0, warmupMs: 0, seed, checkBudget: 100000 });
  const r = run.results[0];
  const notes = r.notes.join(' ');
  assert.equal(r.status, 'ok', `${what}: ${r.error}`);
  assert.match(notes, /key-parallel decode/, `${what}: the decode path ran`);
  assert.equal(r.checkedRows, p.batch * p.heads * p.seqLenQ, `${what}: every row is checked`);
  const tolerance = TOLERANCE[p.dtype];
  assert.ok(r.maxRelError <= tolerance, `${what} (${notes}): max relative error ${r.maxRelError} > ${tolerance} (seed ${seed})`);
  return notes;
}


/** The plan the pass takes for `p` (asserting it is the key-parallel one). */
function keyPlan(p: AttentionProblem) {
  const plan = planDecode(p, ctx);
  assert.ok(plan, 'a key-parallel decode plan');
  return plan;
}

// Row counts 1, 7 and 16 (one pipeline each per dtype: lavapipe compiles the unrolled pass slowly); masks vary freely.
const CASES = DECODE_CASES;

describe('key-parallel decode matches the float64 reference', () => {
  for (const dtype of ['f16', 'f32'] as const) {
    test(`every row count and mask kind, ${dtype}`, async () => {
      if (!ctx.hasF16) return assert.fail('the decode tests need an adapter with shader-f16 (lavapipe has it)');
      const layouts = new Set<string>();
      for (const [name, over] of CASES) {
        const p = decode({ dtype, ...over });
        const plan = keyPlan(p);
        layouts.add(plan.shape.partsAt > 0 ? 'parts beside q' : 'parts over q');
        assert.equal(plan.rows, (p.heads / p.kvHeads) * p.seqLenQ, `${name}: rows per KV head`);
        assert.ok(plan.splits > 1 && p.seqLenK % plan.splitKeys !== 0, `${name}: Nk is split, not a multiple of the split (${plan.splitKeys})`);
        const notes = await expectCorrect(p, `${name} (${dtype})`);
        assert.match(notes, new RegExp(`${plan.rows} query rows per KV head, one-shot pass.*vec4<${dtype}> loads.*keys split ${plan.splits} ways.*split-parallel combine`), name);
      }
      // f16's 16 rows of D = 128 take 64 keys, whose score parts share q's workgroup memory (one barrier more).
      if (dtype === 'f16') assert.deepEqual([...layouts].sort(), ['parts beside q', 'parts over q']);
    });
  }

  test('one workgroup per KV head when the keys fit (no split, no combine pass), a zero-length row', async () => {
    const p = decode({ batch: 2, seqLenK: 50, kvLens: Int32Array.from([0, 37]) });
    assert.equal(keyPlan(p).splits, 1);
    const run = await runProblem(ctx, p, { kernels: ['flash'], iterations: 1, warmup: 0, warmupMs: 0, seed });
    assert.ok(run.results[0].correct, `max rel error ${run.results[0].maxRelError}`);
    assert.deepEqual(run.results[0].passes.map((x) => x.name), ['decode']);
  });

  // 2 rows per KV head: the head dims' own code paths compile quickly on a software adapter.
  test('head dims 40 (D/4 not a multiple of 4) in f16, 80 (12 key slices: a partial score step) in f32, 256 in f16 (a ragged combine)', async () => {
    for (const [d, dtype] of [[40, 'f16'], [80, 'f32'], [256, 'f16']] as const) {
      const p = decode({ heads: 4, kvHeads: 2, headDim: d, dtype, seqLenK: 700, kvLens: Int32Array.from([700, 411]) });
      const { splits } = keyPlan(p);
      const shape = splitCombineShape(splits, d);
      // D = 256: 11 splits over 4 groups of 3, the last group's third split past the end; batch 1's splits past
      // key 411 saw no key (statistics only).
      if (d === 256) assert.ok(shape.groups * shape.per > splits, `D=256: a ragged last group (${splits} splits)`);
      await expectCorrect(p, `D=${d} ${dtype}`);
    }
  });

  test('the keys per workgroup forced (ATTNPROF_DECODE_KEYS): 32 (fewer than a score step covers; a lone fold item) and 128', async () => {
    for (const keys of ['16', '128']) {
      await withEnv({ ATTNPROF_DECODE_KEYS: keys }, async () => {
        const p = decode({ window: 300, kvLens: Int32Array.from([1000, 777]) });
        const plan = keyPlan(p);
        assert.equal(plan.shape.sk, Math.max(32, Number(keys)));
        assert.equal(plan.splitKeys, plan.shape.sk, `${keys}: splits of the forced size`);
        await expectCorrect(p, `ATTNPROF_DECODE_KEYS=${keys}`);
      });
    }
  });

  test('the invocations per workgroup forced (ATTNPROF_DECODE_THREADS): 64 with 16 rows, 128 with 7 rows', async () => {
    for (const [threads, over] of [['64', { heads: 16, kvHeads: 1 }], ['128', {}]] as const) {
      await withEnv({ ATTNPROF_DECODE_THREADS: threads }, async () => {
        const p = decode({ ...over, kvLens: Int32Array.from([1000, 411]) });
        const plan = keyPlan(p);
        assert.equal(plan.shape.threads, Number(threads));
        // Every row's softmax invocations fit in the workgroup.
        assert.ok(plan.rows * plan.shape.tpr <= plan.shape.threads, `${threads}: ${plan.rows} rows × ${plan.shape.tpr}`);
        const notes = await expectCorrect(p, `ATTNPROF_DECODE_THREADS=${threads}`);
        assert.match(notes, new RegExp(`each workgroup \\(${threads} threads\\)`));
      });
    }
  });
});

describe('key-parallel decode plan', () => {
  test('the Qwen2-7B decode step (b8, 4k, 7 rows, D = 128, f16): one-shot, 1024 workgroups of 128 keys', async () => {
    const plan = keyPlan(decode({ batch: 8, seqLenK: 4096 }));
    assert.equal(plan.splits, 32);
    assert.equal(plan.splitKeys, 128);
    assert.equal(plan.shape.sk, 128);
    assert.ok(plan.workgroupBytes <= ctx.adapter.limits.maxComputeWorkgroupStorageSize);
  });

  test('the split-parallel combine: splits spread evenly over at most 256 invocations per workgroup', () => {
    assert.deepEqual(splitCombineShape(32, 128), { groups: 8, per: 4, rpw: 1, threads: 256 });
    assert.deepEqual(splitCombineShape(32, 64), { groups: 16, per: 2, rpw: 1, threads: 256 });
    assert.deepEqual(splitCombineShape(11, 256), { groups: 4, per: 3, rpw: 1, threads: 256 });
    assert.deepEqual(splitCombineShape(3, 64), { groups: 3, per: 1, rpw: 5, threads: 240 });
    assert.deepEqual(splitCombineShape(9, 40), { groups: 9, per: 1, rpw: 2, threads: 180 });
    for (const d of [4, 40, 64, 128, 256]) {
      for (const splits of [2, 3, 9, 32, 64, 257]) {
        const s = splitCombineShape(splits, d);
        assert.ok(s.threads <= 256 && s.groups * s.per >= splits && (s.groups - 1) * s.per < splits, `${splits} splits, D ${d}`);
      }
    }
  });

  test('a 16 KiB adapter (the WebGPU minimum): the pass where it fits (else the tiled path), always within the limit', () => {
    const small = { adapter: { limits: { maxComputeWorkgroupStorageSize: 16384 } } } as GpuContext;
    for (const rows of [1, 7, 16]) {
      for (const d of [64, 128, 256]) {
        const plan = planDecode(decode({ heads: rows, kvHeads: 1, headDim: d }), small);
        if (rows <= 7 && d <= 128) assert.ok(plan, `rows ${rows}, D ${d} takes the pass`);
        if (!plan) continue;
        assert.ok(plan.workgroupBytes <= 16384, `rows ${rows}, D ${d}`);
        assert.equal(plan.workgroupBytes, keyParallelShape(rows, d, plan.shape.sk).workgroupBytes);
      }
    }
  });
});
