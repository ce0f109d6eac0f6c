/**
 * Kernel tier for flash-mma: every feature against the float64 reference. On an adapter with subgroup matrices
 * (the H200) the native build runs; elsewhere (CI's lavapipe) the same WGSL with the plain-f16 stand-in for the
 * three matrix builtins, which checks the tiling, the lazy rescaling and the masking. The stand-in compiles
 * slowly on a software adapter, so the cases share a few pipelines: one per (head dim, dtype, tiles).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuContext, openGpu } from '../../kernels/device';
import { AttentionProblem, DType, docBoundsFor } from '../../kernels/problem';
import { KernelResult, runProblem } from '../../kernels/runner';
import { FORWARD_SUBGROUPS, forwardKeys, forwardRegisters, mmaBytes, mmaForwardPipeline, mmaForwardWorkgroups, mmaUnavailableReason, pRowPad, planMma, shareKvTile, tileScore, unrollMma } from '../../kernels/flash_mma';
import { mmaBackwardPipeline, planMmaBackward, unrollMmaBackward } from '../../kernels/backward_mma';
import type { PipelineCache } from '../../kernels/shader';
import { residentWorkgroups } from '../../kernels/residency';
import { formatBytes } from '../../kernels/units';
import flashMmaWgsl from '../../kernels/wgsl/flash_mma.wgsl';
import mmaNativeWgsl from '../../kernels/wgsl/mma_native.wgsl';
import mmaBwdNativeWgsl from '../../kernels/wgsl/mma_bwd_native.wgsl';
import mmaStandInWgsl from '../../kernels/wgsl/mma_standin.wgsl';
import mmaOrderWgsl from '../../kernels/wgsl/mma_order.wgsl';
import { assembleShader } from '../../kernels/shader';
import dkvWgsl from '../../kernels/wgsl/flash_mma_bwd_dkv.wgsl';
import dqWgsl from '../../kernels/wgsl/flash_mma_bwd_dq.wgsl';
import { lastArgsOf, workgroupVariableBytes } from '../unit/helpers';

let ctx: GpuContext;
let kernel: string;
const seed = Date.now() & 0xffffff;

before(async () => {
  ctx = await openGpu();
  kernel = ctx.hasSubgroupMatrix ? 'flash-mma' : 'flash-mma-emulated';
});
after(() => ctx?.destroy());

const base = (d: number, dtype: DType, over: Partial<AttentionProblem> = {}): AttentionProblem => ({
  batch: 2, heads: 4, kvHeads: 2, seqLenQ: 37, seqLenK: 37, headDim: d, dtype, causal: false, window: 0, softcap: 0, ...over,
});

async function expectCorrect(p: AttentionProblem, what: string): Promise<KernelResult> {
  const run = await runProblem(ctx, p, { kernels: [kernel], iterations: 1, warmup: 0, warmupMs: 0, seed, checkBudget: 100000 });
  const r = run.results[0];
  assert.equal(r.status, 'ok', `${what}: ${r.error}`);
  assert.equal(r.checkedRows, p.batch * p.heads * p.seqLenQ, `${what}: every row is checked`);
  assert.equal(r.tolerance, 8e-3, `${what}: checked at the f16 tolerance (its products are f16)`);
  assert.ok(r.correct, `${what} (${r.notes.join('; ')}): max relative error ${r.maxRelError} > ${r.tolerance} (seed ${seed})`);
  return r;
}

const FEATURES: [string, Partial<AttentionProblem>][] = [
  ['no mask', {}],
  ['causal', { causal: true }],
  ['Nq < Nk, causal bottom-right', { seqLenQ: 19, seqLenK: 53, causal: true }],
  ['Nq > Nk, causal: leading rows see no key', { seqLenQ: 45, seqLenK: 20, causal: true }],
  ['sliding window 7', { window: 7 }],
  ['window 1 (only itself)', { window: 1 }],
  ['key lengths (one empty row)', { kvLens: Int32Array.from([23, 0]) }],
  ['packed documents, causal', { causal: true, docBounds: docBoundsFor([[1, 20, 9], [37]], 37) }],
  ['softcap 5', { softcap: 5 }],
  ['large scale: peaked softmax, the max moves late (rescales O)', { scale: 3 }],
  ['MQA 6:1 spanning two heads per block', { heads: 6, kvHeads: 1, seqLenQ: 40, seqLenK: 40 }],
  ['more keys than one tile row, N = 70', { seqLenQ: 70, seqLenK: 70, causal: true }],
  ['bshd layout ([B, N, H, D] strides), causal', { layout: 'bshd', causal: true }],
  // 37 = a class token + a 6×6 patch grid; tiles in which no pair is visible are skipped.
  ['2-D neighbourhood R=2 with a class token', { neighborhood: { radius: 2, rows: 6, cols: 6 } }],
  ['2-D neighbourhood R=1: each patch sees itself and the class token', { neighborhood: { radius: 1, rows: 6, cols: 6 } }],
  ['decode (one query row): the key-parallel path', { seqLenQ: 1, seqLenK: 90, causal: true, kvLens: Int32Array.from([90, 31]) }],
];

describe('flash-mma matches the float64 reference', () => {
  test('every feature, D = 64, f16', async () => {
    for (const [name, over] of FEATURES) await expectCorrect(base(64, 'f16', over), name);
  });
  // The scale folded into the exponent needs a positive scale (the maximum of the unscaled scores is then the scaled
  // maximum): a negative or zero scale takes the scores scaled as read, as does a softcap (above).
  test('a negative and a zero scale (scores scaled before their maximum), D = 64, f16', async () => {
    await expectCorrect(base(64, 'f16', { scale: -0.7 }), 'scale −0.7');
    await expectCorrect(base(64, 'f16', { scale: -0.7, causal: true, seqLenQ: 45, seqLenK: 20 }), 'scale −0.7, Nq > Nk causal');
    await expectCorrect(base(64, 'f16', { scale: 0, kvLens: Int32Array.from([23, 0]) }), 'scale 0, key lengths');
  });
  // f32 storage differs only in how tiles are loaded and O is written (products are f16 either way).
  test('f32 inputs and output, D = 64: no mask, causal with key lengths, decode', async () => {
    for (const i of [0, 6, FEATURES.length - 1]) {
      const [name, over] = FEATURES[i];
      await expectCorrect(base(64, 'f32', { ...over, ...(i === 6 ? { causal: true } : {}) }), `${name} (f32)`);
    }
  });
  test('one pass over V as it lies, and a note naming the plan and its workgroup memory', async () => {
    const p = base(64, 'f16', { seqLenK: 45 });
    const run = await runProblem(ctx, p, { kernels: [kernel], iterations: 1, warmup: 0, warmupMs: 0, seed });
    const r = run.results[0];
    assert.deepEqual(r.passes.map((x) => x.name), ['fused']);
    assert.deepEqual(run.memory.filter((m) => m.kind === 'alloc' && m.role === 'scratch').map((m) => m.label), []);
    const plan = planMma(p, ctx, ctx.hasSubgroupMatrix ? 'native' : 'emulated');
    assert.ok(plan);
    // The note names the plan and its workgroup memory (what decides how many workgroups a multiprocessor holds).
    assert.ok(r.notes.some((n) => n.startsWith(`${plan.subgroups} subgroups × 16 query rows, 16-key tiles, head dim padded to 64, ${formatBytes(plan.workgroupBytes)} of workgroup memory per workgroup;`)), r.notes.join(' | '));
  });
  // The schedule's other choices (flash_mma.ts MmaSchedule), both at once: each tile's K/V loads issued a tile ahead
  // (the default loads them at the top of their own iteration), query blocks dispatched last first.
  // Also the tile loads that zero keys past the last (instead of reading the last key again) and the scores scaled as
  // read with a select per probability (instead of unscaled, the scale folded into the exponent's fma).
  test('the other schedule: K/V loaded per iteration with V stored early, each head\'s blocks last first, P\'s rows unpadded, zeroed tails, scaled scores, padding subgroups computing (no mask too)', async () => {
    const env = { ATTNPROF_MMA_KV_AHEAD: '0', ATTNPROF_MMA_V_LATE: '0', ATTNPROF_MMA_ORDER: 'head', ATTNPROF_MMA_P_PAD: '0', ATTNPROF_MMA_CLAMP_KV: '0', ATTNPROF_MMA_FUSED_EXP: '0', ATTNPROF_MMA_SKIP_DEAD: '0' };
    Object.assign(process.env, env);
    try {
      const plan = planMma(base(64, 'f16'), ctx);
      assert.deepEqual([plan?.consts.KV_AHEAD, plan?.consts.V_LATE, plan?.consts.ORDER, plan?.consts.PS, plan?.consts.CLAMP_KV, plan?.consts.FUSED_EXP, plan?.consts.SKIP_DEAD], [0, 0, 1, 16, 0, 0, 0]);
      for (const [name, over] of FEATURES.filter(([, o]) => o.seqLenQ !== 1)) await expectCorrect(base(64, 'f16', over), `${name} (schedule)`);
      await expectCorrect(base(128, 'f16', { causal: true, kvLens: Int32Array.from([30, 37]) }), 'D=128 causal, key lengths (schedule)');
      await expectCorrect(base(80, 'f32', { seqLenQ: 39, seqLenK: 39, layout: 'bshd', causal: true }), 'D=80 f32 bshd causal (schedule)');
    } finally {
      for (const name of Object.keys(env)) delete process.env[name];
    }
  });
  // K and V staged through one workgroup tile (flash_mma.ts MmaSchedule `kvShared`, forced on): V stored into K's tile
  // after the scores' barrier, the next tile's K after a barrier at the top that ends P·V. Every feature at D = 64, the
  // GQA causal prefill shape at D = 128 with key lengths, and D = 80 (the padding columns K and V share) in bshd.
  test('K and V sharing one tile (every feature, D = 64 f16; D = 128 causal GQA; D = 80 bshd neighbourhood, f32)', async () => {
    const env = { ATTNPROF_MMA_KV_AHEAD: '0', ATTNPROF_MMA_V_LATE: '1', ATTNPROF_MMA_KV_SHARED: '1', ATTNPROF_MMA_V_MID: '1' };
    Object.assign(process.env, env);
    try {
      const plan = planMma(base(128, 'f16'), ctx);
      assert.ok(plan);
      assert.deepEqual([plan.consts.V_LATE, plan.consts.KV_SHARED, plan.consts.V_MID], [1, 1, 1]);
      const { QVIA_K: qViaK, SHUFFLE: shuffle, PS: ps } = plan.consts;
      const apart = mmaBytes(plan.paddedDim, plan.subgroups, plan.keys, qViaK === 1, shuffle === 1, ps - plan.keys).bytes;
      assert.equal(apart - plan.workgroupBytes, plan.keys * plan.consts.VS * 2, 'the V tile is not allocated');
      const wgsl = shareKvTile(unrollMma(flashMmaWgsl, plan.consts));
      assert.doesNotMatch(wgsl, /\bvt\b/);
      for (const [name, over] of FEATURES.filter(([, o]) => o.seqLenQ !== 1)) await expectCorrect(base(64, 'f16', over), `${name} (K and V share a tile)`);
      await expectCorrect(base(128, 'f16', { heads: 8, kvHeads: 2, seqLenQ: 45, seqLenK: 45, causal: true, kvLens: Int32Array.from([40, 45]) }), 'D=128 causal GQA, key lengths (K and V share a tile)');
      await expectCorrect(base(80, 'f32', { seqLenQ: 39, seqLenK: 39, layout: 'bshd', causal: true, neighborhood: { radius: 3, rows: 3, cols: 13 } }), 'D=80 f32 bshd neighbourhood (K and V share a tile)');
      // V stored after the softmax instead of right after the scores' barrier.
      process.env.ATTNPROF_MMA_V_MID = '0';
      assert.equal(planMma(base(128, 'f16'), ctx)?.consts.V_MID, 0);
      await expectCorrect(base(128, 'f16', { heads: 8, kvHeads: 2, seqLenQ: 45, seqLenK: 45, causal: true, window: 9 }), 'D=128 causal window (K and V share a tile, V after the softmax)');
    } finally {
      for (const name of Object.keys(env)) delete process.env[name];
    }
  });
  // Two 16-row blocks per subgroup (flash_mma.ts `forwardRowBlocks`, forced on): each K and V fragment serves two
  // products, a row's softmax is one lane's (no exchange), Q is staged two blocks per subgroup. Every feature at D = 64
  // (4 × 32 rows: ViT-sized blocks of 128), 2 subgroups with the padding-row skip, the causal GQA shape at D = 128 (32-key
  // tiles, K and V in one tile), D = 80 in f32 and bshd with the neighbourhood, and Q staged through ps.
  test('two row blocks per subgroup (every feature, D = 64 f16; padding subgroups; D = 128 causal GQA; D = 80 bshd neighbourhood, f32; Q via ps)', async () => {
    process.env.ATTNPROF_MMA_ROW_BLOCKS = '2';
    try {
      const plan = planMma(base(64, 'f16'), ctx, ctx.hasSubgroupMatrix ? 'native' : 'emulated');
      assert.ok(plan);
      assert.deepEqual([plan.rowBlocks, plan.consts.RB, plan.consts.ROWSTAT], [2, 2, 4]);
      // 2 × 32 rows take the bytes of 4 × 16 (11 808 at D = 64, P unpadded); the score counts rows, not subgroups: 4 per SM
      // by memory and by 185 registers, 4 × 2 × 2 = 16 blocks of 16 rows, as 4 × 16 rows scores.
      assert.equal(mmaBytes(64, 2, 16, true, true, 0, false, 2).bytes, 11808);
      assert.equal(tileScore(11808, 2, undefined, forwardRegisters(64, 16, 2), 2), tileScore(11808, 4, undefined, forwardRegisters(64)));
      // 2 · 70 slots per KV head in workgroups of 2 × 32 rows: 3 blocks, for each of 2 batches × 2 KV heads.
      assert.deepEqual(mmaForwardWorkgroups(base(64, 'f16', { seqLenQ: 70 }), { ...plan, subgroups: 2 }), [3, 4, 1]);
      const wgsl = unrollMma(flashMmaWgsl, plan.consts);
      assert.match(wgsl, /let kf = loadKt\(0u, KS\); s = mma\(qf0, kf, s\); s1 = mma\(qf0_1, kf, s1\);/);
      assert.match(wgsl, /let tileMax(Raw)? = mx;/);
      assert.doesNotMatch(wgsl, /subgroupShuffleXor/);
      for (const [name, over] of FEATURES.filter(([, o]) => o.seqLenQ !== 1)) await expectCorrect(base(64, 'f16', over), `${name} (two row blocks)`);
      process.env.ATTNPROF_MMA_TILES = '2,16';
      const p = base(64, 'f16', { seqLenQ: 37, seqLenK: 37, causal: true });
      const r = await expectCorrect(p, 'N=37 causal, 2 × 32 rows (two row blocks)');
      // 2 · 37 = 74 slots per KV head in blocks of 64 rows: the second block's first subgroup holds 10 live rows, its second none.
      assert.match(r.notes.join(' '), /74 query slots per head: the last block of 64 holds 10, and its 1 subgroup of padding rows skips the products/);
      assert.ok(r.notes.some((n) => n.startsWith('2 subgroups × 32 query rows, 16-key tiles')), r.notes.join(' | '));
      delete process.env.ATTNPROF_MMA_TILES;
      await expectCorrect(base(128, 'f16', { heads: 8, kvHeads: 2, seqLenQ: 45, seqLenK: 45, causal: true, kvLens: Int32Array.from([40, 45]) }), 'D=128 causal GQA, key lengths (two row blocks)');
      await expectCorrect(base(80, 'f32', { seqLenQ: 39, seqLenK: 39, layout: 'bshd', causal: true, neighborhood: { radius: 3, rows: 3, cols: 13 } }), 'D=80 f32 bshd neighbourhood (two row blocks)');
      process.env.ATTNPROF_MMA_Q_VIA_K = '0';
      await expectCorrect(base(64, 'f16', { scale: 3, window: 9 }), 'large scale, window 9, Q via ps (two row blocks)');
    } finally {
      delete process.env.ATTNPROF_MMA_ROW_BLOCKS;
      delete process.env.ATTNPROF_MMA_TILES;
      delete process.env.ATTNPROF_MMA_Q_VIA_K;
    }
  });
  // A block's last subgroups may hold only padding rows (flash_mma.wgsl `sgLive`): they skip the scores, the softmax
  // and P·V but still stage their share of each tile and meet every barrier. 4 subgroups × 16 rows over 2 · 37 = 74
  // slots per KV head: the second block's subgroup 0 holds 10 live rows, subgroups 1–3 none.
  test('subgroups holding only padding rows skip their products and softmax (4 × 16 tiles over 74 slots)', async () => {
    process.env.ATTNPROF_MMA_TILES = '4,16';
    try {
      const plan = planMma(base(64, 'f16'), ctx, ctx.hasSubgroupMatrix ? 'native' : 'emulated');
      assert.deepEqual([plan?.subgroups, plan?.consts.SKIP_DEAD], [4, 1]);
      for (const i of [0, 1, 3, 6, 9, 10]) {
        const p = base(64, 'f16', FEATURES[i][1]);
        const r = await expectCorrect(p, `${FEATURES[i][0]} (4 × 16)`);
        // The report says which subgroups skip: e.g. 74 slots, the last block's 10 live rows in its first subgroup.
        const slots = (p.heads / p.kvHeads) * p.seqLenQ;
        const dead = (Math.ceil(slots / 64) * 64 - Math.ceil(slots / 16) * 16) / 16;
        assert.ok(dead > 0, FEATURES[i][0]);
        assert.match(r.notes.join(' '), new RegExp(`${slots} query slots per head: the last block of 64 holds ${slots % 64}, and its ${dead} subgroups? of padding rows skips? the products`), FEATURES[i][0]);
      }
    } finally {
      delete process.env.ATTNPROF_MMA_TILES;
    }
  });
  // Q staged through the K tile before the loop (flash_mma.ts MmaSchedule `qViaK`) is the default with 16-key tiles (the
  // tests above); here Q staged through ps instead (forced off), and through K with 32-key tiles (forced on): BK rows a
  // round, so two subgroups load their fragments per round; with a padded head dim the K tile's padding columns must be
  // zero again after Q passed through them.
  test('Q staged through ps (every feature, D = 64 f16; D = 80 bshd neighbourhood) and through K with 32-key tiles (4 and 1 subgroups)', async () => {
    try {
      assert.equal(planMma(base(64, 'f16'), ctx)?.consts.QVIA_K, 1, 'on by default with 16-key tiles');
      process.env.ATTNPROF_MMA_Q_VIA_K = '0';
      const plan = planMma(base(64, 'f16'), ctx);
      assert.ok(plan);
      assert.equal(plan.consts.QVIA_K, undefined);
      assert.equal(plan.consts.PS, Math.max(plan.keys, plan.paddedDim) + 8, 'Q and P in ps');
      for (const [name, over] of FEATURES.filter(([, o]) => o.seqLenQ !== 1)) await expectCorrect(base(64, 'f16', over), `${name} (Q via ps)`);
      await expectCorrect(
        base(80, 'f16', { seqLenQ: 39, seqLenK: 39, layout: 'bshd', causal: true, neighborhood: { radius: 3, rows: 3, cols: 13 } }),
        'D=80 bshd neighbourhood (Q via ps)',
      );
      await expectCorrect(base(64, 'f32', { window: 7 }), 'window 7, f32 (Q via ps)');
      process.env.ATTNPROF_MMA_Q_VIA_K = '1';
      process.env.ATTNPROF_MMA_TILES = '4,32';
      assert.equal(planMma(base(64, 'f16'), ctx)?.consts.PS, 32 + 8, 'P only in ps');
      await expectCorrect(base(64, 'f16', { seqLenQ: 70, seqLenK: 70, causal: true, kvLens: Int32Array.from([61, 70]) }), 'N=70 causal, key lengths, 4 × 32 (Q via K)');
      // One subgroup with 32-key tiles: a round with fewer subgroups than the K tile holds.
      process.env.ATTNPROF_MMA_TILES = '1,32';
      await expectCorrect(base(64, 'f16', { seqLenQ: 45, seqLenK: 45, causal: true }), 'N=45 causal, 1 × 32 (Q via K)');
      // Two subgroups with 16-key tiles (the default's schedule): two rounds of one subgroup each.
      delete process.env.ATTNPROF_MMA_Q_VIA_K;
      process.env.ATTNPROF_MMA_TILES = '2,16';
      assert.equal(planMma(base(64, 'f32'), ctx)?.consts.QVIA_K, 1);
      await expectCorrect(base(64, 'f32', { window: 7 }), 'window 7, f32, 2 × 16 (Q via K)');
    } finally {
      delete process.env.ATTNPROF_MMA_Q_VIA_K;
      delete process.env.ATTNPROF_MMA_TILES;
    }
  });
  test('head dim 80 (padded to 96), f16, bshd, a 3×13 grid with R=3 whose rows straddle the tiles, causal', async () => {
    await expectCorrect(
      base(80, 'f16', { seqLenQ: 39, seqLenK: 39, layout: 'bshd', causal: true, neighborhood: { radius: 3, rows: 3, cols: 13 } }),
      'D=80 bshd neighbourhood',
    );
  });
  // Head dims that are not a multiple of 16 are padded to the matrix tile in workgroup memory.
  for (const d of [40, 128]) {
    test(`head dim ${d} (padded to ${Math.ceil(d / 16) * 16}), f16, causal + key lengths`, async () => {
      await expectCorrect(base(d, 'f16', { causal: true, kvLens: Int32Array.from([30, 37]) }), `D=${d}`);
    });
  }
});

/**
 * mma_order.wgsl's blockOrder run on the adapter for a grid of `blocks` × `pairs` workgroups: the (block, pair) each
 * workgroup takes, in launch order (x fastest).
 */
