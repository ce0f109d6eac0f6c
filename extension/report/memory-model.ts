/**
 * The memory timeline's model: live GPU bytes over time stacked by buffer role, the kernel phases, the measured
 * peak and each kernel's analytic expectation. Times are the allocator's host clock (ms); each workload has its
 * own allocator starting at 0, so workloads are laid end to end (as in the Chrome trace).
 * Pure: the webview draws it with d3, the tests check it.
 */
import type { BufferRole, MemoryEvent } from './measurements';
import type { ProfileReport } from './schema';

/** Stacking order, bottom up: the profiler's own buffers last, on top of the kernel's working set. */
export const BUFFER_ROLES: readonly BufferRole[] = ['input', 'output', 'scores', 'scratch', 'saved', 'gradient', 'staging', 'params', 'profiler'];

/** Gap between two workloads' allocator clocks on the shared axis (ms). */
const WORKLOAD_GAP_MS = 1;

/** Live bytes per role from `timeMs` until the next step. */
export interface MemoryStep {
  timeMs: number;
  byRole: Record<BufferRole, number>;
  totalBytes: number;
}

export interface MemoryPhase {
  /** The allocator phase: 'setup', a kernel name, 'teardown'. */
  name: string;
  workload: string;
  startMs: number;
  endMs: number;
  /** Largest live working set inside the phase (the profiler's own buffers left out). */
  peakBytes: number;
  /** Largest live total of the profiler's own buffers inside the phase. */
  overheadBytes: number;
  /** The kernel's analytic expectation, for kernel phases. */
  analyticPeakBytes?: number;
}

export interface PlacedEvent extends MemoryEvent {
  workload: string;
  /** Time on the shared axis (workload offset applied). */
  atMs: number;
}

export interface MemoryModel {
  steps: MemoryStep[];
  phases: MemoryPhase[];
  events: PlacedEvent[];
  /** The peak of the working set (every role but `profiler`): what a kernel needs, comparable across tools. */
  peak: { timeMs: number; bytes: number; workload: string } | undefined;
  /** Largest live total of the profiler's own buffers (rotating input copies, timestamps, read-backs). */
  overheadPeakBytes: number;
  endMs: number;
  /** Largest of the measured peak and every analytic expectation: the y-domain. */
  maxBytes: number;
  /** Roles that ever hold bytes, in stacking order. */
  roles: BufferRole[];
  warnings: string[];
}

const zeroRoles = (): Record<BufferRole, number> => ({ input: 0, output: 0, scores: 0, scratch: 0, staging: 0, params: 0, profiler: 0, saved: 0, gradient: 0 });

export function buildMemoryModel(report: ProfileReport): MemoryModel {
  const steps: MemoryStep[] = [];
  const phases: MemoryPhase[] = [];
  const events: PlacedEvent[] = [];
  const warnings: string[] = [];
  const byRole = zeroRoles();
  const used = new Set<BufferRole>();
  let offset = 0;
  let peak: MemoryModel['peak'];
  let maxBytes = 0;
  let overheadPeakBytes = 0;
  for (const w of report.workloads) {
    const analytic = new Map(w.results.map((r) => [r.kernel, r.analyticPeakBytes] as const));
    let lastMs = 0;
    let phase: MemoryPhase | undefined;
    let prevMs = -Infinity;
    for (const e of w.memory) {
      if (!Number.isFinite(e.timeMs) || e.timeMs < prevMs) {
        warnings.push(`${w.name}: event ${e.id} (${e.label}) is out of time order; dropped`);
        continue;
      }
      prevMs = e.timeMs;
      const atMs = offset + e.timeMs;
      lastMs = e.timeMs;
      byRole[e.role] += e.kind === 'alloc' ? e.bytes : -e.bytes;
      if (byRole[e.role] < 0) {
        warnings.push(`${w.name}: ${e.role} bytes went negative at ${e.label}`);
        byRole[e.role] = 0;
      }
      used.add(e.role);
      const totalBytes = BUFFER_ROLES.reduce((s, r) => s + byRole[r], 0);
      if (totalBytes !== e.liveBytes) warnings.push(`${w.name}: live bytes ${e.liveBytes} ≠ sum of roles ${totalBytes} after ${e.label}`);
      events.push({ ...e, workload: w.name, atMs });
      // Several events at one instant: keep only the state after the last of them.
      if (steps.length && steps[steps.length - 1].timeMs === atMs) steps.pop();
      steps.push({ timeMs: atMs, byRole: { ...byRole }, totalBytes });
      const working = totalBytes - byRole.profiler;
      overheadPeakBytes = Math.max(overheadPeakBytes, byRole.profiler);
      if (!peak || working > peak.bytes) peak = { timeMs: atMs, bytes: working, workload: w.name };
      if (!phase || phase.name !== e.phase) {
        if (phase) phase.endMs = atMs;
        const a = analytic.get(e.phase);
        phase = { name: e.phase, workload: w.name, startMs: atMs, endMs: atMs, peakBytes: 0, overheadBytes: 0, ...(a ? { analyticPeakBytes: a } : {}) };
        phases.push(phase);
        if (a) maxBytes = Math.max(maxBytes, a);
      }
      phase.peakBytes = Math.max(phase.peakBytes, working);
      phase.overheadBytes = Math.max(phase.overheadBytes, byRole.profiler);
      phase.endMs = atMs;
      maxBytes = Math.max(maxBytes, totalBytes);
    }
    offset += lastMs + WORKLOAD_GAP_MS;
  }
  const endMs = steps.length ? steps[steps.length - 1].timeMs : 0;
  return { steps, phases, events, peak, overheadPeakBytes, endMs, maxBytes, roles: BUFFER_ROLES.filter((r) => used.has(r)), warnings };
}

export interface LiveBuffer {
  label: string;
  role: BufferRole;
  bytes: number;
  phase: string;
  workload: string;
}

/** Buffers live at `timeMs` on the shared axis (replays the events: a report holds hundreds, not millions). */
export function liveBuffersAt(model: MemoryModel, timeMs: number): LiveBuffer[] {
  const live = new Map<string, LiveBuffer>();
  for (const e of model.events) {
    if (e.atMs > timeMs) break;
    const id = `${e.workload}#${e.id}`;
    if (e.kind === 'alloc') live.set(id, { label: e.label, role: e.role, bytes: e.bytes, phase: e.phase, workload: e.workload });
    else live.delete(id);
  }
  return [...live.values()].sort((a, b) => b.bytes - a.bytes);
}

/** The phase containing `timeMs`, if any. */
export function phaseAt(model: MemoryModel, timeMs: number): MemoryPhase | undefined {
  return model.phases.find((p) => p.startMs <= timeMs && timeMs <= p.endMs);
}
