/**
 * A PyTorch row's memory timeline: one call's allocations from PyTorch's caching allocator history
 * (`torch.cuda.memory._record_memory_history`, recorded by the script's memory_trace) as the report's memory events,
 * the same shape our tracked allocator gives (kernels/allocator.ts). The script names the tensors it knows (Q, K, V,
 * dO, a materialised mask, O, dQ, dK, dV); the rest are roled here: what the forward allocates and the backward frees
 * is saved for the backward, a block the size of the score matrix is S/P, anything else is the backend's workspace.
 * Pure.
 */
import type { BufferRole, MemoryEvent } from '../../kernels/allocator';
import { formatBytes } from '../../kernels/units';
import type { TorchMemoryTrace } from '../protocol/python';

export interface TorchMemoryShape {
  /** Elements of one score matrix over the batch and query heads: B·Hq·Nq·Nk. */
  scoreElements: number;
  /** Bytes of one element of the row's dtype (2 or 4); the softmax may also run in float32. */
  elementBytes: number;
}

const ROUND = 512; // the caching allocator's block granularity

function isScoreSized(bytes: number, s: TorchMemoryShape): boolean {
  return [s.elementBytes, 4].some((b) => {
    const exact = s.scoreElements * b;
    return bytes === exact || bytes === Math.ceil(exact / ROUND) * ROUND;
  });
}

/** Checks the trace's structure (it crossed a process boundary); a sentence for the first fault, or undefined. */
export function traceFault(t: TorchMemoryTrace): string | undefined {
  if (!Array.isArray(t.blocks) || !Array.isArray(t.events) || !Number.isFinite(t.endUs)) return 'it lacks blocks, events or an end time';
  for (const [i, b] of t.blocks.entries()) if (!Number.isFinite(b.bytes) || b.bytes < 0) return `block ${i} has no size`;
  let prev = 0;
  const state = new Map<number, 'live' | 'freed'>();
  for (const b of t.blocks.keys()) if (t.blocks[b].before) state.set(b, 'live');
  for (const e of t.events) {
    if (!Number.isInteger(e.block) || e.block < 0 || e.block >= t.blocks.length) return `an event names block ${e.block}, which does not exist`;
    if (!Number.isFinite(e.us) || e.us < prev) return `events are out of time order at ${e.us} µs`;
    prev = e.us;
    const s = state.get(e.block);
    if (e.kind === 'alloc' ? s !== undefined : s !== 'live') return `block ${e.block} is ${e.kind === 'alloc' ? 'allocated twice' : 'freed while not live'}`;
    state.set(e.block, e.kind === 'alloc' ? 'live' : 'freed');
  }
  return undefined;
}

/**
 * The trace as memory events in phase `phase`: time 0 is the call's start (the inputs, already resident, appear
 * there), everything still live at its end is freed at `endUs` (attnprof drops it). Ids from 1, live bytes from 0:
 * shiftEvents places them in a workload's timeline. Throws on a malformed trace (traceFault says why).
 */
export function torchMemoryEvents(t: TorchMemoryTrace, phase: string, shape: TorchMemoryShape): MemoryEvent[] {
  const fault = traceFault(t);
  if (fault) throw new Error(`the memory trace is malformed: ${fault}.`);
  const forwardEnd = t.forwardEndUs;
  const freedAt = new Map<number, number>();
  const allocAt = new Map<number, number>();
  for (const e of t.events) (e.kind === 'alloc' ? allocAt : freedAt).set(e.block, e.us);
  const described = t.blocks.map((b, i): { role: BufferRole; label: string } => {
    if (b.name && b.role) return { role: b.role, label: b.name };
    const scores = isScoreSized(b.bytes, shape);
    const from = allocAt.get(i) ?? 0;
    const until = freedAt.get(i) ?? Number.POSITIVE_INFINITY;
    if (forwardEnd !== undefined && from < forwardEnd && until > forwardEnd) {
      return { role: 'saved', label: `saved for backward${scores ? ' (P, B·Hq·Nq·Nk)' : ''}` };
    }
    if (scores) return { role: 'scores', label: 'S/P (B·Hq·Nq·Nk)' };
    return { role: 'scratch', label: b.after ? 'workspace (live after the call)' : 'workspace' };
  });
  const events: MemoryEvent[] = [];
  let live = 0;
  const push = (kind: MemoryEvent['kind'], block: number, us: number) => {
    const b = t.blocks[block];
    live += kind === 'alloc' ? b.bytes : -b.bytes;
    events.push({ kind, id: block + 1, label: described[block].label, role: described[block].role, bytes: b.bytes, timeMs: us / 1000, liveBytes: live, phase });
  };
  t.blocks.forEach((b, i) => b.before && push('alloc', i, 0));
  for (const e of t.events) push(e.kind, e.block, e.us);
  const end = Math.max(t.endUs, t.events.at(-1)?.us ?? 0);
  const stillLive = t.blocks.map((_, i) => i).filter((i) => (t.blocks[i].before || allocAt.has(i)) && !freedAt.has(i));
  // Results first, then the inputs: the order attnprof drops them in.
  for (const i of [...stillLive.filter((i) => !t.blocks[i].before), ...stillLive.filter((i) => t.blocks[i].before)]) push('free', i, end);
  return events;
}

/** Events moved to start at `startMs`, ids after `idBase`, on top of `liveBase` bytes already live. */
export function shiftEvents(events: readonly MemoryEvent[], startMs: number, idBase: number, liveBase: number): MemoryEvent[] {
  return events.map((e) => ({ ...e, id: e.id + idBase, timeMs: e.timeMs + startMs, liveBytes: e.liveBytes + liveBase }));
}

/** The largest live total and what held it, by role: "peak 1.2 GiB (input 96 MiB, scores 1 GiB, …)". */
export function memoryPeakText(events: readonly MemoryEvent[]): string {
  const byRole = new Map<BufferRole, number>();
  let peak = -1;
  let atPeak = new Map<BufferRole, number>();
  for (const e of events) {
    byRole.set(e.role, (byRole.get(e.role) ?? 0) + (e.kind === 'alloc' ? e.bytes : -e.bytes));
    const total = [...byRole.values()].reduce((a, x) => a + x, 0);
    if (total > peak) {
      peak = total;
      atPeak = new Map(byRole);
    }
  }
  const parts = [...atPeak].filter(([, b]) => b > 0).map(([role, b]) => `${role} ${formatBytes(b)}`);
  return `peak ${formatBytes(Math.max(0, peak))}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
