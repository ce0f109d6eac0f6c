/**
 * The channel between the extension host and the profiling worker (a child process running
 * `dist/cli.js worker`, Node IPC with structured-clone serialization). One union per direction.
 */
import type { ProfileReport } from '../report/schema';
import type { AdapterSummary } from '../../kernels/device';
import type { ProfileRequest } from './profile';

export type ToWorker =
  /** Run a profile; answered by progress messages, then one `result`. */
  | { type: 'profile'; id: number; request: ProfileRequest }
  /** List the adapters Dawn sees; answered by `adapters`. */
  | { type: 'adapters'; id: number };

export type WorkerErrorKind = 'input' | 'gpu' | 'no-adapter' | 'internal';

export type FromWorker =
  /** The worker is listening. */
  | { type: 'ready' }
  /** What runs now; fraction of kernels done in [0, 1]. */
  | { type: 'progress'; id: number; message: string; fraction: number }
  /** A profile finished. */
  | { type: 'result'; id: number; ok: true; report: ProfileReport }
  /** A request failed; `kind` says whose fault and so what the user should do. */
  | { type: 'result'; id: number; ok: false; error: { kind: WorkerErrorKind; message: string } }
  /** Adapters found. */
  | { type: 'adapters'; id: number; adapters: AdapterSummary[] };

export function isFromWorker(value: unknown): value is FromWorker {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { type?: unknown }).type;
  return t === 'ready' || t === 'progress' || t === 'result' || t === 'adapters';
}

export function isToWorker(value: unknown): value is ToWorker {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { type?: unknown; id?: unknown };
  return (m.type === 'profile' || m.type === 'adapters') && typeof m.id === 'number';
}
