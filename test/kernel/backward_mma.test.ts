/**
 * Kernel tier, flash-mma training: forward (saving the row log-sum-exp) + the matrix-unit backward against the
 * float64 reference gradients. On an adapter with subgroup matrices (the H200) the native build runs; elsewhere
 * (CI's lavapipe) the same WGSL with the plain-f16 stand-in for the matrix builtins, which checks the tiling, the
 * GQA sums and the masking. The stand-in compiles and runs slowly on a software adapter: shapes stay small and the
 * cases share a few pipelines (one per head dim, dtype and tiles).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuContext, openGpu } from '../../kernels/device';
import { AttentionProblem, DType, docBoundsFor } from '../../kernels/problem';
import { KernelResult, runProblem } from '../../kernels/runner';
import { planMmaBackward, unrollMmaBackward } from '../../kernels/backward_mma';
import { mmaUnavailableReason, unrollMma } from '../../kernels/flash_mma';
import { residentWorkgroups } from '../../kernels/residency';
import flashMmaWgsl from '../../kernels/wgsl/flash_mma.wgsl';
import dkvWgsl from '../../kernels/wgsl/flash_mma_bwd_dkv.wgsl';
import dqWgsl from '../../kernels/wgsl/flash_mma_bwd_dq.wgsl';
import mmaBwdNativeWgsl from '../../kernels/wgsl/mma_bwd_native.wgsl';
import mmaStandInWgsl from '../../kernels/wgsl/mma_standin.wgsl';
import commonWgsl from '../../kernels/wgsl/flash_mma_bwd_common.wgsl';

let ctx: GpuContext;
let kernel: string;
const seed = Date.now() & 0xffffff;

before(async () => {
  ctx = await openGpu();
  kernel = ctx.hasSubgroupMatrix ? 'flash-mma' : 'flash-mma-emulated';
});
after(() => ctx?.destroy());

const base = (d: number, dtype: DType, over: Partial<AttentionProblem> = {}): AttentionProblem => ({
  batch: 1, heads: 2, kvHeads: 2, seqLenQ: 37, seqLenK: 37, headDim: d, dtype, causal: false, window: 0, softcap: 0, ...over,
});

/** Checks one training step against the reference; `pInRegisters` is where the dS step is expected to find P. */
async function expectGradients(p: AttentionProblem, what: string, pInRegisters = true): Promise<KernelResult> {
  const run = await runProblem(ctx, p, { kernels: [kernel], mode: 'train', iterations: 1, warmup: 0, warmupMs: 0, seed, checkBudget: 100000 });
  const r = run.results[0];
  assert.equal(r.status, 'ok', `${what}: ${r.error}`);
  assert.ok(r.train, `${what}: no training stats`);
  assert.equal(r.tolerance, 8e-3, `${what}: checked at the f16 tolerance (its products are f16)`);
  const e = r.train.errors;
  assert.ok(r.checkedRows > 0 && r.train.checkedKeys > 0, `${what}: checked nothing`);
  assert.ok(r.correct, `${what} (${r.notes.join('; ')}): errors O ${e.o} dQ ${e.dq} dK ${e.dk} dV ${e.dv} > ${r.tolerance} (seed ${seed})`);
  const kept = pInRegisters ? 'yes' : 'no \\(read back\\)';
  assert.match(r.notes.join(' '), new RegExp(`P kept in registers for the dS step: dK/dV ${kept}, dQ ${kept}`), what);
  return r;
}

