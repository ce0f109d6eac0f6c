/**
 * A/B comparison of two reports: per-kernel ratios of median time with a bootstrap interval (matched by workload
 * name and kernel, else by layer kind and kernel) and the
 * relative change of every flame box of B against the box with the same key in A (differential flame chart).
 * Pure.
 */
import type { FlameModel } from './flame-model';
import type { KernelResult } from './measurements';
import type { ProfileReport, Workload } from './schema';

/** Changes smaller than this are shown as "same" when a result has too few samples for an interval. */
export const SAME_WITHIN = 0.03;

export type Verdict = 'faster' | 'slower' | 'same' | 'noise' | 'only-a' | 'only-b' | 'failed';

export interface CompareRow {
  /** The row's workload: B's name (A's when only A has it). */
  workload: string;
  kernel: string;
  /** How A's and B's workloads were paired: 'name' (same workload name) or 'kind' (same layer kind, another model). */
  matchedBy?: 'name' | 'kind';
  /** A's workload when it is not `workload` (matched by layer kind). */
  workloadA?: string;
  aMs: number;
  bMs: number;
  /** B median / A median: < 1 means B is faster. */
  ratio: number;
  /** 95 % bootstrap interval of the ratio of medians, from the stored iteration samples (when both have ≥ 3). */
  interval?: [number, number];
  verdict: Verdict;
}

/** Why two reports cannot be compared, as one sentence; undefined when they can. */
export function whyNotComparable(a: ProfileReport, b: ProfileReport): string | undefined {
  const timed = (r: ProfileReport) => r.workloads.some((w) => w.results.length > 0);
  const name = (r: ProfileReport) => `"${r.title}"`;
  for (const [r, other] of [[a, b], [b, a]] as const) {
    if (!timed(r)) {
      return `${name(r)} is a padding analysis with no kernel timings, so there is nothing to set against ${timed(other) ? 'the profile' : 'the other analysis'} ${name(other)}: compare two profiles (a padding analysis is read in its own Padding tab).`;
    }
  }
  return undefined;
}

/** The layer kind of a workload, for pairing two models: sliding-window (local) layers or full (global) ones. */
export function layerKind(w: Workload): 'local' | 'global' {
  return w.spec.window > 0 ? 'local' : 'global';
}

export function verdictOf(ratio: number, interval?: [number, number]): Verdict {
  if (!Number.isFinite(ratio)) return 'failed';
  if (interval) {
    if (interval[1] < 1) return 'faster';
    if (interval[0] > 1) return 'slower';
    return 'noise';
  }
  if (ratio < 1 - SAME_WITHIN) return 'faster';
  if (ratio > 1 + SAME_WITHIN) return 'slower';
  return 'same';
}

/** A small seeded generator (mulberry32): the same reports always give the same interval. */
function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * 95 % percentile-bootstrap interval of median(B) / median(A): resample each side's iterations with replacement,
 * `rounds` times. Undefined when a side has fewer than 3 finite samples (no distribution to speak of).
 */
export function bootstrapRatio(aSamples: readonly number[], bSamples: readonly number[], rounds = 2000, seed = 1): [number, number] | undefined {
  const a = aSamples.filter((x) => Number.isFinite(x) && x > 0);
  const b = bSamples.filter((x) => Number.isFinite(x) && x > 0);
  if (a.length < 3 || b.length < 3) return undefined;
  const next = rng(seed);
  const ra = new Float64Array(a.length);
  const rb = new Float64Array(b.length);
  const ratios = new Float64Array(rounds);
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < a.length; j++) ra[j] = a[Math.floor(next() * a.length)];
    for (let j = 0; j < b.length; j++) rb[j] = b[Math.floor(next() * b.length)];
    ratios[i] = median(rb.sort()) / median(ra.sort());
  }
  ratios.sort();
  return [ratios[Math.floor(0.025 * (rounds - 1))], ratios[Math.ceil(0.975 * (rounds - 1))]];
}

/** How far the interval reaches from 1, as a fraction: "within noise (±x %)". */
export function noiseHalfWidth(interval: [number, number]): number {
  return Math.max(Math.abs(interval[0] - 1), Math.abs(interval[1] - 1));
}

const samplesOf = (r: KernelResult): number[] => r.timings?.samples ?? r.iterations.filter((it) => !it.perPass).map((it) => it.durationMs);

/**
 * Pairs A's and B's workloads: by name first; what is left, by layer kind (local/global) when that kind is unique on
 * both sides — two models (Qwen2 and Llama) then still compare their layers. Unpaired workloads stay on their side.
 */
