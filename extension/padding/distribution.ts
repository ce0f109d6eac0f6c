/** The length distribution for the histogram (with L marked in the Padding tab) and the summary line. */
import { ExactSum } from './exact';
import type { LengthBin, LengthDistribution } from './types';

/** Smallest 1-2-5 step ≥ x (1, 2, 5, 10, 20, …): bin widths a reader can add up. */
export function niceStep(x: number): number {
  if (x <= 1) return 1;
  let base = 1;
  for (;;) {
    for (const m of [1, 2, 5]) if (m * base >= x) return m * base;
    base *= 10;
  }
}

/** `sorted` ascending, positive lengths; at most about `targetBins` equal-width bins from 0. */
export function lengthDistribution(sorted: Int32Array, targetBins = 40): LengthDistribution {
  const n = sorted.length;
  const total = new ExactSum();
  for (const len of sorted) total.add(len);
  const max = sorted[n - 1];
  const width = niceStep(Math.ceil((max + 1) / targetBins));
  const binCount = Math.floor(max / width) + 1;
  const bins: LengthBin[] = Array.from({ length: binCount }, (_, k) => ({ lo: k * width, hi: (k + 1) * width, count: 0 }));
  for (const len of sorted) bins[Math.floor(len / width)].count++;
  // Nearest-rank percentile: the smallest length with at least p·n sequences at or below it.
  const pct = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
  return {
    n,
    totalTokens: total.toNumber(),
    minLength: sorted[0],
    maxLength: max,
    meanLength: Number(total.value()) / n,
    p50Length: pct(0.5),
    p90Length: pct(0.9),
    p99Length: pct(0.99),
    bins,
  };
}
