/**
 * The adapter's measured ceilings for the roofline: memory bandwidth from a vec4 copy, FP32 compute from
 * register FMA chains. Measured with GPU timestamps (median of several runs).
 */
import copyWgsl from './wgsl/copy.wgsl';
import fmaWgsl from './wgsl/fma.wgsl';
import type { GpuContext } from './device';
import { summarize } from './stats';

export interface Ceilings {
  computeTflops: number;
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

export async function measureCeilings(ctx: GpuContext, opts: { maxBytes?: number } = {}): Promise<Ceilings> {
  const { device } = ctx;
  const limit = Math.min(ctx.adapter.limits.maxStorageBufferBindingSize, ctx.adapter.limits.maxBufferSize);
  const top = Math.min(opts.maxBytes ?? 1024 * 1024 * 1024, limit);
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
  const fmaModule = device.createShaderModule({ code: fmaWgsl });
  const fma = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: fmaModule, entryPoint: 'main' } });
  const sink = device.createBuffer({ size: 4096 * 16, usage: GPUBufferUsage.STORAGE });
  let computeTflops = 0;
  try {
    const bg = device.createBindGroup({ layout: fma.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: sink } }] });
    // Enough threads to fill any GPU; a software adapter gets fewer so it finishes quickly.
    const groups = ctx.adapter.isFallback ? 64 : 8192;
    const ms = await timeDispatch(ctx, fma, bg, [groups, 1, 1], 5);
    computeTflops = (groups * 256 * 1024 * 8 * 4 * 2) / (ms * 1e-3) / 1e12;
  } finally {
    sink.destroy();
  }
  // The largest buffers tell the DRAM bandwidth; smaller ones may be served from cache.
  const bandwidthGBps = bandwidthBySize.length ? bandwidthBySize[bandwidthBySize.length - 1].gbps : 0;
  return {
    computeTflops,
    bandwidthGBps,
    measuredAt: new Date().toISOString(),
    method: 'bandwidth: vec4 copy of the largest buffer; compute: FP32 register FMA chains',
    bandwidthBySize,
  };
}
