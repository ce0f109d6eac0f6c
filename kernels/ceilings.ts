/**
 * The adapter's measured ceilings for the roofline: memory bandwidth from a vec4 copy, FP32 compute from
 * register FMA chains. Measured with GPU timestamps (median of several runs).
 */
import copyWgsl from './wgsl/copy.wgsl';
import fmaWgsl from './wgsl/fma.wgsl';
import matmulWgsl from './wgsl/matmul.wgsl';
import type { GpuContext } from './device';
import { summarize } from './stats';

export interface Ceilings {
  /** FP32 peak from register FMA chains: the roof. */
  computeTflops: number;
  /** What a 64×64-tiled WGSL f32 matmul attains on the same adapter (square, size in `matmulSize`). */
  matmulTflops?: number;
  matmulSize?: number;
  bandwidthGBps: number;
  measuredAt: string;
  method: string;
  /** Copy bandwidth per buffer size (bytes → GB/s), to show where caches stop helping. */
  bandwidthBySize?: { bytes: number; gbps: number }[];
}

async function timeDispatch(
  ctx: GpuContext,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  groups: [number, number, number],
  repeats: number,
): Promise<number> {
  const { device } = ctx;
  const querySet = ctx.hasTimestamps ? device.createQuerySet({ type: 'timestamp', count: 2 }) : undefined;
  const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const samples: number[] = [];
  try {
    for (let i = -2; i < repeats; i++) {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass(
        querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {},
      );
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...groups);
      pass.end();
      if (querySet) {
        encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
        encoder.copyBufferToBuffer(resolve, 0, read, 0, 16);
      }
      const t0 = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      const wall = performance.now() - t0;
      let ms = wall;
      if (querySet) {
        await read.mapAsync(GPUMapMode.READ);
        const t = new BigUint64Array(read.getMappedRange().slice(0));
        read.unmap();
        ms = Number(t[1] - t[0]) / 1e6;
      }
      if (i >= 0) samples.push(ms);
    }
  } finally {
    querySet?.destroy();
    resolve.destroy();
    read.destroy();
  }
  return summarize(samples).medianMs;
}

export async function measureCeilings(ctx: GpuContext, opts: { maxBytes?: number; warmupMs?: number } = {}): Promise<Ceilings> {
  const { device } = ctx;
  const limit = Math.min(ctx.adapter.limits.maxStorageBufferBindingSize, ctx.adapter.limits.maxBufferSize);
  const top = Math.min(opts.maxBytes ?? 1024 * 1024 * 1024, limit);
  const fmaModule = device.createShaderModule({ code: fmaWgsl });
  const fma = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: fmaModule, entryPoint: 'main' } });
  const sink = device.createBuffer({ size: 4096 * 16, usage: GPUBufferUsage.STORAGE });
  const fmaGroup = device.createBindGroup({ layout: fma.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: sink } }] });
  // Enough threads to fill any GPU; a software adapter gets fewer so it finishes quickly.
  const groups = ctx.adapter.isFallback ? 64 : 8192;
  // GPUs raise their clocks only under sustained load: measured cold, the H200 gave 11 TFLOP/s and 1.7 TB/s instead
  // of 64 and 4.2. Keep it busy for half a second first (hardware adapters only).
  const warmUntil = performance.now() + (ctx.adapter.isFallback ? 0 : (opts.warmupMs ?? 500));
  while (performance.now() < warmUntil) await timeDispatch(ctx, fma, fmaGroup, [groups, 1, 1], 1);
  const copyModule = device.createShaderModule({ code: copyWgsl });
  const copy = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: copyModule, entryPoint: 'main' } });
  const bandwidthBySize: { bytes: number; gbps: number }[] = [];
  for (let bytes = 4 * 1024 * 1024; bytes <= top; bytes *= 4) {
    const src = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const dst = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
    try {
      device.queue.writeBuffer(src, 0, new Uint8Array(Math.min(bytes, 1 << 20)).fill(1));
      const bg = device.createBindGroup({
        layout: copy.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }],
      });
      const groups = Math.min(ctx.adapter.limits.maxComputeWorkgroupsPerDimension, Math.ceil(bytes / 16 / 256));
      const ms = await timeDispatch(ctx, copy, bg, [groups, 1, 1], 5);
      bandwidthBySize.push({ bytes, gbps: (2 * bytes) / (ms * 1e-3) / 1e9 });
    } finally {
      src.destroy();
      dst.destroy();
    }
  }
  let computeTflops = 0;
  try {
    const ms = await timeDispatch(ctx, fma, fmaGroup, [groups, 1, 1], 5);
    computeTflops = (groups * 256 * 1024 * 8 * 4 * 2) / (ms * 1e-3) / 1e12;
  } finally {
    sink.destroy();
  }
  const { tflops: matmulTflops, size: matmulSize } = await measureMatmul(ctx);
  const gpuError = ctx.takeError();
  if (gpuError) throw new Error(`measuring the ceilings failed: ${gpuError}`);
  // The largest buffers tell the DRAM bandwidth; smaller ones may be served from cache.
  const bandwidthGBps = bandwidthBySize.length ? bandwidthBySize[bandwidthBySize.length - 1].gbps : 0;
  return {
    computeTflops,
    matmulTflops,
    matmulSize,
    bandwidthGBps,
    measuredAt: new Date().toISOString(),
    method: `bandwidth: vec4 copy of the largest buffer; compute: FP32 register FMA chains (peak) and a tiled ${matmulSize}² f32 matmul (attained)`,
    bandwidthBySize,
  };
}

/** A square f32 matmul: 4096² on a hardware adapter, 256² on a software one (seconds otherwise). */
async function measureMatmul(ctx: GpuContext): Promise<{ tflops: number; size: number }> {
  const { device } = ctx;
  const size = ctx.adapter.isFallback ? 256 : 4096;
  const bytes = size * size * 4;
  const module = device.createShaderModule({ code: matmulWgsl });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const dims = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const a = device.createBuffer({ size: bytes, usage });
  const b = device.createBuffer({ size: bytes, usage });
  const c = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  try {
    device.queue.writeBuffer(dims, 0, new Uint32Array([size, size, size, 0]));
    // Non-zero inputs: some GPUs finish multiplications by zero faster.
    const fill = new Float32Array(size * size).map((_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
    device.queue.writeBuffer(a, 0, fill);
    device.queue.writeBuffer(b, 0, fill);
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [dims, a, b, c].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const ms = await timeDispatch(ctx, pipeline, bg, [size / 64, size / 64, 1], 5);
    // A ceiling from a wrong kernel would be meaningless: check sampled outputs against float64 dot products.
    const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(c, 0, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const got = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    let worst = 0;
    for (let sample = 0; sample < 64; sample++) {
      const i = (sample * 7919) % size;
      const j = (sample * 104729) % size;
      let want = 0;
      let scale = 0;
      for (let x = 0; x < size; x++) {
        want += fill[i * size + x] * fill[x * size + j];
        scale += Math.abs(fill[i * size + x] * fill[x * size + j]);
      }
      worst = Math.max(worst, Math.abs(got[i * size + j] - want) / Math.max(scale, 1e-30));
    }
    if (!(worst < 1e-4)) throw new Error(`the matmul ceiling kernel is wrong (relative error ${worst.toExponential(2)}).`);
    return { tflops: (2 * size ** 3) / (ms * 1e-3) / 1e12, size };
  } finally {
    for (const x of [dims, a, b, c]) x.destroy();
  }
}
