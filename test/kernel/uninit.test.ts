/**
 * Kernel tier, workgroup memory never written and indices never clamped. Dawn zero-initialises `var<workgroup>`
 * memory and clamps every array index unless its toggles `disable_workgroup_init` and `disable_robustness` are set;
 * attnprof sets both on a GPU unless asked not to (kernels/device.ts `shaderChecksSetting`: native kernels run without
 * such checks, and flash-mma's training step is 4 % faster on the H200 without them), so a kernel must never read
 * workgroup memory it did not write (every element of a 16×16 matrix load included) nor index past an array. Here
 * the device runs without the checks whatever the environment says, and every pipeline is built with
 * ATTNPROF_POISON_WORKGROUP=1 (shader.ts `poisonWorkgroupMemory`): its workgroup memory starts as all-ones bits
 * (NaN as f32 and f16), so a read of an element never written makes the result NaN or wrong — on any adapter,
 * lavapipe included. The canaries prove the poison reaches what a kernel reads (else these tests could not fail).
 * The cases are few and small (CI: 2 cores): naive, flash (its variants, split + combine, the decode path), the
 * flash-mma forward with head-dim padding, naive and flash training. flash-mma's training passes are not here: its
 * stand-in build did not finish within 400 s on lavapipe with these toggles: on a GPU run backward_mma.test.js and
 * mma.test.js with ATTNPROF_POISON_WORKGROUP=1 (on the H200, twenty-second session: this tier 4 of 4, those two
 * 36 of 36, native builds).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuContext, openGpu } from '../../kernels/device';
import { AttentionProblem } from '../../kernels/problem';
import { runProblem } from '../../kernels/runner';
import { PipelineCache, poisonWorkgroupMemory } from '../../kernels/shader';

let ctx: GpuContext;
let mma: string;
const seed = Date.now() & 0xffffff;

before(async () => {
  process.env.ATTNPROF_POISON_WORKGROUP = '1';
  ctx = await openGpu({ shaderChecks: false });
  assert.equal(ctx.adapter.shaderChecks, false, 'asked for without the checks, on any adapter');
  mma = ctx.hasSubgroupMatrix ? 'flash-mma' : 'flash-mma-emulated';
});

test('by default a GPU runs without the shader checks and a software adapter keeps them', async () => {
  const saved = process.env.ATTNPROF_SHADER_CHECKS;
  delete process.env.ATTNPROF_SHADER_CHECKS;
  try {
    const byDefault = await openGpu();
    // The second open remembers a software adapter (kernels/device.ts asks once without the checks per process).
    const again = await openGpu();
    const kept = await openGpu({ shaderChecks: true });
    try {
      assert.equal(byDefault.adapter.shaderChecks, byDefault.adapter.isFallback);
      assert.deepEqual([again.adapter.description, again.adapter.shaderChecks], [byDefault.adapter.description, byDefault.adapter.shaderChecks]);
      assert.equal(kept.adapter.shaderChecks, true);
    } finally {
      byDefault.destroy();
      again.destroy();
      kept.destroy();
    }
  } finally {
    if (saved !== undefined) process.env.ATTNPROF_SHADER_CHECKS = saved;
  }
});
after(() => {
  delete process.env.ATTNPROF_POISON_WORKGROUP;
  ctx?.destroy();
});

/** Runs a one-workgroup shader through the pipeline cache (so poisoned as the kernels are); returns out[0..63]. */
async function runCanary(code: string): Promise<Uint32Array> {
  const pipeline = await new PipelineCache(ctx.device).get('canary', code, 'uninit canary');
  const out = ctx.device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = ctx.device.createBuffer({ size: 256, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] }));
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(out, 0, read, 0, 256);
  ctx.device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const got = new Uint32Array(read.getMappedRange().slice(0));
  read.unmap();
  out.destroy();
  read.destroy();
  return got;
}

const base = (over: Partial<AttentionProblem>): AttentionProblem => ({
  batch: 1, heads: 2, kvHeads: 2, seqLenQ: 37, seqLenK: 37, headDim: 64, dtype: 'f32', causal: false, window: 0, softcap: 0, ...over,
});