// One pipeline set per (head dim, dtype): every feature is a runtime parameter of the same kernels.
const FEATURES: [string, Partial<AttentionProblem>][] = [
  ['no mask', {}],
  ['odd N over several tiles, causal', { seqLenQ: 77, seqLenK: 77, causal: true }],
  ['Nq < Nk, causal bottom-right', { seqLenQ: 19, seqLenK: 53, causal: true }],
  ['Nq > Nk, causal: leading rows see no key (zero gradient)', { seqLenQ: 45, seqLenK: 20, causal: true }],
  ['GQA 6:2, causal', { heads: 6, kvHeads: 2, seqLenQ: 41, seqLenK: 41, causal: true }],
  ['MQA 4:1: a dQ block spans two heads', { heads: 4, kvHeads: 1, seqLenQ: 29, seqLenK: 29 }],
  ['window 1 (only itself)', { seqLenQ: 17, seqLenK: 17, window: 1 }],
  ['sliding window 8 + causal, Nq < Nk', { seqLenQ: 20, seqLenK: 50, window: 8, causal: true }],
  ['softcap 5 (Gemma-2 style)', { seqLenQ: 40, seqLenK: 40, softcap: 5 }],
  ['custom scale 0.3', { seqLenQ: 40, seqLenK: 40, scale: 0.3 }],
  ['kv lengths incl. an empty batch row', { batch: 3, seqLenQ: 30, seqLenK: 30, kvLens: Int32Array.from([30, 7, 0]) }],
  ['packed documents, causal', { batch: 2, seqLenQ: 40, seqLenK: 40, causal: true, docBounds: docBoundsFor([[10, 25, 5], [33]], 40) }],
  ['N = 1', { seqLenQ: 1, seqLenK: 1 }],
  ['everything at once', { batch: 2, heads: 6, kvHeads: 2, seqLenQ: 23, seqLenK: 47, causal: true, window: 11, softcap: 20, scale: 0.2, kvLens: Int32Array.from([40, 47]) }],
  ['2-D neighbourhood R = 2 on a 5×7 grid', { seqLenQ: 35, seqLenK: 35, neighborhood: { radius: 2, rows: 5, cols: 7 } }],
  // The class token sees every key while the last row of its query tile sees only the grid rows near it.
  ['2-D neighbourhood with a class token (1 + 10×10, R = 2), GQA 4:2, softcap', { heads: 4, kvHeads: 2, seqLenQ: 101, seqLenK: 101, softcap: 20, neighborhood: { radius: 2, rows: 10, cols: 10 } }],
];

