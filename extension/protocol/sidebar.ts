/**
 * The channel between the "Reports" side panel (webview/sidebar) and the host. One union per direction;
 * the webview imports this file with `import type` only, and each side validates what it receives.
 */

/** One finished run as the panel lists it (all strings are user text: the webview renders them with textContent). */
export interface RunRow {
  id: string;
  title: string;
  adapter: string;
  isFallback: boolean;
  /** ISO date. */
  createdAt: string;
  /** "B=1 N=128 f32"; empty for a padding analysis. */
  shape: string;
  /** "flash 86 ms (28 layers)", or why there is none. */
  best: string;
  /** Kernels that failed or disagreed with the reference. */
  broken: string[];
}

export interface RunningRow {
  title: string;
  message: string;
  fraction: number;
}

export type ToSidebar =
  /** Everything the panel shows; sent after `ready` and on every change (small: rows, not reports). */
  { type: 'state'; runs: RunRow[]; running: RunningRow | null; loaded: boolean };

export type FromSidebar =
  /** The panel's script is listening: send the state. */
  | { type: 'ready' }
  /** Open a run's report. */
  | { type: 'open'; id: string }
  /** Delete a run (the host asks for confirmation). */
  | { type: 'delete'; id: string }
  /** Compare two runs side by side. */
  | { type: 'compare'; ids: [string, string] }
  /** Save a run's report JSON into the workspace. */
  | { type: 'export'; id: string }
  /** Start "Profile Open Model Config" / "Profile Shape…". */
  | { type: 'profile'; what: 'config' | 'shape' }
  /** Cancel the running profile. */
  | { type: 'cancel' };

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 128;

export function isFromSidebar(value: unknown): value is FromSidebar {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'cancel':
      return true;
    case 'open':
    case 'delete':
    case 'export':
      return isId(m.id);
    case 'compare':
      return Array.isArray(m.ids) && m.ids.length === 2 && m.ids.every(isId) && m.ids[0] !== m.ids[1];
    case 'profile':
      return m.what === 'config' || m.what === 'shape';
    default:
      return false;
  }
}
