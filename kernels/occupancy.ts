/**
 * The occupancy probe (`npm run bench -- --occupancy`): how many workgroups of a given size and workgroup-memory
 * footprint the GPU keeps resident at once, counted by the workgroups themselves (occupancy.wgsl), not inferred from
 * timings. On the H200 a pass's speed fell off a cliff a few bytes past 16 KiB of workgroup memory (BENCHMARKS.md,
 * seventeenth session) and no carveout rule read from the timings fitted every footprint measured; this counts the
 * resident workgroups directly, for footprints either side of each suspected step.
 */
import occupancyWgsl from './wgsl/occupancy.wgsl';
import type { GpuContext } from './device';

export interface OccupancyPoint {
  /** Bytes of workgroup memory each workgroup declares. */
  workgroupBytes: number;
  threads: number;
  /** The most workgroups that were running at the same moment, over the whole GPU. */
  resident: number;
}

export interface OccupancyTable {
  points: OccupancyPoint[];
  /**
   * The greatest common divisor of the resident counts where it is more than 1: the number of multiprocessors when
   * every multiprocessor holds the same number of workgroups in every configuration (one count off by one and the
   * divisor collapses, so it is left out rather than guessed).
   */
  multiprocessors?: number;
}

/** Footprints either side of the steps seen on the H200 (16 KiB, between 23.5 and 32.6 KB) and of the common limits. */
export const PROBE_BYTES = [1024, 4096, 8192, 12288, 16384, 16400, 20480, 24576, 24592, 28672, 32768, 32784, 40960, 49152];
export const PROBE_THREADS = [64, 128, 256];

/** The probe's WGSL for one configuration (bytes rounded up to whole u32 words). */
export function occupancyShader(workgroupBytes: number, threads: number, steps: number): string {
  const words = Math.max(1, Math.ceil(workgroupBytes / 4));
  return `const WORDS: u32 = ${words}u;\nconst THREADS: u32 = ${threads}u;\nconst STEPS: u32 = ${steps}u;\n${occupancyWgsl}`;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The table's multiprocessor estimate (see OccupancyTable.multiprocessors). */
export function commonDivisor(points: OccupancyPoint[]): number | undefined {
  const counts = points.map((p) => p.resident).filter((n) => n > 0);
  if (!counts.length) return undefined;
  const d = counts.reduce(gcd);
  return d > 1 ? d : undefined;
}

/**
 * The workgroup memory one multiprocessor shares among its resident workgroups, as the counts bound it: every count n
 * of a footprint f says n·f ≤ M, and a count that fell as the footprint grew (same workgroup size) was limited by
 * memory, so also M < (n + 1)·f. Undefined without a per-multiprocessor count, or where no budget M fits every count
 * (another limit than memory is at work). On the H200: [49 152, 49 184), i.e. 48 KiB.
 */
export function workgroupMemoryBound(table: OccupancyTable): { low: number; high: number } | undefined {
  const sms = table.multiprocessors;
  if (!sms) return undefined;
  let low = 0;
  let high = Infinity;
  for (const t of new Set(table.points.map((p) => p.threads))) {
    const row = table.points.filter((p) => p.threads === t).sort((a, b) => a.workgroupBytes - b.workgroupBytes);
    row.forEach((p, i) => {
      const n = p.resident / sms;
      low = Math.max(low, n * p.workgroupBytes);
      if (i > 0 && p.resident < row[i - 1].resident) high = Math.min(high, (n + 1) * p.workgroupBytes);
    });
  }
  return low > 0 && low < high ? { low, high } : undefined;
}

/** Workgroups the probe dispatches: far more than any GPU holds at once (a software adapter: a few CPU threads' worth). */
export function probeGroups(ctx: GpuContext): number {
  return ctx.adapter.isFallback ? 32 : Math.min(ctx.adapter.limits.maxComputeWorkgroupsPerDimension, 16384);
}

/** Resident workgroups of one configuration: the peak count of a dispatch far larger than any GPU holds at once. */
export async function probeResident(ctx: GpuContext, workgroupBytes: number, threads: number): Promise<number> {
  const { device } = ctx;
  const soft = ctx.adapter.isFallback;
  // A spin of ~thousands of L2 round trips keeps every resident workgroup running while the others start; a software
  // adapter runs workgroups a few at a time on CPU threads and needs only a short spin to show that.
  const steps = soft ? 64 : 4096;
  const groups = probeGroups(ctx);
  const module = device.createShaderModule({ code: occupancyShader(workgroupBytes, threads, steps) });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const counters = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: counters } }] });
    device.queue.writeBuffer(counters, 0, new Uint32Array(4));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups);
    pass.end();
    encoder.copyBufferToBuffer(counters, 0, read, 0, 16);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const [running, peak] = new Uint32Array(read.getMappedRange().slice(0));
    read.unmap();
    if (running !== 0) throw new Error(`occupancy probe: ${running} workgroups still counted as running after the dispatch`);
    return peak;
  } finally {
    counters.destroy();
    read.destroy();
  }
}

/** Every configuration of `bytes` × `threads` that the adapter allows. */
export async function probeOccupancy(ctx: GpuContext, bytes = PROBE_BYTES, threads = PROBE_THREADS): Promise<OccupancyTable> {
  const { maxComputeWorkgroupStorageSize: maxBytes, maxComputeInvocationsPerWorkgroup: maxThreads } = ctx.adapter.limits;
  const points: OccupancyPoint[] = [];
  for (const t of threads.filter((n) => n <= maxThreads)) {
    for (const b of bytes.filter((n) => n <= maxBytes)) points.push({ workgroupBytes: b, threads: t, resident: await probeResident(ctx, b, t) });
  }
  return { points, multiprocessors: commonDivisor(points) };
}

/** The table as Markdown: a row per footprint, a column per workgroup size; per multiprocessor where it is known. */
export function occupancyMarkdown(table: OccupancyTable): string[] {
  const threads = [...new Set(table.points.map((p) => p.threads))];
  const bytes = [...new Set(table.points.map((p) => p.workgroupBytes))];
  const sms = table.multiprocessors;
  const cell = (b: number, t: number) => {
    const p = table.points.find((x) => x.workgroupBytes === b && x.threads === t);
    if (!p) return '–';
    return sms ? `${p.resident} (${p.resident / sms}/SM)` : `${p.resident}`;
  };
  return [
    sms
      ? `Resident workgroups over the whole GPU (per multiprocessor: ${sms} multiprocessors, the counts' greatest common divisor).`
      : 'Resident workgroups over the whole GPU.',
    '',
    `| workgroup memory | ${threads.map((t) => `${t} invocations`).join(' | ')} |`,
    `|---|${threads.map(() => '---').join('|')}|`,
    ...bytes.map((b) => `| ${b} B | ${threads.map((t) => cell(b, t)).join(' | ')} |`),
    ...memoryLine(table),
  ];
}

/** What the counts say about the workgroup memory per multiprocessor, as one sentence (none where they do not say). */
function memoryLine(table: OccupancyTable): string[] {
  const bound = workgroupMemoryBound(table);
  if (!bound) return [];
  const { low, high } = bound;
  const kib = low % 1024 === 0 ? ` = ${low / 1024} KiB` : '';
  const range = Number.isFinite(high) ? `at least ${low} and under ${high} bytes` : `at least ${low} bytes`;
  return ['', `Workgroup memory per multiprocessor, for all its resident workgroups together: ${range} (${low} B${kib} fits every count as floor(memory / footprint)).`];
}
