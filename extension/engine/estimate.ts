/**
 * Before a profile runs: how long each kernel will take, from the cost model (FLOPs, bytes) and the adapter's
 * measured ceilings, and — when the sequence length came from the config rather than from the user — a shorter one
 * where the full length would not finish in reasonable time (a software adapter, or an estimate over the time
 * limit). Pure: the engine applies the plan, the tests check it.
 */
import type { Ceilings } from '../../kernels/ceilings';
import { perPassIterations } from '../../kernels/stats';
import { attentionFlops, minimumBytes, scoreMatrixBytes, type AttentionProblem } from '../../kernels/problem';

/** What the plan needs of a workload (the engine's WorkloadRequest has more; kept apart so profile.ts can import this). */
export interface PlannedWorkload {
  name: string;
  problem: AttentionProblem;
}

/** The sequence length a software adapter profiles at when the config alone set it (a user's setting always wins). */
export const SOFTWARE_SEQ_LEN = 256;
/** Shortest length a reduction goes down to. */
const MIN_SEQ_LEN = 16;
/** Compiling and allocating a kernel, before its first iteration (ms): a guess on the safe side for software adapters. */
const SETUP_MS = { software: 1500, hardware: 300 };

/** Attainable FLOP/s and bytes/s on this adapter, from its ceilings (a matmul's rate when measured: attention is one). */
function rates(c: Ceilings): { flopsPerMs: number; bytesPerMs: number } {
  const tflops = c.matmulTflops ?? c.computeTflops * 0.25;
  return { flopsPerMs: tflops * 1e9, bytesPerMs: c.bandwidthGBps * 1e6 };
}

/**
 * One iteration of `kernel` on `p` (ms): compute at the attainable rate, plus traffic at the bandwidth. Naive writes
 * and reads S and P (4 passes over B·Hq·Nq·Nk floats); the others stream Q, K, V once and write O.
 */
export function estimateIterationMs(p: AttentionProblem, kernel: string, c: Ceilings, mode: 'fwd' | 'train' = 'fwd'): number {
  // A training step: the forward, then a backward of 2.5× its FLOPs (flash-attn's convention) and about twice its
  // traffic (dO read; dQ, dK, dV written; naive also writes dP/dS).
  if (mode === 'train') return 3.5 * estimateIterationMs(p, kernel, c);
  const { flopsPerMs, bytesPerMs } = rates(c);
  // Neither kernel reaches a tuned matmul's rate: naive's three untiled passes about a tenth of it, the fused kernel
  // about a third (seen on lavapipe, N = 128–256). A rough factor: the run's own pace corrects the time left.
  const compute = (attentionFlops(p) / flopsPerMs) * (kernel === 'naive' ? 10 : 3);
  const traffic = (minimumBytes(p) + (kernel === 'naive' ? 4 * scoreMatrixBytes(p) : 0)) / bytesPerMs;
  return compute + traffic;
}

export interface KernelEstimate {
  workload: string;
  kernel: string;
  /** One iteration (ms). */
  iterationMs: number;
  /** Warm-up and timed iterations, plus setup, capped by the time limit (ms); setup alone when one iteration passes the limit (not run). */
  totalMs: number;
}

export interface RunShape {
  iterations: number;
  warmup: number;
  /** The time limit per kernel (s) for warm-up and timing: they stop there (one iteration at least; none when one is estimated over it). */
  maxSeconds: number;
  software: boolean;
  /** Forward only, or a training step (forward + backward); forward when absent. */
  mode?: 'fwd' | 'train';
}

export function estimateRun(workloads: readonly PlannedWorkload[], kernels: readonly string[], c: Ceilings, r: RunShape): KernelEstimate[] {
  const out: KernelEstimate[] = [];
  for (const w of workloads) {
    for (const kernel of kernels) {
      const iterationMs = estimateIterationMs(w.problem, kernel, c, r.mode);
      const limitMs = r.maxSeconds * 1000;
      // naive and every training step run several passes: their breakdown takes per-pass iterations besides the timed ones.
      const perPass = perPassIterations(r.iterations, kernel === 'naive' || r.mode === 'train' ? 2 : 1);
      const run = iterationMs > limitMs ? 0 : Math.min((r.warmup + r.iterations + perPass) * iterationMs, Math.max(iterationMs, limitMs));
      out.push({ workload: w.name, kernel, iterationMs, totalMs: (r.software ? SETUP_MS.software : SETUP_MS.hardware) + run });
    }
  }
  return out;
}

