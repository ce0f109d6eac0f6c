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

/** One warm-up submission: when it finished (host clock, ms) and its GPU time per iteration (ms). */
export interface WarmupPace {
  atMs: number;
  perIterationMs: number;
}

/** How far back `stillSettling` looks, and by how much the iterations must have got faster over it. */
export const SETTLE_WINDOW_MS = 250;
export const SETTLE_RATIO = 0.98;

/**
 * Whether a kernel's iterations are still getting faster: the last warm-up submission's time per iteration more than
 * 2 % below that of the last submission at least SETTLE_WINDOW_MS before it (false without such a submission). On the
 * H200 a pass over freshly allocated buffers starts slow and settles over about a second of use — the Qwen2-7B decode
 * step at 152, then 94, 73, 63 and 61 µs per 1 000 iterations on the same buffers (BENCHMARKS.md, twenty-seventh
 * session) — so the warm-up goes on while this holds, within its bound.
 */
export function stillSettling(pace: readonly WarmupPace[], windowMs = SETTLE_WINDOW_MS, ratio = SETTLE_RATIO): boolean {
  const last = pace.at(-1);
  if (!last) return false;
  for (let i = pace.length - 2; i >= 0; i--) {
    if (last.atMs - pace[i].atMs >= windowMs) return last.perIterationMs < ratio * pace[i].perIterationMs;
  }
  return false;
}

/**
 * Per-pass iterations (kernels/runner.ts): a kernel of several passes is timed with one GPU timestamp per iteration and
 * gets its pass breakdown from about one more iteration, stamped at every pass, for every PASS_TIMING_EVERY timed ones.
 */
export const PASS_TIMING_EVERY = 2;

/** The per-pass iterations that follow `timed` timed iterations of a kernel of `passes` passes. */
export function perPassIterations(timed: number, passes: number): number {
  return passes > 1 ? Math.ceil(timed / PASS_TIMING_EVERY) : 0;
}
