/**
 * The roofline's model: each timed kernel as a point (arithmetic intensity = FLOP / byte moved, achieved TFLOP/s)
 * and, when the report carries them, the adapter's measured compute and bandwidth ceilings. Pure.
 */
import type { ProfileReport } from './schema';

export interface Ceilings {
  computeTflops: number;
  /** What a tiled WGSL matmul attains (a practical compute line below the FMA peak), when measured. */
  matmulTflops?: number;
  bandwidthGBps: number;
  measuredAt: string;
  method: string;
}

export interface RooflinePoint {
  workload: string;
  kernel: string;
  /** FLOP done (the kernel's `work.flopsDone` when known) per byte of the minimum traffic (Q, K, V read once, O written once). */
  intensity: number;
  tflops: number;
  /** Fraction of the roof at this intensity (undefined without ceilings). */
  ofRoof?: number;
}

export interface RooflineModel {
  points: RooflinePoint[];
  ceilings?: Ceilings;
  /** FLOP/byte where the bandwidth slope meets the compute roof. */
  ridge?: number;
  /** Log-scale domains, padded to whole decades. */
  xDomain: [number, number];
  yDomain: [number, number];
}

/** The ceilings if present and sane (the field is optional: older reports, or not measured yet). */
export function readCeilings(report: ProfileReport): Ceilings | undefined {
  const c = (report as ProfileReport & { ceilings?: unknown }).ceilings;
  if (typeof c !== 'object' || c === null) return undefined;
  const x = c as Partial<Ceilings>;
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!ok(x.computeTflops) || !ok(x.bandwidthGBps)) return undefined;
  return {
    computeTflops: x.computeTflops,
    ...(ok(x.matmulTflops) ? { matmulTflops: x.matmulTflops } : {}),
    bandwidthGBps: x.bandwidthGBps,
    measuredAt: String(x.measuredAt ?? ''),
    method: String(x.method ?? ''),
  };
}

/** Attainable TFLOP/s at an intensity: min(compute, bandwidth × intensity). GB/s × FLOP/B = GFLOP/s. */
export function roofAt(c: Ceilings, intensity: number): number {
  return Math.min(c.computeTflops, (c.bandwidthGBps * intensity) / 1000);
}


export function buildRooflineModel(report: ProfileReport): RooflineModel {
  const ceilings = readCeilings(report);
  const points: RooflinePoint[] = [];
  for (const w of report.workloads) {
    for (const r of w.results) {
      if (r.status !== 'ok' || !(r.bytesMoved > 0) || !(r.tflops > 0)) continue;
      // The work the kernel does (masked tiles it skips are not counted; tiles it computes in full are), so a
      // kernel that skips blocks sits where its hardware work puts it.
      const done = r.work?.flopsDone;
      const ms = r.timings?.medianMs;
      const useWork = r.mode !== 'train' && done !== undefined && done > 0 && ms !== undefined && ms > 0;
      const flops = useWork ? done : r.flops;
      const tflops = useWork ? done / (ms * 1e-3) / 1e12 : r.tflops;
      const intensity = flops / r.bytesMoved;
      points.push({
        workload: w.name,
        kernel: r.kernel,
        intensity,
        tflops,
        ...(ceilings ? { ofRoof: tflops / roofAt(ceilings, intensity) } : {}),
      });
    }
  }
  const xs = points.map((p) => p.intensity);
  const ys = points.map((p) => p.tflops);
  const ridge = ceilings ? (ceilings.computeTflops * 1000) / ceilings.bandwidthGBps : undefined;
  if (ridge) xs.push(ridge);
  if (ceilings) ys.push(ceilings.computeTflops);
  if (ceilings?.matmulTflops) ys.push(ceilings.matmulTflops);
  // The axes span the data (points and ceilings) with a margin, not whole decades: a software adapter's points sit
  // decades below its ceilings already, and empty decades of ticks beyond them only push the data together.
  const xDomain: [number, number] = xs.length ? [Math.min(...xs) / 2, Math.max(...xs) * 2] : [0.1, 1000];
  const yDomain: [number, number] = ys.length ? [Math.min(...ys) / 2, Math.max(...ys) * 2] : [1e-3, 100];
  return { points, ...(ceilings ? { ceilings, ridge } : {}), xDomain, yDomain };
}
