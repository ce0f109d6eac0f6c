/** UI state kept with getState/setState, so a hidden-then-shown (or reloaded) panel comes back as it was. */
import type { PersistedReportView } from '../../extension/protocol/reportView';
import type { SummaryRow } from '../../extension/report/summary';
import type { FlameUiState } from './flameChart';

/** The summary table's sort: a column and its direction. */
export interface SortState {
  key: keyof SummaryRow;
  descending: boolean;
}

export interface UiState {
  tab?: string;
  sort?: SortState;
  sortB?: SortState;
  flame?: FlameUiState;
  diff?: FlameUiState;
}

/** Same limit as the host's MAX_PERSISTED_CHARS (the protocol is imported as types only). */
const MAX_PERSISTED_CHARS = 8 * 1024 * 1024;

const SORT_KEYS: readonly (keyof SummaryRow)[] = ['workload', 'engine', 'kernel', 'dtype', 'status', 'medianMs', 'p10Ms', 'p90Ms', 'tflops', 'gbps', 'peakBytes', 'analyticPeakBytes', 'maxRelError', 'correct', 'speedupVsNaive', 'notes'];

function sortState(v: unknown): SortState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Record<string, unknown>;
  return SORT_KEYS.includes(s.key as keyof SummaryRow) && typeof s.descending === 'boolean' ? { key: s.key as keyof SummaryRow, descending: s.descending } : undefined;
}

function flameState(v: unknown): FlameUiState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Record<string, unknown>;
  if (typeof s.startMs !== 'number' || typeof s.endMs !== 'number' || typeof s.search !== 'string') return undefined;
  return { startMs: s.startMs, endMs: s.endMs, search: s.search.slice(0, 200) };
}

/** What getState returned, checked field by field (an old build may have saved another shape). */
export function readUiState(v: unknown): UiState {
  if (typeof v !== 'object' || v === null) return {};
  const s = v as Record<string, unknown>;
  const out: UiState = {};
  if (typeof s.tab === 'string') out.tab = s.tab;
  const sort = sortState(s.sort);
  if (sort) out.sort = sort;
  const sortB = sortState(s.sortB);
  if (sortB) out.sortB = sortB;
  const flame = flameState(s.flame);
  if (flame) out.flame = flame;
  const diff = flameState(s.diff);
  if (diff) out.diff = diff;
  return out;
}

/** The persisted view: content only when it is small enough to keep in VS Code's state store. */
export function persisted(content: PersistedReportView['content'], ui: UiState): PersistedReportView {
  const keep = content && JSON.stringify(content).length <= MAX_PERSISTED_CHARS;
  return keep ? { content, ui } : { ui };
}