async function blockOrderOf(order: number, blocks: number, pairs: number, causal: boolean, shape: { block: number; period: number; rising: boolean }): Promise<[number, number][]> {
  const { device } = ctx;
  const body = `@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> taken: array<vec2<u32>>;
@compute @workgroup_size(1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  taken[wg.y * nwg.x + wg.x] = blockOrder(wg, nwg, BLOCK, PERIOD, RISING == 1u);
}`;
  const code = assembleShader(body, { dtype: 'f32', consts: { ORDER: order, BLOCK: shape.block, PERIOD: shape.period, RISING: shape.rising ? 1 : 0 }, mask: false, prelude: mmaOrderWgsl });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const params = new Uint32Array(24);
  params[6] = causal ? 1 : 0; // Params.causal (params.wgsl)
  const uniform = device.createBuffer({ size: params.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const size = blocks * pairs * 8;
  const out = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    device.queue.writeBuffer(uniform, 0, params);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: uniform } }, { binding: 1, resource: { buffer: out } }] }));
    pass.dispatchWorkgroups(blocks, pairs);
    pass.end();
    encoder.copyBufferToBuffer(out, 0, read, 0, size);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const words = new Uint32Array(read.getMappedRange().slice(0));
    read.unmap();
    return Array.from({ length: blocks * pairs }, (_, n) => [words[2 * n], words[2 * n + 1]]);
  } finally {
    for (const b of [uniform, out, read]) b.destroy();
  }
}