async function expectCorrect(p: AttentionProblem, kernels: string[], what: string, mode: 'fwd' | 'train' = 'fwd'): Promise<void> {
  const run = await runProblem(ctx, p, { kernels, mode, iterations: 1, warmup: 0, warmupMs: 0, seed, checkBudget: 100000 });
  for (const r of run.results) {
    assert.equal(r.status, 'ok', `${r.kernel}, ${what}: ${r.error}`);
    assert.ok(r.checkedRows > 0, `${r.kernel}, ${what}: checked no rows`);
    const e = r.train?.errors;
    assert.ok(r.correct, `${r.kernel}, ${what} (${r.notes.join('; ')}): max relative error ${r.maxRelError}${e ? ` (O ${e.o} dQ ${e.dq} dK ${e.dk} dV ${e.dv})` : ''} > ${r.tolerance} (seed ${seed})`);
  }
}

/** Runs `kernels` once per flash variant (tiled, tiled with keys split and combined, rows). */
async function withFlashVariants(fn: () => Promise<void>): Promise<void> {
  for (const [variant, splits] of [['tiled', undefined], ['tiled', '3'], ['rows', undefined]] as const) {
    process.env.ATTNPROF_FLASH_VARIANT = variant;
    if (splits) process.env.ATTNPROF_FLASH_SPLITS = splits;
    try {
      await fn();
    } finally {
      delete process.env.ATTNPROF_FLASH_VARIANT;
      delete process.env.ATTNPROF_FLASH_SPLITS;
    }
  }
}

describe('no kernel reads workgroup memory it did not write (Dawn toggles disable_workgroup_init, disable_robustness; memory poisoned)', () => {
  test('canaries: an unwritten element reads as the poison (f32 NaN, f16 NaN, u32, atomic), a written one as written', async () => {
    const got = await runCanary(`
enable f16;
var<workgroup> a: array<f32, 64>;
var<workgroup> h: array<vec2<f16>, 8>;
var<workgroup> n: atomic<u32>;
var<workgroup> w: array<u32, 128>;
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  w[2u * i] = i;
  workgroupBarrier();
  if (i == 0u) { out[0] = bitcast<u32>(a[5]); out[1] = u32(bitcast<u32>(h[3]) == 0xffffffffu); out[2] = atomicLoad(&n); }
  if (i >= 4u) { out[i] = select(w[2u * i], w[2u * i + 1u], i >= 32u); }
}`);
    assert.ok(Number.isNaN(new Float32Array(got.buffer)[0]), `an unwritten f32 reads as NaN (bits ${got[0].toString(16)})`);
    assert.equal(got[1], 1, 'an unwritten vec2<f16> reads as all-ones bits (NaN)');
    assert.equal(got[2], 0xffffffff, 'an atomic never stored reads as all-ones');
    for (let i = 4; i < 32; i++) assert.equal(got[i], i, 'a written element reads as written');
    for (let i = 32; i < 64; i++) assert.equal(got[i], 0xffffffff, 'an unwritten element between written ones reads as the poison');
    // The transform names what it cannot poison instead of skipping it.
    assert.throws(() => poisonWorkgroupMemory('struct S { x: f32 }\nvar<workgroup> s: S;\n@compute @workgroup_size(1) fn main() {}'), /cannot poison s: S/);
  });

  test('naive and flash (tiled, split + combine, rows) on odd N with GQA, causal, D = 40; the decode path, f16, D = 80', async () => {
    const p = base({ heads: 6, kvHeads: 2, seqLenQ: 41, seqLenK: 41, headDim: 40, causal: true });
    await expectCorrect(p, ['naive'], 'GQA 6:2 causal, D = 40');
    await withFlashVariants(() => expectCorrect(p, ['flash'], 'GQA 6:2 causal, D = 40'));
    const decode = base({ batch: 2, heads: 8, kvHeads: 2, seqLenQ: 1, seqLenK: 300, headDim: 80, dtype: 'f16', causal: true, kvLens: Int32Array.from([300, 9]) });
    await expectCorrect(decode, ['flash'], 'decode, key lengths');
  });

  test('flash-mma forward (the build this adapter runs): D = 64 (no padding) over partial tiles, causal; D = 80 padded to 96, f16, GQA', async () => {
    await expectCorrect(base({ seqLenQ: 70, seqLenK: 70, causal: true }), [mma], 'D = 64, N = 70');
    await expectCorrect(base({ heads: 4, kvHeads: 2, seqLenQ: 39, seqLenK: 39, headDim: 80, dtype: 'f16', scale: 2 }), [mma], 'D = 80, GQA');
  });

  test('training: naive and flash gradients, D = 32, N = 37, GQA 4:2, causal', async () => {
    await expectCorrect(base({ heads: 4, kvHeads: 2, headDim: 32, causal: true }), ['naive', 'flash'], 'train', 'train');
  });
});
