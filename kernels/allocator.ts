/**
 * Every GPU buffer of a profile goes through here, so the report has a true memory timeline:
 * label, role, bytes, and when it was allocated and freed (host clock, ms since the allocator started).
 */
/**
 * `profiler`: buffers the profiler adds around the kernel (rotating input copies, timestamp resolve/read-back, the
 * output read-back of the check). They are outside the kernel's working set: the peak a user compares with
 * `torch.cuda.max_memory_allocated` leaves them out, and the memory chart shows them apart.
 * `staging` is what older reports called the timestamp and read-back buffers.
 * `saved`: what a training forward keeps for its backward (naive: P; flash: the per-row log-sum-exp);
 * `gradient`: dO coming in and dQ, dK, dV going out.
 */
export type BufferRole = 'input' | 'output' | 'scores' | 'scratch' | 'staging' | 'params' | 'profiler' | 'saved' | 'gradient';

export interface MemoryEvent {
  kind: 'alloc' | 'free';
  id: number;
  label: string;
  role: BufferRole;
  bytes: number;
  /** ms since the allocator was created (host clock: performance.now()). */
  timeMs: number;
  /** Live GPU bytes after this event. */
  liveBytes: number;
  /** Kernel phase the event belongs to, e.g. 'flash' or 'setup'. */
  phase: string;
}

export class TrackedAllocator {
  readonly events: MemoryEvent[] = [];
  private nextId = 1;
  private live = new Map<GPUBuffer, { id: number; label: string; role: BufferRole; bytes: number; phase: string }>();
  private liveBytes = 0;
  private peak = 0;
  private liveOverhead = 0;
  private workingPeak = 0;
  private overheadPeak = 0;
  private phaseName = 'setup';
  private readonly t0: number;

  constructor(
    private readonly device: GPUDevice,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.t0 = clock();
  }

  set phase(name: string) {
    this.phaseName = name;
  }

  get phase(): string {
    return this.phaseName;
  }

  get liveByteCount(): number {
    return this.liveBytes;
  }

  get peakBytes(): number {
    return this.peak;
  }

  /** Peak live bytes without the profiler's own buffers: the kernel's working set. */
  get workingPeakBytes(): number {
    return this.workingPeak;
  }

  /** Peak live bytes of the profiler's own buffers (role `profiler`). */
  get overheadPeakBytes(): number {
    return this.overheadPeak;
  }

  /** Restarts peak tracking (e.g. at the start of each kernel) without forgetting live buffers. */
  resetPeak(): void {
    this.peak = this.liveBytes;
    this.workingPeak = this.liveBytes - this.liveOverhead;
    this.overheadPeak = this.liveOverhead;
  }

  create(label: string, role: BufferRole, bytes: number, usage: GPUBufferUsageFlags, mappedAtCreation = false): GPUBuffer {
    // WebGPU sizes of mapped buffers must be multiples of 4; keep every buffer 16-byte padded for vec4 access.
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const buffer = this.device.createBuffer({ label, size, usage, mappedAtCreation });
    const id = this.nextId++;
    this.live.set(buffer, { id, label, role, bytes: size, phase: this.phaseName });
    this.liveBytes += size;
    if (role === 'profiler') this.liveOverhead += size;
    this.peak = Math.max(this.peak, this.liveBytes);
    this.workingPeak = Math.max(this.workingPeak, this.liveBytes - this.liveOverhead);
    this.overheadPeak = Math.max(this.overheadPeak, this.liveOverhead);
    this.record('alloc', id, label, role, size);
    return buffer;
  }

  free(buffer: GPUBuffer): void {
    const entry = this.live.get(buffer);
    if (!entry) return;
    this.live.delete(buffer);
    buffer.destroy();
    this.liveBytes -= entry.bytes;
    if (entry.role === 'profiler') this.liveOverhead -= entry.bytes;
    this.record('free', entry.id, entry.label, entry.role, entry.bytes);
  }

  /** Frees what was allocated during one phase (a kernel's own buffers once it has run). */
  freePhase(phase: string): void {
    for (const [buffer, entry] of [...this.live]) if (entry.phase === phase) this.free(buffer);
  }

  freeAll(): void {
    for (const buffer of [...this.live.keys()]) this.free(buffer);
  }

  private record(kind: MemoryEvent['kind'], id: number, label: string, role: BufferRole, bytes: number): void {
    this.events.push({
      kind,
      id,
      label,
      role,
      bytes,
      timeMs: this.clock() - this.t0,
      liveBytes: this.liveBytes,
      phase: this.phaseName,
    });
  }
}

/** Peak live bytes of an event list, optionally restricted to one phase. */
export function peakOf(events: readonly MemoryEvent[], phase?: string): number {
  let peak = 0;
  for (const e of events) if (!phase || e.phase === phase) peak = Math.max(peak, e.liveBytes);
  return peak;
}