export interface FirstRunPlan<W extends PlannedWorkload> {
  workloads: W[];
  /** Sentences for the notification and the report ("software adapter: profiled at N = 256; …"). */
  notes: string[];
  estimates: KernelEstimate[];
}

/** A problem at another sequence length: prefill shortens both sides; decode (Nq < Nk) keeps its queries. */
function atLength(p: AttentionProblem, n: number): AttentionProblem {
  const decode = p.seqLenQ < p.seqLenK;
  return { ...p, seqLenK: n, seqLenQ: decode ? Math.min(p.seqLenQ, n) : n, ...(p.kvLens ? { kvLens: p.kvLens.map((l) => Math.min(l, n)) } : {}) };
}

const fmtS = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`);

/**
 * What to run. With `autoSeqLen` (the length came from the config), a software adapter runs at most
 * SOFTWARE_SEQ_LEN tokens, and any adapter halves the length while a kernel's estimate exceeds the time limit; the
 * notes say so and how to change it. A length the user set is run as set, with a note when it will hit the limit.
 */
export function planFirstRun<W extends PlannedWorkload>(workloads: readonly W[], kernels: readonly string[], c: Ceilings, r: RunShape & { autoSeqLen: boolean }): FirstRunPlan<W> {
  const longest = Math.max(...workloads.map((w) => w.problem.seqLenK));
  const over = (ws: readonly PlannedWorkload[]) => estimateRun(ws, kernels, c, { ...r, maxSeconds: Infinity }).some((e) => e.totalMs > r.maxSeconds * 1000);
  if (!r.autoSeqLen) {
    const estimates = estimateRun(workloads, kernels, c, r);
    const limitMs = r.maxSeconds * 1000;
    const unbounded = estimateRun(workloads, kernels, c, { ...r, maxSeconds: Infinity });
    const notRun = unbounded.filter((e) => e.iterationMs > limitMs);
    const capped = unbounded.filter((e) => e.iterationMs <= limitMs && e.totalMs > limitMs).sort((a, b) => b.totalMs - a.totalMs);
    const notes = [
      ...(capped.length
        ? [`estimated ${fmtS(capped[0].totalMs)} for ${capped[0].kernel}, over attnprof.maxSeconds (${r.maxSeconds} s): warm-up and timing stop at the limit (one iteration at least); a shorter attnprof.seqLen runs faster.`]
        : []),
      ...(notRun.length
        ? [`${[...new Set(notRun.map((e) => e.kernel))].join(', ')}: one iteration is estimated over attnprof.maxSeconds (${r.maxSeconds} s), so not run (a GPU iteration cannot be stopped once started); a shorter attnprof.seqLen or a higher limit runs it.`]
        : []),
    ];
    return { workloads: [...workloads], notes, estimates };
  }
  let n = r.software ? Math.min(longest, SOFTWARE_SEQ_LEN) : longest;
  const shorten = (len: number): W[] => workloads.map((w) => (w.problem.seqLenK > len ? { ...w, problem: atLength(w.problem, len) } : w));
  while (n > MIN_SEQ_LEN && over(shorten(n))) n = Math.max(MIN_SEQ_LEN, Math.floor(n / 2 / 16) * 16);
  const planned = shorten(n);
  const notes: string[] = [];
  if (n < longest) {
    const why = r.software && n === Math.min(longest, SOFTWARE_SEQ_LEN) ? 'software adapter' : `the estimate at N = ${longest} exceeds attnprof.maxSeconds (${r.maxSeconds} s)`;
    notes.push(`${why}: profiled at N = ${n} (the config gives ${longest}); set attnprof.seqLen to change.`);
  }
  return { workloads: planned, notes, estimates: estimateRun(planned, kernels, c, r) };
}

/**
 * "about 40 s left" from the estimates, scaled by how the run has kept to them so far — once a tenth of the estimate is
 * done: before that the pace would come from compiling and the first warm-up iterations alone (a 20 000-iteration
 * decode profile read "about 1847 min left" after its first iteration).
 */
export function timeLeftText(estimatedTotalMs: number, estimatedDoneMs: number, elapsedMs: number): string {
  if (!(estimatedTotalMs > 0) || !(estimatedDoneMs >= 0.1 * estimatedTotalMs) || !(elapsedMs > 0)) return `about ${fmtS(Math.max(0, estimatedTotalMs - estimatedDoneMs))} left (estimate)`;
  const pace = elapsedMs / estimatedDoneMs;
  return `about ${fmtS(Math.max(0, (estimatedTotalMs - estimatedDoneMs) * pace))} left`;
}