function pairWorkloads(a: ProfileReport, b: ProfileReport): { wa?: Workload; wb?: Workload; by?: 'name' | 'kind' }[] {
  const pairs: { wa?: Workload; wb?: Workload; by?: 'name' | 'kind' }[] = [];
  const restA = [...a.workloads];
  const restB: Workload[] = [];
  for (const wb of b.workloads) {
    const i = restA.findIndex((wa) => wa.name === wb.name);
    if (i >= 0) pairs.push({ wa: restA.splice(i, 1)[0], wb, by: 'name' });
    else restB.push(wb);
  }
  for (const wb of [...restB]) {
    const kind = layerKind(wb);
    const sameA = restA.filter((wa) => layerKind(wa) === kind);
    const sameB = restB.filter((w) => layerKind(w) === kind);
    if (sameA.length === 1 && sameB.length === 1) {
      restA.splice(restA.indexOf(sameA[0]), 1);
      restB.splice(restB.indexOf(wb), 1);
      pairs.push({ wa: sameA[0], wb, by: 'kind' });
    }
  }
  for (const wa of restA) pairs.push({ wa });
  for (const wb of restB) pairs.push({ wb });
  return pairs;
}

export function compareReports(a: ProfileReport, b: ProfileReport): CompareRow[] {
  const rows: CompareRow[] = [];
  for (const { wa, wb, by } of pairWorkloads(a, b)) {
    const workload = (wb ?? wa)?.name ?? '';
    const kernels = [...new Set([...(wa?.results ?? []), ...(wb?.results ?? [])].map((r) => r.kernel))];
    for (const kernel of kernels) {
      const ra = wa?.results.find((r) => r.kernel === kernel);
      const rb = wb?.results.find((r) => r.kernel === kernel);
      const ms = (r: KernelResult) => (r.status === 'ok' && r.timings ? r.timings.medianMs : Number.NaN);
      // A kernel neither run could use (flash-mma without tensor cores, a torch backend this Python lacks) compares nothing.
      if (ra?.status === 'skipped' && rb?.status === 'skipped') continue;
      const match = by ? { matchedBy: by, ...(by === 'kind' && wa ? { workloadA: wa.name } : {}) } : {};
      if (!ra) {
        rows.push({ workload, kernel, ...match, aMs: Number.NaN, bMs: rb ? ms(rb) : Number.NaN, ratio: Number.NaN, verdict: 'only-b' });
        continue;
      }
      if (!rb) {
        rows.push({ workload: wa?.name ?? workload, kernel, ...match, aMs: ms(ra), bMs: Number.NaN, ratio: Number.NaN, verdict: 'only-a' });
        continue;
      }
      const aMs = ms(ra);
      const bMs = ms(rb);
      const ratio = bMs / aMs;
      const interval = Number.isFinite(ratio) ? bootstrapRatio(samplesOf(ra), samplesOf(rb)) : undefined;
      rows.push({ workload, kernel, ...match, aMs, bMs, ratio, ...(interval ? { interval } : {}), verdict: verdictOf(ratio, interval) });
    }
  }
  return rows;
}

/** What was matched, for the comparison's note: "Matched by workload name." or the pairs made by layer kind. */
export function matchSummary(rows: readonly CompareRow[]): string {
  const byKind = [...new Set(rows.filter((r) => r.matchedBy === 'kind' && r.workloadA).map((r) => `A "${r.workloadA}" ↔ B "${r.workload}"`))];
  const unmatched = rows.filter((r) => r.verdict === 'only-a' || r.verdict === 'only-b').length;
  const parts = [byKind.length ? `Matched by kernel and layer kind (the workloads differ): ${byKind.join('; ')}.` : 'Matched by workload name and kernel.'];
  if (unmatched) parts.push(`${unmatched} row${unmatched === 1 ? '' : 's'} found no partner.`);
  return parts.join(' ');
}

/**
 * For each box of `b` (by id), (B − A) / A of its duration against A's box with the same key; NaN when A has no
 * such box (a new kernel, another layer count). Positive = slower.
 */
export function flameDiff(a: FlameModel, b: FlameModel): Float64Array {
  const byKey = new Map(a.boxes.map((box) => [box.key, box.durationMs] as const));
  const change = new Float64Array(b.boxes.length);
  for (const box of b.boxes) {
    const before = byKey.get(box.key);
    change[box.id] = before === undefined || before <= 0 ? Number.NaN : (box.durationMs - before) / before;
  }
  return change;
}

/** Buckets of relative change for colouring (few buckets keep the canvas batching to a handful of fills). */
export const DIFF_BUCKETS = [-0.5, -0.2, -SAME_WITHIN, SAME_WITHIN, 0.2, 0.5] as const;

/** 0 … DIFF_BUCKETS.length: 0 = ≥50 % faster, 3 = same, 6 = ≥50 % slower; -1 = unmatched. */
export function diffBucket(change: number): number {
  if (!Number.isFinite(change)) return -1;
  let i = 0;
  while (i < DIFF_BUCKETS.length && change >= DIFF_BUCKETS[i]) i++;
  return i;
}