describe('flash-mma training matches the float64 reference gradients', () => {
  test('every feature, D = 64, f16 (each tile loaded when used, element-wise steps unrolled with P in registers)', async () => {
    for (const [name, over] of FEATURES) {
      const r = await expectGradients(base(64, 'f16', over), name);
      assert.match(r.notes.join(' '), /prefetched into registers: dK\/dV no, dQ no/);
      assert.match(r.notes.join(' '), /tile loop pipelined \(.*\): dK\/dV no, dQ no/);
      // The dQ pass's 4 × 16 tiles with P's rows unpadded (flash_mma.ts pRowPad): 11 776 bytes.
      assert.match(r.notes.join(' '), /dQ 64 query slots × 16-key tiles \(12 KiB\)/);
    }
  });
  // Neither pass's loop is pipelined by default (above); here both passes pipelined (ATTNPROF_MMA_BWD_PIPE=1), the
  // dK/dV pass's column metadata stored after its dS step, over several query tiles and heads of a group.
  test('both passes pipelined (two tiles of A, four barriers per tile), D = 64 f16: odd N causal, GQA, key lengths, everything at once, the neighbourhood with a class token', async () => {
    process.env.ATTNPROF_MMA_BWD_PIPE = '1';
    try {
      for (const i of [1, 4, 10, 13, 15]) {
        const [name, over] = FEATURES[i];
        const r = await expectGradients(base(64, 'f16', over), `${name} (pipelined)`);
        assert.match(r.notes.join(' '), /tile loop pipelined \(.*\): dK\/dV yes, dQ yes/);
      }
    } finally {
      delete process.env.ATTNPROF_MMA_BWD_PIPE;
    }
  });
  // The other way of loading (ATTNPROF_MMA_BWD_PREFETCH=1): the next tile's loads in flight while this one computes.
  test('the next tile prefetched into registers, D = 64 f16: GQA causal, key lengths, softcap, everything at once', async () => {
    process.env.ATTNPROF_MMA_BWD_PREFETCH = '1';
    process.env.ATTNPROF_MMA_BWD_PIPE = '0';
    try {
      for (const i of [4, 10, 8, 13]) {
        const [name, over] = FEATURES[i];
        const r = await expectGradients(base(64, 'f16', over), `${name} (prefetch)`);
        assert.match(r.notes.join(' '), /prefetched into registers: dK\/dV yes, dQ yes/);
      }
    } finally {
      delete process.env.ATTNPROF_MMA_BWD_PREFETCH;
      delete process.env.ATTNPROF_MMA_BWD_PIPE;
    }
  });
  // The default tiles (4 subgroups × 16 rows) stage each pass's 64 resident rows in four rounds through the tiles (the
  // tests above); here one round, the workgroup's rows fitting one tile (ATTNPROF_MMA_BWD_TILES=2,32: 2 subgroups,
  // exactly 16 KiB at D = 64, the default of earlier sessions).
  test('rows staged in one round: 2 subgroups × 32-row tiles in both passes, D = 64 f16: odd N causal, GQA, MQA, key lengths, everything at once', async () => {
    process.env.ATTNPROF_MMA_BWD_TILES = '2,32';
    try {
      const plan = planMmaBackward({ headDim: 64 }, ctx);
      assert.deepEqual(plan && [plan.dkv.subgroups, plan.dkv.tileRows, plan.dq.subgroups, plan.dq.tileRows], [2, 32, 2, 32]);
      for (const i of [1, 4, 5, 10, 13]) {
        const [name, over] = FEATURES[i];
        const r = await expectGradients(base(64, 'f16', over), `${name} (2 × 32, one round)`);
        assert.match(r.notes.join(' '), /dK\/dV 32 keys × 32-row query tiles \(16 KiB of workgroup memory\); dQ 32 query slots × 32-key tiles \(16 KiB\)/);
      }
    } finally {
      delete process.env.ATTNPROF_MMA_BWD_TILES;
    }
  });
  // f32 storage differs in how tiles are loaded and gradients written (products are f16 either way).
  test('f32 inputs and gradients, D = 64: no mask, GQA causal, key lengths, softcap', async () => {
    for (const i of [0, 4, 10, 8]) {
      const [name, over] = FEATURES[i];
      await expectGradients(base(64, 'f32', over), `${name} (f32)`);
    }
  });
  // Head dims that are not a multiple of 16 are padded to the matrix tile. The stand-in compiles for minutes per
  // head dim on a software adapter, so only D = 40 runs there; natively, every head dim the forward takes.
  // D = 40 also runs forced 80-row tiles (ATTNPROF_MMA_BWD_TILES=1,80), too wide to
  // keep P in registers: the dS step's fallback that reads P back from workgroup memory (a build of its own
  // anyway, as the stand-in compiles for minutes on a software adapter).
  test('head dims padded to the matrix tile (D = 40 → 48; natively 32–256), f16: causal over several tiles, GQA, softcap with key lengths (D = 40 on 80-row tiles, P read back)', async () => {
    for (const d of ctx.hasSubgroupMatrix ? [32, 40, 72, 80, 96, 128, 160, 256] : [40]) {
      if (d === 40) process.env.ATTNPROF_MMA_BWD_TILES = '1,80';
      try {
        // odd N, causal over three tiles of every width (80 rows included)
        for (const over of [{ seqLenQ: 173, seqLenK: 173, causal: true }, FEATURES[4][1], { softcap: 5, kvLens: Int32Array.from([30]) }]) {
          const r = await expectGradients(base(d, 'f16', over), `D=${d} ${JSON.stringify(over)}`, d !== 40);
          assert.match(r.notes.join(' '), /prefetched into registers: dK\/dV no, dQ no/);
          if (d === 40) assert.match(r.notes.join(' '), /dK\/dV 16 keys × 80-row query tiles \([\d.]+ KiB of workgroup memory\); dQ 16 query slots × 80-key tiles \([\d.]+ KiB\)/);
        }
      } finally {
        delete process.env.ATTNPROF_MMA_BWD_TILES;
      }
    }
  });

  // The step's passes, in order, each in its step (the flame chart's children of the train-step box), f16 and f32.
  test('the training step: the forward, then dO·O, dK dV and dQ (GQA causal, f16 and f32)', async () => {
    for (const dtype of ['f16', 'f32'] as const) {
      const [name, over] = FEATURES[4];
      const r = await expectGradients(base(64, dtype, over), `${name} (${dtype})`);
      assert.deepEqual(r.passes.map((x) => [x.name, x.step]), [['fused', 'forward'], ['dO·O', 'backward'], ['dK dV', 'backward'], ['dQ', 'backward']]);
      assert.match(r.notes.join(' '), /forward: \d subgroups × 16 query rows, 16-key tiles; saves the row log-sum-exp \(/);
    }
  });

  test('a row that sees no key gets exactly zero dQ, and its dO reaches no dK/dV', async () => {
    // causal with Nq > Nk: queries 0..24 sit before the first key
    const p = base(64, 'f16', { seqLenQ: 45, seqLenK: 20, causal: true });
    const n = 45 * 2 * 64;
    const dout = Float32Array.from({ length: n }, (_, x) => Math.sin(x));
    const q = Float32Array.from({ length: n }, (_, x) => Math.cos(x));
    const kv = Float32Array.from({ length: 20 * 2 * 64 }, (_, x) => Math.sin(0.3 * x));
    const run = await runProblem(ctx, p, { kernels: [kernel], mode: 'train', inputs: { q, k: kv, v: kv, dout }, keepOutput: true, iterations: 1, warmup: 0, warmupMs: 0 });
    assert.ok(run.results[0].correct, JSON.stringify(run.results[0].train?.errors));
    const g = run.gradients;
    assert.ok(g, 'no gradients kept');
    for (const h of [0, 1]) {
      const rows = g.dq.subarray(h * 45 * 64, (h * 45 + 25) * 64);
      assert.ok(rows.every((x) => x === 0), `dQ of an invisible row of head ${h} is not zero`);
    }
    const dout2 = Float32Array.from(dout);
    dout2.fill(50, 0, 25 * 64);
    const run2 = await runProblem(ctx, p, { kernels: [kernel], mode: 'train', inputs: { q, k: kv, v: kv, dout: dout2 }, keepOutput: true, iterations: 1, warmup: 0, warmupMs: 0 });
    assert.deepEqual(run2.gradients?.dk, g.dk);
    assert.deepEqual(run2.gradients?.dv, g.dv);
  });

  test('the forward saves O and one f32 log-sum-exp per query row, in the memory trace and the stats', async () => {
    const p = base(64, 'f16', { heads: 6, kvHeads: 2, seqLenQ: 40, seqLenK: 40, causal: true });
    const run = await runProblem(ctx, p, { kernels: [kernel], mode: 'train', iterations: 1, warmup: 0, warmupMs: 0, seed });
    const r = run.results[0];
    assert.equal(r.status, 'ok', r.error);
    const rows = p.batch * p.heads * p.seqLenQ;
    assert.equal(r.train?.savedBytes, rows * p.headDim * 2 + rows * 4);
    const saved = run.memory.filter((m) => m.kind === 'alloc' && m.role === 'saved');
    assert.deepEqual(saved.map((m) => m.bytes), [rows * 4]);
    assert.deepEqual(r.passes.map((x) => [x.name, x.step]), [['fused', 'forward'], ['dO·O', 'backward'], ['dK dV', 'backward'], ['dQ', 'backward']]);
  });
});

describe('flash-mma training host code', () => {
  test('the native build trains exactly where the adapter has matrix units, and says why not elsewhere', async () => {
    if (ctx.hasSubgroupMatrix) return assert.equal(mmaUnavailableReason(ctx), undefined);
    const run = await runProblem(ctx, base(64, 'f16'), { kernels: ['flash-mma', 'flash'], mode: 'train', iterations: 1, warmup: 0, warmupMs: 0, seed });
    assert.deepEqual(run.results.map((r) => [r.kernel, r.status]), [['flash-mma', 'skipped'], ['flash', 'ok']]);
    assert.match(run.results[0].error ?? '', /^flash-mma is unavailable: .*subgroup matrices/);
  });

  test('unrolled WGSL has no sections left and one variable per fragment and accumulator', () => {
    // 5 head-dim blocks, written in rounds of 2 tile blocks: columns 0–31, 32–63, 64–79.
    const consts = { NSG: 2, BT: 32, DP: 80, AS: 88, SS: 36, PS: 40 };
    for (const [pass, body] of [['dkv', dkvWgsl], ['dq', dqWgsl]] as const) {
      const code = unrollMmaBackward(body, pass, consts);
      assert.doesNotMatch(code, /^\/\/@/m, pass);
      for (let c = 0; c < 5; c++) {
        assert.match(code, new RegExp(`let xf${c} = leftA`), pass);
        assert.match(code, new RegExp(`var accX${c} = zeroAcc\\(\\)`), pass);
      }
      assert.doesNotMatch(code, /xf5|accX5/, pass);
      assert.equal((code.match(/writeRound\(false/g) ?? []).length, 3, pass);
      assert.equal((code.match(/accY0/g) ?? []).length > 0, pass === 'dkv', `${pass}: dV accumulators only in the dK/dV pass`);
      assert.match(code, /var ar0 = rowLoad\(.*first0, valid0/, `${pass}: the first tile is prefetched`);
      const direct = unrollMmaBackward(body, pass, consts, false);
      assert.doesNotMatch(direct, /var ar0|first0, valid0, lid/, `${pass}: no prefetch registers`);
      assert.match(direct, /let ar0 = rowLoad\(.*firstNow, validNow/, `${pass}: each tile loaded where it is stored`);
      // Pipelined: no barrier at the loop's top, four in its body; A's products read the tile at abuf.
      const piped = unrollMmaBackward(body, pass, { ...consts, PIPE: 1, XA_TILES: 2 }, false);
      const loop = piped.slice(piped.indexOf(pass === 'dkv' ? '  loop {' : '  for (; t0 < kEnd'), piped.indexOf(pass === 'dkv' ? '  // dK = scale' : '  // dQ = scale'));
      assert.equal(loop.match(/workgroupBarrier\(\)/g)?.length, 4, `${pass}: four barriers per tile`);
      assert.match(loop, /\{ var s = zeroAcc\(\); s = mma\(xf0, rightAT\(abuf \+ 0u, AS\), s\);/, pass);
      assert.match(loop, /accX0 = mma\(pf, rightA\(abuf \+ 0u, AS\), accX0\)/, pass);
      assert.match(loop, /let nbuf = BT \* AS - abuf;/, pass);
      assert.match(loop, /abuf = BT \* AS - abuf;/, pass);
      assert.doesNotMatch(loop, /firstNow, validNow, lid/, `${pass}: no loads at the top`);
    }
    assert.match(commonWgsl, /var<workgroup> xa: array<f16, XA_TILES \* BT \* AS>/);
  });

  // The H200's driver turned a select of four f16 halves into eight selects and byte permutes per vector; the stand-in
  // keeps the plain select (its shared core, mma_standin.wgsl).
  test('tile loads zero masked rows through the prelude: two 32-bit words natively, a plain select in the stand-in', () => {
    assert.match(commonWgsl, /return halvesIf\(vec4<f16>\(val\), ok\);/);
    assert.match(mmaBwdNativeWgsl, /fn halvesIf\(v: vec4<f16>, ok: bool\) -> vec4<f16> \{\n {2}return bitcast<vec4<f16>>\(select\(vec2<u32>\(0u\), bitcast<vec2<u32>>\(v\), ok\)\);/);
    assert.match(mmaStandInWgsl, /fn halvesIf\(v: vec4<f16>, ok: bool\) -> vec4<f16> \{\n {2}return select\(vec4<f16>\(0\.0\), v, ok\);/);
  });

  test('the element-wise steps: one register per column, P kept as f16 pairs, no loop (P read back past 64-wide tiles)', () => {
    const consts = { NSG: 4, BT: 64, DP: 64, AS: 72, SS: 68, PS: 72 };
    for (const [pass, body] of [['dkv', dkvWgsl], ['dq', dqWgsl]] as const) {
      const code = unrollMmaBackward(body, pass, consts);
      assert.doesNotMatch(code, /for \(var t = 0u; t < HALF/, pass);
      assert.match(code, /f16\(exp\(cappedScore\(st\[sBase \+ cb \+ 31u\] \* P\.scale\)/, pass);
      assert.match(code, /f16\(exp\(st\[sBase \+ cb \+ 31u\] \* P\.scale - /, `${pass}: no softcap call without a softcap`);
      assert.match(code, /if \(P\.softcap > 0\.0\) \{\n {6}if \(full\) \{/, `${pass}: one softcap branch for all the lane's columns`);
      assert.doesNotMatch(code, /cb \+ 32u/, pass);
      assert.match(code, /var pp15: vec2<f16>;/, pass);
      assert.doesNotMatch(code, /pp16/, pass);
      assert.doesNotMatch(code, /f32\(pt\[/, `${pass}: P is not read back`);
      assert.match(code, /if \(full\) \{\n {8}pp0 = vec2<f16>\(f16\(exp\(/, `${pass}: no mask where the lane's columns are all visible`);
      assert.match(code, /pp0 = vec2<f16>\(f16\(select\(0\.0, exp\(/, `${pass}: the masked branch`);
      assert.match(code, /let full = !holes && /, `${pass}: a 2-D neighbourhood always takes the masked branch`);
      assert.match(code, /pp0 = vec2<f16>\(f16\(select\(0\.0, exp\(.*&& \(!holes \|\| neighborVisible\(/, `${pass}: the masked branch tests the neighbourhood`);
      const reread = unrollMmaBackward(body, pass, consts, true, 'reread');
      assert.doesNotMatch(reread, /pp0/, pass);
      assert.doesNotMatch(reread, /for \(var t = 0u; t < HALF/, pass);
      assert.match(reread, /let p31 = f32\(pt\[pBase \+ cb \+ 31u\]\)/, pass);
      // dS stored in pairs of columns.
      assert.match(code, /let d2 = vec2<f16>\(f16\(select\(0\.0, p30 \* \(st\[sBase \+ cb \+ 30u\] - /, pass);
      assert.doesNotMatch(code, /let p32 /, pass);
      assert.match(reread, /if \(full\) \{\n {8}pt\[pBase \+ cb \+ 0u\] = f16\(exp\(/, `${pass}: P stored as computed`);
    }
    // The plan keeps P in registers up to 64-wide tiles (16 registers of pairs) and reads it back past them.
    const tiles = (env?: string) => {
      if (env) process.env.ATTNPROF_MMA_BWD_TILES = env;
      try {
        const plan = planMmaBackward({ headDim: 40 }, ctx);
        assert.ok(plan, `tiles ${env} fit`);
        return [plan.dkv.tileRows, plan.dkv.elementwise, plan.dq.tileRows, plan.dq.elementwise];
      } finally {
        delete process.env.ATTNPROF_MMA_BWD_TILES;
      }
    };
    const [dkvRows, dkvForm, dqRows, dqForm] = tiles();
    // Measured on the H200 (BENCHMARKS.md, nineteenth and twenty-fourth sessions): both passes take 4 subgroups × 16-row
    // tiles, their 64 rows staged in four rounds; the dK/dV pass at 12.5 KB (3 workgroups per SM at 48 KiB, its
    // registers allow no more), the dQ pass with P's rows unpadded up to D = 64 (11.5 KB: 4 per SM), neither pipelined.
    const d64 = planMmaBackward({ headDim: 64, seqLenQ: 3136, seqLenK: 3136 }, ctx);
    assert.deepEqual(d64 && [d64.dq.subgroups, d64.dq.tileRows, d64.dkv.subgroups, d64.dkv.tileRows], [4, 16, 4, 16]);
    assert.deepEqual(d64 && [d64.dkv.workgroupBytes, d64.dq.workgroupBytes, d64.dkv.consts.PS, d64.dq.consts.PS], [12800, 11776, 24, 16]);
    assert.deepEqual(d64 && [residentWorkgroups(d64.dkv.workgroupBytes, 128), residentWorkgroups(d64.dq.workgroupBytes, 128)], [3, 4]);
    assert.deepEqual(d64 && [d64.dkv.pipe, d64.dq.pipe], [false, false]);
    const d128 = planMmaBackward({ headDim: 128 }, ctx);
    assert.deepEqual(d128 && [d128.dq.subgroups, d128.dq.tileRows, d128.dkv.subgroups, d128.dkv.tileRows, d128.dq.consts.PS], [4, 16, 4, 16, 24]);
    assert.ok(Number(dkvRows) <= 64 && Number(dqRows) <= 64, 'no planned tile is wider than 64');
    assert.deepEqual([dkvForm, dqForm], ['unrolled', 'unrolled']);
    assert.deepEqual(tiles('1,64,1,80'), [64, 'unrolled', 80, 'reread']);
    assert.deepEqual(tiles('1,80,1,64'), [80, 'reread', 64, 'unrolled']);
  });

  test('the forward writes the log-sum-exp only in its training build', () => {
    const consts = { NSG: 4, BK: 16, DP: 64, KS: 72, SS: 20, PS: 72, VS: 24 };
    assert.doesNotMatch(unrollMma(flashMmaWgsl, consts), /lse\[/);
    assert.match(unrollMma(flashMmaWgsl, consts, true), /lse\[\(b \* P.heads \+ kvh \* group\) \* P.nq \+ slot\] = /);
  });

  // The dK/dV pass keeps its query columns' metadata in st's row padding (flash_mma_bwd_dkv.wgsl colAt), so 2 × 32
  // tiles at D = 64 take exactly 16 KiB of workgroup memory, as the dQ pass does (past it the H200 runs a pass far slower).
  test('the dK/dV metadata lives in st\'s row padding: 2 × 32 at D = 64 is 16 KiB, constant offsets where each column has a row', () => {
    process.env.ATTNPROF_MMA_BWD_TILES = '2,32';
    try {
      const plan = planMmaBackward({ headDim: 64 }, ctx);
      assert.deepEqual([plan?.dkv.workgroupBytes, plan?.dq.workgroupBytes], [16384, 16384]);
      assert.equal(plan?.dkv.consts.SS, 36);
    } finally {
      delete process.env.ATTNPROF_MMA_BWD_TILES;
    }
    const rows = unrollMmaBackward(dkvWgsl, 'dkv', { NSG: 2, BT: 32, DP: 64, AS: 72, SS: 36, PS: 40 });
    assert.match(rows, /let mB = BT \+ h \* \(HALF \+ 1u\) \* SS;/);
    assert.match(rows, /exp\(st\[sBase \+ cb \+ 14u\] \* P\.scale - st\[mB \+ 14u \* SS \+ 2u\]\)/);
    assert.match(rows, /exp\(st\[sBase \+ cb \+ 15u\] \* P\.scale - st\[mL \+ 2u\]\)/);
    assert.doesNotMatch(rows, /colLse|colD\[|colAt\(cb \+ \d+u\)/);
    // Fewer rows than columns (1 × 32): a vec4 more per row, through colAt.
    const few = unrollMmaBackward(dkvWgsl, 'dkv', { NSG: 1, BT: 32, DP: 64, AS: 72, SS: 40, PS: 40 });
    assert.match(few, /st\[colAt\(cb \+ 15u\) \+ 3u\]/);
    assert.doesNotMatch(few, /mB/);
  });

  test('rows staged in rounds where the workgroup has more rows than a tile: stores by round, fragments between barriers', () => {
    const code = unrollMmaBackward(dqWgsl, 'dq', { NSG: 4, BT: 32, DP: 64, AS: 72, SS: 36, PS: 40 });
    const stage = code.slice(code.indexOf('let stageValid'), code.indexOf('for (; t0 < kEnd'));
    // Round 0's stores, a barrier, subgroups 0 and 1 load theirs, a barrier, round 1's stores; 2 and 3 after the WGSL's barrier.
    assert.match(stage, /item \/ D4 \/ BT == 0u\) \{ \{ let at = \(item \/ D4 - 0u \* BT\) \* AS/);
    assert.match(stage, /item \/ D4 \/ BT == 1u\) \{ \{ let at = \(item \/ D4 - 1u \* BT\) \* AS/);
    assert.match(stage, /workgroupBarrier\(\);\n {2}if \(sg == 0u\) \{\n {4}xf0 = leftA\(0u, AS\);/);
    assert.match(stage, /if \(sg == 1u\) \{\n {4}xf0 = leftA\(1152u, AS\);/);
    assert.match(stage, /if \(sg == 3u\) \{\n {4}xf0 = leftA\(1152u, AS\);[^]*yf3 = leftB\(1200u, AS\);/);
    assert.ok(stage.indexOf('if (sg == 1u)') < stage.indexOf('BT == 1u'), 'round 0 fragments before round 1 stores');
    assert.ok(stage.indexOf('if (sg == 2u)') > stage.lastIndexOf('BT == 1u'), 'round 1 fragments after its stores');
    // One round (16·NSG ≤ BT): the fragments straight after the WGSL's barrier, at the subgroup's rows.
    assert.match(unrollMmaBackward(dqWgsl, 'dq', { NSG: 2, BT: 32, DP: 64, AS: 72, SS: 36, PS: 40 }), /let xf0 = leftA\(sg \* 16u \* AS \+ 0u, AS\);/);
  });

  test('the backward plan fits the adapter for every head dim the forward takes', () => {
    for (const d of [32, 40, 64, 72, 80, 96, 128, 160, 256]) {
      const plan = planMmaBackward({ headDim: d }, ctx);
      assert.ok(plan, `D=${d} fits`);
      for (const pass of [plan.dkv, plan.dq]) {
        assert.equal(pass.paddedDim, Math.ceil(d / 16) * 16);
        assert.ok(pass.workgroupBytes <= ctx.adapter.limits.maxComputeWorkgroupStorageSize);
        assert.equal(pass.tileRows % 16, 0);
      }
    }
  });
});
