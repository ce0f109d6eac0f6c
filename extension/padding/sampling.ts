/**
 * Which batches to time. Timing every batch of a dataset would take as long as training on it; instead the
 * same number k of batches per strategy: the first, the last and an even spread between, so bucketed's short
 * and long buckets are both represented. The total is extrapolated as mean(sampled) × batches.
 */
export function sampleBatchIndices(batches: number, k: number): number[] {
  if (batches <= 0) return [];
  if (k >= batches) return Array.from({ length: batches }, (_, i) => i);
  if (k <= 1) return [0];
  // batches − 1 > k − 1, so the rounded points are at least one apart: no duplicates.
  return Array.from({ length: k }, (_, i) => Math.round((i * (batches - 1)) / (k - 1)));
}

export function describeSampling(samples: number, batchesPerStrategy: Record<string, number>): string {
  const parts = Object.entries(batchesPerStrategy).map(([name, b]) => `${name} ${Math.min(samples, b)} of ${b}`);
  return (
    `timed ${parts.join(', ')} batches (first, last and evenly spread between); ` +
    'each strategy\'s total = mean time of its timed batches × its batch count.'
  );
}
