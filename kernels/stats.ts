/** Order statistics of timing samples (ms). */
export interface TimingStats {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  minMs: number;
  meanMs: number;
  samples: number[];
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(samples: readonly number[]): TimingStats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5),
    p10Ms: quantile(sorted, 0.1),
    p90Ms: quantile(sorted, 0.9),
    minMs: sorted.length ? sorted[0] : Number.NaN,
    meanMs: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : Number.NaN,
    samples: [...samples],
  };
}