describe('flash-mma dispatch order (mma_order.wgsl)', () => {
  const everyBlockOnce = (taken: [number, number][], blocks: number, pairs: number, what: string) => {
    const seen = new Set(taken.map(([j, pair]) => {
      assert.ok(j < blocks && pair < pairs, `${what}: (${j}, ${pair}) outside the grid`);
      return pair * blocks + j;
    }));
    assert.equal(seen.size, blocks * pairs, `${what}: every (block, pair) taken exactly once`);
  };

  test('as launched, and each pair last block first', async () => {
    const shape = { block: 32, period: 100, rising: true };
    assert.deepEqual(await blockOrderOf(0, 4, 2, true, shape), [[0, 0], [1, 0], [2, 0], [3, 0], [0, 1], [1, 1], [2, 1], [3, 1]]);
    assert.deepEqual(await blockOrderOf(1, 4, 2, false, shape), [[3, 0], [2, 0], [1, 0], [0, 0], [3, 1], [2, 1], [1, 1], [0, 1]]);
  });

  test('heaviest first without a causal mask: as launched', async () => {
    const taken = await blockOrderOf(2, 25, 3, false, { block: 128, period: 3136, rising: true });
    assert.deepEqual(taken, Array.from({ length: 75 }, (_, n) => [n % 25, Math.floor(n / 25)]));
  });

  test('heaviest first under a causal mask: by rank of work, every pair together', async () => {
    // Query blocks of a GQA pair: 7 heads × 256 positions in 64-row blocks; a block's work grows with its position.
    const gqa = await blockOrderOf(2, 28, 3, true, { block: 64, period: 256, rising: true });
    everyBlockOnce(gqa, 28, 3, 'GQA 7 × 256');
    const position = gqa.map(([j]) => (j * 64) % 256);
    for (let n = 1; n < position.length; n++) assert.ok(position[n] <= position[n - 1], `position rises at launch ${n}: ${position.slice(0, n + 1).join(', ')}`);
    assert.deepEqual(gqa.slice(0, 4), [[3, 0], [3, 1], [3, 2], [7, 0]]);
    assert.deepEqual(gqa.at(-1), [24, 2]);
    // Positions that do not repeat every block: the blocks last first.
    const odd = await blockOrderOf(2, 4, 2, true, { block: 64, period: 100, rising: true });
    assert.deepEqual(odd, [[3, 0], [3, 1], [2, 0], [2, 1], [1, 0], [1, 1], [0, 0], [0, 1]]);
    // Key blocks (the dK/dV pass): the first sees the most queries.
    const keys = await blockOrderOf(2, 4, 3, true, { block: 64, period: 200, rising: false });
    everyBlockOnce(keys, 4, 3, 'key blocks');
    assert.deepEqual(keys.slice(0, 4), [[0, 0], [0, 1], [0, 2], [1, 0]]);
  });
});

