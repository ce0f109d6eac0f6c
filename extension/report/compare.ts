/**
 * A/B comparison of two reports: per-kernel ratios of median time (matched by workload name + kernel) and the
 * relative change of every flame box of B against the box with the same key in A (differential flame chart).
 * Pure.
 */
import type { FlameModel } from './flame-model';
import type { ProfileReport } from './schema';

/** Changes smaller than this are noise on any GPU we know: shown as "same". */
export const SAME_WITHIN = 0.03;

export type Verdict = 'faster' | 'slower' | 'same' | 'only-a' | 'only-b' | 'failed';

export interface CompareRow {
  workload: string;
  kernel: string;
  aMs: number;
  bMs: number;
  /** B median / A median: < 1 means B is faster. */
  ratio: number;
  verdict: Verdict;
}

const medianOf = (report: ProfileReport, workload: string, kernel: string): number | undefined => {
  const r = report.workloads.find((w) => w.name === workload)?.results.find((k) => k.kernel === kernel);
  if (!r) return undefined;
  return r.status === 'ok' && r.timings ? r.timings.medianMs : Number.NaN;
};

export function verdictOf(ratio: number): Verdict {
  if (!Number.isFinite(ratio)) return 'failed';
  if (ratio < 1 - SAME_WITHIN) return 'faster';
  if (ratio > 1 + SAME_WITHIN) return 'slower';
  return 'same';
}

export function compareReports(a: ProfileReport, b: ProfileReport): CompareRow[] {
  const keys: [string, string][] = [];
  const seen = new Set<string>();
  for (const report of [a, b]) {
    for (const w of report.workloads) {
      for (const r of w.results) {
        const k = `${w.name}\u0000${r.kernel}`;
        if (!seen.has(k)) {
          seen.add(k);
          keys.push([w.name, r.kernel]);
        }
      }
    }
  }
  return keys.map(([workload, kernel]) => {
    const aMs = medianOf(a, workload, kernel);
    const bMs = medianOf(b, workload, kernel);
    if (aMs === undefined) return { workload, kernel, aMs: Number.NaN, bMs: bMs ?? Number.NaN, ratio: Number.NaN, verdict: 'only-b' };
    if (bMs === undefined) return { workload, kernel, aMs, bMs: Number.NaN, ratio: Number.NaN, verdict: 'only-a' };
    const ratio = bMs / aMs;
    return { workload, kernel, aMs, bMs, ratio, verdict: verdictOf(ratio) };
  });
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
