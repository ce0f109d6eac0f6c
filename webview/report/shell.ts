/**
 * What every view of the report webview gets from the entry (main.ts): the status line, export and copy
 * requests to the host, persisted UI state, the theme and clean-up hooks. Views import this type, never main.ts.
 */
import type { ChartName, ReportExportFormat } from '../../extension/protocol/reportView';
import type { ThemeColors } from '../shared/theme';
import type { statusLine } from './dom';
import type { UiState } from './state';

export interface Shell {
  status: ReturnType<typeof statusLine>;
  exportChart(chart: ChartName, format: 'svg' | 'png', data: string | Promise<string>): void;
  exportReport(format: ReportExportFormat, side?: 'a' | 'b'): void;
  copyMarkdown(side?: 'a' | 'b'): void;
  save(patch: Partial<UiState>): void;
  ui: () => UiState;
  theme: () => ThemeColors;
  onTheme(cb: (t: ThemeColors) => void): void;
  onCleanup(cb: () => void): void;
}