describe('flash-mma host code', () => {
  // The native preludes take each matrix load's and store's stride from the tile's constant, not from the call's
  // argument: with the argument (a function parameter in the SPIR-V) the H200's driver loads a fragment with 32- and
  // 16-bit loads, with the constant with ldmatrix (BENCHMARKS.md, twelfth and twenty-first sessions). The stand-in takes
  // the argument, so every call site must pass exactly that constant for the stand-in to check what the native build runs.
  test('every matrix load and store is passed the stride the native preludes take from their constants', () => {
    const forward: Record<string, string> = { loadP: 'PS', loadQk: 'KS', loadKt: 'KS', loadVrow: 'VS', storeS: 'SS', loadS: 'SS' };
    const backward: Record<string, string> = { leftA: 'AS', leftB: 'AS', rightAT: 'AS', rightBT: 'AS', rightA: 'AS', rightB: 'AS', leftP: 'PS', storeAcc: 'SS' };
    for (const [src, expected] of [[mmaNativeWgsl, forward], [mmaBwdNativeWgsl, backward]] as const) {
      const calls = src.split('\n').filter((l) => !l.trimStart().startsWith('//') && /subgroupMatrix(Load|Store)/.test(l));
      assert.equal(calls.length, Object.keys(expected).length, 'one load or store per prelude function');
      for (const [fn, stride] of Object.entries(expected)) {
        assert.match(src, new RegExp(`fn ${fn}\\(off: u32, [^)]*\\) .*, ${stride}\\); \\}`), `${fn} takes ${stride} in the native prelude`);
      }
    }
    const shapes = [
      { headDim: 64, heads: 16, kvHeads: 16, seqLenQ: 196 },
      { headDim: 64, heads: 12, kvHeads: 12, seqLenQ: 3136 },
      { headDim: 128, heads: 28, kvHeads: 4, seqLenQ: 4096, causal: true },
      { headDim: 80, heads: 4, kvHeads: 2, seqLenQ: 39 },
    ];
    for (const shape of shapes) {
      const plan = planMma(shape, ctx);
      assert.ok(plan);
      for (const saveLse of [false, true]) {
        for (const build of ['native', 'emulated'] as const) {
          const code = unrollMma(flashMmaWgsl, plan.consts, saveLse, build);
          for (const [fn, stride] of Object.entries(forward)) {
            for (const arg of lastArgsOf(code, fn)) assert.equal(arg, stride, `${fn} in D=${shape.headDim} N=${shape.seqLenQ}${saveLse ? ' (training)' : ''} ${build}`);
          }
          assert.ok(lastArgsOf(code, 'loadKt').length > 0 && lastArgsOf(code, 'loadVrow').length > 0 && lastArgsOf(code, 'storeS').length > 0);
        }
      }
      const bwd = planMmaBackward({ headDim: shape.headDim, seqLenQ: shape.seqLenQ, seqLenK: shape.seqLenQ }, ctx);
      assert.ok(bwd);
      for (const [pass, body] of [['dkv', dkvWgsl], ['dq', dqWgsl]] as const) {
        const code = unrollMmaBackward(body, pass, bwd[pass].consts);
        for (const [fn, stride] of Object.entries(backward)) {
          for (const arg of lastArgsOf(code, fn)) assert.equal(arg, stride, `${fn} in the ${pass} pass, D=${shape.headDim}`);
        }
        assert.ok(lastArgsOf(code, 'rightAT').length > 0 && lastArgsOf(code, 'leftP').length > 0, pass);
      }
    }
  });
  // ldmatrix needs 16-byte aligned rows: the driver lays the shader's workgroup variables out one after another, and one
  // of 4 bytes (the forward's rescale flag, until the twenty-first session) moved the others off 16-byte alignment —
  // every constant-stride result was wrong (thirteenth session). Every variable of every native flash-mma shader is a
  // whole number of 16 bytes, for every plan the planners make (and the byte models count each one).
  test('every workgroup variable of the native flash-mma shaders is a multiple of 16 bytes', async () => {
    const codes: string[] = [];
    const capture = { get: async (_key: string, code: string) => (codes.push(code), {}) } as unknown as PipelineCache;
    for (const headDim of [8, 32, 40, 64, 72, 80, 96, 128, 160, 256]) {
      for (const [heads, kvHeads, seqLenQ] of [[16, 16, 196], [12, 12, 3136], [28, 4, 4096], [4, 2, 39]]) {
        const p: AttentionProblem = { batch: 1, heads, kvHeads, seqLenQ, seqLenK: seqLenQ, headDim, dtype: 'f16', causal: heads === 28, window: 0, softcap: 0 };
        const plan = planMma(p, ctx);
        if (plan) {
          const before = codes.length;
          await mmaForwardPipeline(capture, p, plan, 'native');
          await mmaForwardPipeline(capture, p, plan, 'native', true);
          for (const code of codes.slice(before)) {
            const vars = workgroupVariableBytes(code);
            assert.equal(Object.values(vars).reduce((a, b) => a + b, 0), plan.workgroupBytes, `D=${headDim}: the byte model counts every variable`);
          }
        }
        const bwd = planMmaBackward(p, ctx);
        if (bwd) {
          const before = codes.length;
          await mmaBackwardPipeline(capture, p, 'dkv', bwd.dkv, 'native', 'flash-mma');
          await mmaBackwardPipeline(capture, p, 'dq', bwd.dq, 'native', 'flash-mma');
          codes.slice(before).forEach((code, i) => {
            const vars = workgroupVariableBytes(code);
            assert.equal(Object.values(vars).reduce((a, b) => a + b, 0), [bwd.dkv, bwd.dq][i].workgroupBytes, `D=${headDim}: the backward byte model`);
          });
        }
      }
    }
    assert.ok(codes.length >= 40, `${codes.length} shaders`);
    for (const code of codes) {
      for (const [name, bytes] of Object.entries(workgroupVariableBytes(code))) assert.equal(bytes % 16, 0, `${name}: ${bytes} bytes`);
    }
  });
  // The H200's driver turned a select of four f16 halves into eight selects and byte permutes per vector; the stand-in
  // keeps the plain select (its shared core, mma_standin.wgsl).
  test('tile loads zero masked rows through the prelude: two 32-bit words natively, a plain select in the stand-in', () => {
    assert.equal((flashMmaWgsl.match(/return halvesIf\(vec4<f16>\([kqv]\[at\]\), ok\);/g) ?? []).length, 3);
    assert.doesNotMatch(flashMmaWgsl, /fn halvesIf/);
    assert.doesNotMatch(unrollMma(flashMmaWgsl, { NSG: 4, BK: 64, DP: 64, KS: 72, SS: 68, PS: 72, VS: 72 }), /bitcast|fn halvesIf/);
    assert.match(mmaNativeWgsl, /fn halvesIf\(v: vec4<f16>, ok: bool\) -> vec4<f16> \{\n {2}return bitcast<vec4<f16>>\(select\(vec2<u32>\(0u\), bitcast<vec2<u32>>\(v\), ok\)\);/);
    assert.match(mmaStandInWgsl, /fn halvesIf\(v: vec4<f16>, ok: bool\) -> vec4<f16> \{\n {2}return select\(vec4<f16>\(0\.0\), v, ok\);/);
  });

  // The branches of the subgroups that hold live rows (flash_mma.wgsl `sgLive`) hold every product, the softmax and
  // P's stores, and no barrier: a subgroup of padding rows skips them and still meets each barrier of the tile.
  test('the live subgroups\' branches: the products and the softmax inside, every barrier outside', () => {
    for (const build of ['native', 'emulated'] as const) {
      for (const shuffle of build === 'native' ? [1, 0] : [0]) {
        const consts = { NSG: 4, BK: 16, DP: 64, KS: 72, SS: 20, PS: 72, VS: 72, SPLIT_KV: 1, SHUFFLE: shuffle, FUSED_EXP: 1 };
        const code = unrollMma(flashMmaWgsl, consts, false, build);
        const loop = code.slice(code.indexOf('while (t0 < kEnd)'), code.indexOf('// Row sums of both halves'));
        const branches: string[] = [];
        for (let at = loop.indexOf('if (sgLive) {'); at >= 0; at = loop.indexOf('if (sgLive) {', at + 1)) {
          let depth = 0;
          let end = loop.indexOf('{', at);
          do {
            if (loop[end] === '{') depth++;
            if (loop[end] === '}') depth--;
            end++;
          } while (depth > 0);
          branches.push(loop.slice(at, end));
        }
        const inside = branches.join('\n');
        const what = `${build}, shuffle ${shuffle}`;
        assert.equal(branches.length, 5, `${what}: scores, softmax (two parts), P·V in both branches of the rescale test`);
        assert.doesNotMatch(inside, /workgroupBarrier|workgroupUniformLoad|subgroupShuffle/, what);
        assert.equal(inside.match(/\bmma\(/g)?.length, 2 * 4 * 1 + 4, `${what}: every product (S once, P·V in both branches)`);
        assert.equal(loop.match(/\bmma\(/g)?.length, 2 * 4 * 1 + 4, `${what}: no product outside them`);
        assert.match(inside, /ps\[pBase \+ cb \+ 7u\] = f16\(pv7\);/, what);
        assert.match(inside, /l \*= corr;/, what);
      }
    }
  });

  // The stand-in build addresses a subgroup's blocks at computed offsets: a switch over the subgroup would repeat the
  // inlined matrix code once per subgroup for a software driver to compile.
  test('the stand-in build: no switch over the subgroup, the same matrix calls at computed offsets', () => {
    const consts = { NSG: 4, BK: 16, DP: 64, KS: 72, SS: 20, PS: 72, VS: 72 };
    const native = unrollMma(flashMmaWgsl, consts);
    const standIn = unrollMma(flashMmaWgsl, consts, false, 'emulated');
    assert.match(native, /switch \(sg\)/);
    assert.doesNotMatch(standIn, /switch \(sg\)/);
    assert.match(standIn, /let sgP = sg \* \(16u \* PS\);\n\s*qf0 = loadP\(sgP \+ 0u, PS\);/);
    const calls = (code: string, fn: string) => (code.match(new RegExp(`\\b${fn}\\(`, 'g')) ?? []).length;
    assert.equal(calls(standIn, 'mma'), calls(native, 'mma'), 'the same products');
    for (const fn of ['loadP', 'storeS', 'loadS']) assert.equal(calls(native, fn), consts.NSG * calls(standIn, fn), `${fn}: once, not once per subgroup`);
  });

  test('unrolled WGSL has no sections left, one variable per fragment and accumulator, constant matrix offsets', () => {
    const code = unrollMma(flashMmaWgsl, { NSG: 2, BK: 16, DP: 80, KS: 88, SS: 20, PS: 88, VS: 88 });
    assert.doesNotMatch(code, /^\/\/@/m);
    for (let c = 0; c < 5; c++) {
      assert.match(code, new RegExp(`var qf${c}: MatL;`));
      // Subgroup 1's Q fragment c sits at row 16 of ps: 16·PS + 16·c.
      assert.match(code, new RegExp(`qf${c} = loadP\\(${16 * 88 + 16 * c}u, PS\\);`));
      assert.match(code, new RegExp(`var acc${c} = zeroAcc\\(\\)`));
      // V as it lies ([key][d]): block c of the head dim starts at column 16·c of vt, loaded row-major.
      assert.match(code, new RegExp(`acc${c} = mma\\(pf, loadVrow\\(${c * 16}u, VS\\), acc${c}\\)`));
    }
    // Staged with four consecutive halves per vec4 (no 16-bit transposed stores).
    assert.match(code, /let at = \(item \/ D4\) \* VS \+ \(item % D4\) \* 4u; vt\[at\] = vr0\.x; vt\[at \+ 1u\] = vr0\.y;/);
    assert.doesNotMatch(code, /\* VS \+ item \/ D4/);
    assert.doesNotMatch(code, /qf5|acc5/);
    // No matrix operation takes a dynamic offset: one literal per subgroup.
    assert.doesNotMatch(code, /(loadP|storeS|loadS|loadVrow|loadKt)\([a-z]/);
    assert.match(code, /case 1u, default: \{\n\s*storeS\(320u, s, SS\);/);
    // One branch on the softcap for all the lane's scores.
    assert.equal(code.match(/if \(P\.softcap > 0\.0\)/g)?.length, 1);
  });

  test('unrolled WGSL with K/V loaded per iteration: each tile loaded at the top of its iteration, none a tile ahead', () => {
    const { consts } = mmaBytes(80, 2, 16);
    const code = unrollMma(flashMmaWgsl, { ...consts, KV_AHEAD: 0, SPLIT_KV: 1 });
    const loop = code.slice(code.indexOf('while (t0 < kEnd)'));
    assert.doesNotMatch(code.slice(0, code.indexOf('while (t0 < kEnd)')), /var kr\d|var vr\d/);
    // This tile's loads, its K stores, then the barrier after which the previous tile's V is no longer read, then
    // the V stores: no barrier between the top of the iteration and K's stores.
    assert.match(loop, /let kr0 = kTileLoad\(kvBase, kvStep, t0, lid \+ 0u\);\n\s*let vr0 = vTileLoad[^\n]*\n[\s\S]*?kt\[[\s\S]*?workgroupBarrier\(\);[\s\S]*?vt\[/);
    assert.doesNotMatch(loop.slice(0, loop.indexOf('kt[')), /workgroupBarrier/);
    // The other order (SPLIT_KV = 0): a barrier at the top, then K and V, then the barrier before the products.
    const top = unrollMma(flashMmaWgsl, { ...consts, KV_AHEAD: 0, SPLIT_KV: 0 });
    const topLoop = top.slice(top.indexOf('while (t0 < kEnd)'), top.indexOf('S = Q·Kᵀ for my subgroup'));
    const at = (what: string, from = 0) => topLoop.indexOf(what, from);
    const first = at('workgroupBarrier()');
    assert.ok(at('let vr0 = vTileLoad') < first && first < at('kt[') && at('kt[') < at('vt[') && at('vt[') < at('workgroupBarrier()', first + 1));
    assert.equal(topLoop.match(/workgroupBarrier\(\)/g)?.length, 2);
    assert.equal(loop.slice(0, loop.indexOf('S = Q·Kᵀ for my subgroup')).match(/workgroupBarrier\(\)/g)?.length, 1);
    // No loads for the next tile.
    assert.doesNotMatch(loop, /\bkr0 = kTileLoad\(kvBase, kvStep, t0, lid \+ 0u\);\n\s*vr0 = /);
  });

  test('Q staged through the K tile: BK rows a round between two barriers, each subgroup loading its fragments once', () => {
    for (const [nsg, bk, dp] of [[4, 16, 64], [4, 32, 128], [2, 16, 80], [1, 32, 64]]) {
      const { consts, bytes } = mmaBytes(dp, nsg, bk, true);
      assert.ok(bytes < mmaBytes(dp, nsg, bk).bytes, 'less workgroup memory');
      const code = unrollMma(flashMmaWgsl, { ...consts, KV_AHEAD: 0, SPLIT_KV: 1 });
      const stage = code.slice(code.indexOf('let qv0 = qLoad'), code.indexOf('while (t0 < kEnd)'));
      const rounds = Math.ceil(nsg / (bk / 16));
      const dc = Math.ceil(dp / 16);
      assert.equal(stage.match(/loadQk\(/g)?.length, nsg * dc, `${nsg} × ${bk}, D=${dp}: each subgroup's fragments once`);
      assert.doesNotMatch(stage, /loadP\(|ps\[/, 'Q does not pass through ps');
      // Each round: stores, a barrier, the round's loads, a barrier; then the K tile's padding is zeroed after the last.
      const barriers = stage.slice(0, stage.indexOf('Head-dim padding')).match(/workgroupBarrier\(\)/g)?.length;
      assert.equal(barriers, 2 * rounds);
      for (let g = 0; g < nsg; g++) {
        const j = g % (bk / 16);
        assert.ok(stage.includes(`if (sg == ${g}u) {\n    qf0 = loadQk(${j * 16 * consts.KS}u, KS);`), `subgroup ${g}`);
      }
    }
  });

  test('the plan fits the adapter and pads the head dim to the matrix tile', () => {
    // A native plan's bytes at n subgroups, P's rows padded or not as pRowPad decides, K and V sharing a tile at padded
    // head dims 80–128, 32-key tiles at 112–128 (where 4 × 32 fits the adapter).
    const shared = (dp: number) => dp > 64 && dp <= 128;
    const limit = ctx.adapter.limits.maxComputeWorkgroupStorageSize;
    const keysAt = (dp: number) => (dp > 96 && dp <= 128 && mmaBytes(dp, 4, 32, true, true, 8, true).bytes <= limit ? 32 : 16);
    const bytesAt = (dp: number, n: number) => {
      const bk = keysAt(dp);
      return mmaBytes(dp, n, bk, true, true, pRowPad('fwd', dp, 32 * n, (x) => mmaBytes(dp, n, bk, true, true, x, shared(dp)).bytes), shared(dp)).bytes;
    };
    const scoreAt = (dp: number, n: number) => tileScore(bytesAt(dp, n), n, undefined, forwardRegisters(dp, keysAt(dp)));
    const registersBind = (dp: number, n: number) => residentWorkgroups(bytesAt(dp, n), 32 * n, forwardRegisters(dp, keysAt(dp))) < residentWorkgroups(bytesAt(dp, n), 32 * n);
    for (const d of [32, 40, 64, 72, 80, 96, 128, 160, 256]) {
      const plan = planMma({ headDim: d }, ctx);
      assert.ok(plan, `D=${d} fits`);
      assert.equal(plan.paddedDim % 16, 0);
      assert.ok(plan.paddedDim >= d && plan.paddedDim - d < 16);
      assert.ok(plan.workgroupBytes <= ctx.adapter.limits.maxComputeWorkgroupStorageSize);
      // 16-key tiles but at padded head dims 112–128 (32), the subgroups of the highest score among those that fit.
      assert.equal(plan.keys, keysAt(plan.paddedDim), `D=${d}`);
      assert.equal(forwardKeys(plan.paddedDim), plan.paddedDim === 128 || plan.paddedDim === 112 ? 32 : 16, `D=${d}`);
      const fits = FORWARD_SUBGROUPS.filter((n) => bytesAt(plan.paddedDim, n) <= ctx.adapter.limits.maxComputeWorkgroupStorageSize);
      const best = Math.max(...fits.map((n) => scoreAt(plan.paddedDim, n)));
      assert.equal(plan.consts.KV_SHARED ?? 0, shared(plan.paddedDim) ? 1 : 0, `D=${d}`);
      assert.equal(plan.workgroupBytes, bytesAt(plan.paddedDim, plan.subgroups), `D=${d}`);
      assert.equal(scoreAt(plan.paddedDim, plan.subgroups), best, `D=${d}`);
      // The fewest subgroups of the best score, or the most where the registers hold them back.
      const tied = fits.filter((n) => scoreAt(plan.paddedDim, n) === best);
      const pick = tied.filter((n) => registersBind(plan.paddedDim, n)).pop() ?? tied[0];
      assert.equal(plan.subgroups, pick, `D=${d}: the tie`);
      assert.equal(plan.consts.PS, plan.keys + pRowPad('fwd', plan.paddedDim, plan.threads, (x) => mmaBytes(plan.paddedDim, plan.subgroups, plan.keys, true, true, x, shared(plan.paddedDim)).bytes), `D=${d}`);
    }
  });

  test('the score: subgroups resident at 48 KiB of workgroup memory per multiprocessor, times the rows that are not padding', () => {
    // The occupancy probe's counts on the H200 (BENCHMARKS.md, eighteenth session).
    assert.deepEqual([16384, 16400, 24576, 24592, 4096].map((b) => residentWorkgroups(b, 64)), [3, 2, 2, 1, 12]);
    assert.equal(residentWorkgroups(1024, 64), 32, 'at most 32 workgroups');
    assert.equal(residentWorkgroups(1024, 256), 8, 'at most 2048 invocations');
    assert.equal(residentWorkgroups(60000, 32), 1, 'one, even past 48 KiB');
    const vit = (seqLenQ: number, heads: number) => ({ headDim: 64, heads, kvHeads: heads, seqLenQ, seqLenK: seqLenQ, batch: 8 });
    // ViT-3136: 4 × 16 with P's rows unpadded (11 808 B: 4 per SM, 16 subgroups; padded, 12 832 B would hold 3) over
    // 8 × 16 (21 KB: 2 per SM, 16 subgroups, but 3136 rows in 3200). (Native plans: rowStat is one 16-byte unit where the
    // row statistics go by subgroup shuffle.)
    const vit3136 = planMma(vit(3136, 12), ctx);
    assert.deepEqual([vit3136?.subgroups, vit3136?.workgroupBytes, vit3136?.consts.PS], [4, 11808, 16]);
    assert.equal(mmaBytes(64, 4, 16, true, true, 0).bytes, 11808);
    assert.deepEqual([residentWorkgroups(11808, 128), residentWorkgroups(mmaBytes(64, 4, 16, true, true).bytes, 128)], [4, 3]);
    assert.equal(residentWorkgroups(mmaBytes(64, 8, 16, true, true).bytes, 256), 2);
    // 8 × 16 keeps its pad: dropping it (20 000 B) still holds 2.
    assert.equal(pRowPad('fwd', 64, 256, (x) => mmaBytes(64, 8, 16, true, true, x).bytes), 8);
    // ViT-196: 196 slots in 256 rows with 4 or 8 subgroups, 224 with 2: 16 · 196/256 = 12.25 against 10 · 196/224 = 8.75,
    // and 4 wins the tie as the fewer.
    assert.equal(planMma(vit(196, 16), ctx)?.subgroups, 4);
    assert.ok(Math.abs(tileScore(mmaBytes(64, 8, 16, true, true).bytes, 8, 196) - 12.25) < 1e-9);
    assert.ok(Math.abs(tileScore(11808, 4, 196) - 12.25) < 1e-9);
    // Qwen2-7B prefill (D = 128, 7 query heads per KV head): 4 × 16 (17.2 KB: 2 per SM) ties 8 × 16 (25 KB: 1) at 8
    // subgroups and wins as the fewer; the 32-key tiles of earlier sessions (44.5 KB: 1 per SM, 4) are not planned.
    // With K and V sharing one tile (the default at padded head dims 80–128), 4 × 16 takes 12 576 bytes: 3 per SM by memory
    // and by its 168 registers, 12 subgroups; 8 × 16 (20 768 bytes: 2 by memory) holds one workgroup of 256 by registers.
    // The plan takes 32-key tiles there (forwardKeys): 4 × 32 in 23 072 bytes, 2 per SM by memory and by its 184 registers
    // (8 subgroups), ahead of 2 × 32 (15 904 bytes, 3 × 2) and tied with 8 × 32 (37 408 bytes, 1 × 8), which loses as the more.
    const qwen2Shape = { headDim: 128, heads: 28, kvHeads: 4, seqLenQ: 4096, seqLenK: 4096, batch: 1, causal: true };
    const qwen2 = planMma(qwen2Shape, ctx);
    assert.deepEqual([qwen2?.subgroups, qwen2?.keys, qwen2?.consts.PS, qwen2?.consts.KV_SHARED, qwen2?.consts.V_MID, qwen2?.consts.QVIA_K, qwen2?.consts.HULL_ONCE, qwen2?.workgroupBytes], [4, 32, 40, 1, 1, 1, 1, 23072]);
    assert.deepEqual([15904, 23072, 37408].map((b, i) => tileScore(b, [2, 4, 8][i], undefined, forwardRegisters(128, 32))), [6, 8, 8]);
    assert.deepEqual([2, 8].map((n) => mmaBytes(128, n, 32, true, true, 8, true).bytes), [15904, 37408]);
    // Packed documents keep 16-key tiles (a tile across a document's bound is computed whole): 4 × 16, 12 576 bytes.
    const packed = planMma({ ...qwen2Shape, docBounds: new Int32Array(2 * 4096) }, ctx);
    assert.deepEqual([packed?.subgroups, packed?.keys, packed?.workgroupBytes], [4, 16, 12576]);
    assert.deepEqual([residentWorkgroups(12576, 128), residentWorkgroups(12576, 128, forwardRegisters(128))], [3, 3]);
    assert.deepEqual([residentWorkgroups(20768, 256), residentWorkgroups(20768, 256, forwardRegisters(128))], [2, 1]);
    assert.equal(tileScore(mmaBytes(128, 8, 16, true, true, 8, true).bytes, 8, undefined, 168), 8);
    assert.equal(tileScore(12576, 4, undefined, 168), 12);
    // At D = 128 P's rows keep their pad (unpadded, the forward ran 3 per SM on the H200 but slower: BENCHMARKS.md).
    assert.equal(pRowPad('fwd', 128, 128, (x) => mmaBytes(128, 4, 16, true, true, x).bytes), 8);
    assert.ok(tileScore(mmaBytes(128, 4, 32).bytes, 4) < tileScore(mmaBytes(128, 4, 16, true, true).bytes, 4));
    // D = 80 (padded to 96, 127 registers): 4 × 16 shared (11 040 bytes, 4 per SM by memory and by registers) ties
    // 8 × 16 (2 by both) at 16 subgroups and wins as the fewer.
    const d80 = planMma({ headDim: 80, heads: 12, kvHeads: 12, seqLenQ: 3136, seqLenK: 3136, batch: 8 }, ctx);
    assert.deepEqual([d80?.subgroups, d80?.consts.KV_SHARED, d80?.workgroupBytes], [4, 1, 11040]);
    assert.equal(tileScore(11040, 4, undefined, forwardRegisters(96)), 16);
    // Where the registers bind, a tie goes to the more subgroups: at 168 registers and 12 subgroups, 4 × 16 (3 per SM by
    // registers, 4 by memory) over 2 × 16 (6 by both).
    assert.deepEqual([residentWorkgroups(11040, 128, 168), residentWorkgroups(11040, 128), residentWorkgroups(8000, 64, 168), residentWorkgroups(8000, 64)], [3, 4, 6, 6]);
    assert.equal(tileScore(11040, 4, undefined, 168), tileScore(8000, 2, undefined, 168));
    // Registers in units of 8 per invocation: 163 take 168.
    assert.equal(residentWorkgroups(1024, 128, 163), residentWorkgroups(1024, 128, 168));
    assert.equal(residentWorkgroups(1024, 128, 169), 2);
  });

  test('the schedule: K/V a tile ahead up to D = 64, V stored late above it, blocks heaviest first over the whole dispatch, K before the first barrier in every default plan', () => {
    const vit196 = { headDim: 64, heads: 16, kvHeads: 16, seqLenQ: 196 };
    const vit3136 = { headDim: 64, heads: 12, kvHeads: 12, seqLenQ: 3136 };
    const qwen2 = { headDim: 128, heads: 28, kvHeads: 4, seqLenQ: 4096, causal: true };
    const sched = (p: Parameters<typeof planMma>[0]) => {
      const plan = planMma(p, ctx);
      // K before the first barrier and V after it in every default plan (16-key tiles, and 32-key ones at D = 128); the
      // block's key hull taken once before the loop; tails read the last key again; the scale folded into the exponent.
      assert.equal(plan?.consts.SPLIT_KV, 1);
      assert.equal(plan?.consts.HULL_ONCE, 1);
      assert.equal(plan?.keys, p.headDim === 128 ? 32 : 16);
      assert.deepEqual([plan?.consts.CLAMP_KV, plan?.consts.FUSED_EXP], [1, 1]);
      return [plan?.subgroups, plan?.consts.KV_AHEAD, plan?.consts.V_LATE, plan?.consts.ORDER, plan?.consts.SPLIT_KV, plan?.consts.SKIP_DEAD];
    };
    // Subgroups of padding rows skip their work only where a block has some: ViT-196's 196 slots leave 3 in its last
    // block of 64; 3136 and 7 · 4096 slots fill every block.
    assert.deepEqual(sched(vit196), [4, 1, 0, 2, 1, 1]);
    assert.deepEqual(sched(vit3136), [4, 1, 0, 2, 1, 0]);
    assert.deepEqual(sched({ ...vit3136, causal: true }), [4, 1, 0, 2, 1, 0]);
    assert.deepEqual(sched(qwen2), [4, 0, 1, 2, 1, 0]);
    assert.deepEqual(sched({ ...vit196, seqLenQ: 200 }).at(-1), 1);
    // 197 slots: the last block's 5 rows are in its first subgroup (the other 3 hold padding); 246 = 3 · 64 + 54: none.
    assert.deepEqual([sched({ ...vit196, seqLenQ: 197 }).at(-1), sched({ ...vit196, seqLenQ: 246 }).at(-1)], [1, 0]);
    // D = 80 pads to 96: over 64, so V late.
    assert.deepEqual(sched({ ...vit196, headDim: 80 }).slice(1, 3), [0, 1]);
    process.env.ATTNPROF_MMA_KV_AHEAD = '1';
    process.env.ATTNPROF_MMA_ORDER = 'launch';
    process.env.ATTNPROF_MMA_SPLIT_KV = '0';
    try {
      const forced = planMma({ ...vit196, causal: true }, ctx);
      assert.deepEqual([forced?.subgroups, forced?.consts.KV_AHEAD, forced?.consts.ORDER, forced?.consts.SPLIT_KV], [4, 1, 0, 0], 'forced');
      // The WGSL follows: a tile ahead, the first tile's loads are declared before the loop.
      const ahead = unrollMma(flashMmaWgsl, planMma(vit3136, ctx)?.consts ?? {});
      assert.match(ahead.slice(0, ahead.indexOf('while (t0 < kEnd)')), /var kr0 = kTileLoad/);
    } finally {
      delete process.env.ATTNPROF_MMA_KV_AHEAD;
      delete process.env.ATTNPROF_MMA_ORDER;
      delete process.env.ATTNPROF_MMA_SPLIT_KV;
    }
    const perIteration = unrollMma(flashMmaWgsl, planMma(qwen2, ctx)?.consts ?? {});
    assert.doesNotMatch(perIteration.slice(0, perIteration.indexOf('while (t0 < kEnd)')), /var kr0 = kTileLoad/);
    // V late: no V store between the first barrier and the scores. With K and V in one tile (the default at D = 128) V's
    // stores follow the barrier after the scores and come before P's (V mid); with V_MID=0 they follow P's, before the
    // barrier that publishes both to P·V.
    const vPlace = (code: string) => {
      const loop = code.slice(code.indexOf('while (t0 < kEnd)'));
      assert.doesNotMatch(loop.slice(0, loop.indexOf('S = Q·Kᵀ for my subgroup')), /vt\[/);
      const v = loop.indexOf('vt[', loop.indexOf('S = Q·Kᵀ for my subgroup'));
      const scoresBarrier = loop.indexOf('if (SUBGROUP_SYNC == 0u) { workgroupBarrier(); }');
      assert.ok(scoresBarrier > 0 && v > scoresBarrier && v < loop.indexOf('workgroupUniformLoad(&rescale[0])'));
      return v < loop.indexOf('ps[pBase') ? 'mid' : 'late';
    };
    assert.equal(vPlace(perIteration), 'mid');
    process.env.ATTNPROF_MMA_V_MID = '0';
    try {
      assert.equal(vPlace(unrollMma(flashMmaWgsl, planMma(qwen2, ctx)?.consts ?? {})), 'late');
    } finally {
      delete process.env.ATTNPROF_MMA_V_MID;
    }
    // A tile ahead (D = 64): the first tile's loads before the loop, the next tile's inside it.
    const ahead = unrollMma(flashMmaWgsl, planMma(vit3136, ctx)?.consts ?? {});
    assert.match(ahead.slice(0, ahead.indexOf('while (t0 < kEnd)')), /var kr0 = kTileLoad[\s\S]*var vr0 = vTileLoad/);
    assert.match(ahead.slice(ahead.indexOf('while (t0 < kEnd)')), /\n\s*kr0 = kTileLoad[^\n]*\n\s*vr0 = vTileLoad/);
  });

  // The native build's subgroups are the matrices' 32 consecutive invocations, so a row's two lanes (2r, 2r + 1) are
  // neighbours: they exchange their halves' maxima and sums by subgroupShuffleXor, with no rowStat traffic or barrier.
  // The stand-in keeps rowStat (a software adapter's subgroups need not be laid out so).
  test('row maxima and sums by subgroup shuffle in the native build, through rowStat in the stand-in', async () => {
    const vit3136 = { headDim: 64, heads: 12, kvHeads: 12, seqLenQ: 3136 };
    const native = planMma(vit3136, ctx, 'native');
    const standIn = planMma(vit3136, ctx, 'emulated');
    assert.ok(native && standIn);
    assert.deepEqual([native.consts.SHUFFLE, native.consts.ROWSTAT, standIn.consts.SHUFFLE, standIn.consts.ROWSTAT], [1, 4, 0, 16 * standIn.subgroups * 2]);
    assert.equal(native.workgroupBytes, mmaBytes(64, native.subgroups, 16, true, true, native.consts.PS - 16).bytes);
    // The key loop, up to the row sums after it.
    const loop = (code: string) => code.slice(code.indexOf('while (t0 < kEnd)'), code.indexOf('// Row sums of both halves'));
    const shuffled = unrollMma(flashMmaWgsl, native.consts, true, 'native');
    assert.match(loop(shuffled), /let tileMax(Raw)? = max\(mx, subgroupShuffleXor\(mx, 1u\)\);/);
    assert.match(shuffled, /let total = l \+ subgroupShuffleXor\(l, 1u\);/);
    assert.doesNotMatch(shuffled, /rowStat\[/);
    const plain = unrollMma(flashMmaWgsl, standIn.consts, true, 'emulated');
    assert.doesNotMatch(plain, /subgroupShuffleXor/);
    // Stored in the live subgroups' branch, read in the next one, the barrier between them outside both.
    assert.match(plain, /rowStat\[row \* 2u \+ h\] = mx;\n {4}\}\n {4}if \(SUBGROUP_SYNC == 0u\) \{ workgroupBarrier\(\); \}\n {4}if \(sgLive\) \{\n {4}let tileMax(Raw)? = max\(rowStat\[row \* 2u\], rowStat\[row \* 2u \+ 1u\]\);/);
    // One barrier fewer per tile in the native build's loop.
    const barriers = (code: string) => loop(code).match(/workgroupBarrier\(\)/g)?.length ?? 0;
    assert.equal(barriers(plain) - barriers(shuffled), 1);
    // The shader enables subgroups only where it shuffles.
    const codes: string[] = [];
    const capture = { get: async (_key: string, code: string) => (codes.push(code), {}) } as unknown as PipelineCache;
    const p: AttentionProblem = { batch: 1, heads: 12, kvHeads: 12, seqLenQ: 3136, seqLenK: 3136, headDim: 64, dtype: 'f16', causal: false, window: 0, softcap: 0 };
    await mmaForwardPipeline(capture, p, native, 'native');
    await mmaForwardPipeline(capture, p, standIn, 'emulated');
    assert.match(codes[0], /^enable subgroups;$/m);
    assert.doesNotMatch(codes[1], /^enable subgroups;$/m);
  });

  test('O += P·V in both branches of the rescale test, and nowhere after it', () => {
    const code = unrollMma(flashMmaWgsl, planMma({ headDim: 64, heads: 12, kvHeads: 12, seqLenQ: 3136 }, ctx)?.consts ?? {});
    const test = code.indexOf('if (workgroupUniformLoad(&rescale[0]) != 0u)');
    const end = code.indexOf('t0 = nt;', test);
    const products = (from: number, to: number) => code.slice(from, to).match(/acc0 = mma\(pf, /g)?.length ?? 0;
    const elseAt = code.indexOf('} else if (sgLive) {', test);
    assert.ok(test > 0 && elseAt > test && end > elseAt);
    // The rescale's reload comes before the rescale branch's product.
    assert.match(code.slice(test, elseAt), /acc0 = loadS\([\s\S]*acc0 = mma\(pf, /);
    assert.equal(products(test, elseAt), 1);
    assert.equal(products(elseAt, end), 1);
    assert.equal(products(0, test), 0);
  });

  test('the native build runs exactly where the adapter has matrix units, and says why not elsewhere', async () => {
    const why = mmaUnavailableReason(ctx);
    if (ctx.hasSubgroupMatrix) return assert.equal(why, undefined);
    assert.match(why ?? '', /subgroup matrices|shader-f16/);
    // Picked with others (the default list), it is a skipped row with the reason; the others still run.
    const run = await runProblem(ctx, base(64, 'f16'), { kernels: ['flash', 'flash-mma'], iterations: 1, warmup: 0, warmupMs: 0 });
    assert.deepEqual(run.results.map((r) => r.status), ['ok', 'skipped']);
    assert.match(run.results[1].error ?? '', /^flash-mma is unavailable: .*subgroup matrices/);
  });
});
