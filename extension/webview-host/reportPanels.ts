/**
 * Report webview panels: one per report (revealed if already open) and one per A/B comparison.
 * Each panel answers the webview's `ready` with its report(s), handles exports and clipboard requests,
 * and survives a window reload through the `WebviewPanelSerializer` (`ReportPanels.registerSerializer`).
 */
import * as vscode from 'vscode';
import { parseReport, type ProfileReport } from '../report/schema';
import { paddingMarkdown } from '../report/padding-model';
import { reportTabTitle, reportTime, summaryMarkdown } from '../report/summary';
import { exportChart, exportReport } from './exports';
import { reportHtml } from './html';
import { isFromReportView, type FromReportView, type PersistedReportView, type ToReportView } from '../protocol/reportView';

export const REPORT_VIEW_TYPE = 'attnprof.report';

type PanelContent = { kind: 'report'; report: ProfileReport } | { kind: 'compare'; a: ProfileReport; b: ProfileReport };

const keyOf = (c: PanelContent): string => (c.kind === 'report' ? `report:${c.report.id}` : `compare:${c.a.id}:${c.b.id}`);
const titleOf = (c: PanelContent): string =>
  c.kind === 'report' ? reportTabTitle(c.report) : `Attention comparison · A ${reportTime(c.a.createdAt)} ↔ B ${reportTime(c.b.createdAt)}`;

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    // The bundle and its CSS live in dist/, icons in media/: nothing else is readable from the page.
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    // The webview rehydrates from getState + the `ready` handshake instead of keeping a hidden page alive.
    retainContextWhenHidden: false,
    enableFindWidget: true,
  };
}

/** One panel and its report(s). */
class ReportPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private content: PanelContent | undefined,
    private readonly extensionUri: vscode.Uri,
    private readonly log: (message: string) => void,
    onDispose: () => void,
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    this.render();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => {
        if (!isFromReportView(m)) {
          this.log(`report view: ignored a malformed message ${JSON.stringify(m)?.slice(0, 200)}`);
          return;
        }
        void this.handle(m);
      }),
      panel.onDidDispose(() => {
        this.disposed = true;
        onDispose();
        this.dispose();
      }),
    );
  }

  get key(): string | undefined {
    return this.content && keyOf(this.content);
  }

  update(content: PanelContent): void {
    this.content = content;
    this.panel.title = titleOf(content);
    this.post(this.contentMessage());
  }

  private render(): void {
    const webview = this.panel.webview;
    const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', file)).toString();
    if (this.content) this.panel.title = titleOf(this.content);
    webview.html = reportHtml({
      cspSource: webview.cspSource,
      scriptUri: asset('webview-report.js'),
      styleUri: asset('webview-report.css'),
      title: this.panel.title,
    });
  }

  private contentMessage(): ToReportView | undefined {
    const c = this.content;
    if (!c) return undefined;
    return c.kind === 'report' ? { type: 'report', report: c.report } : { type: 'compare', a: c.a, b: c.b };
  }

  private post(message: ToReportView | undefined): void {
    if (message && !this.disposed) void this.panel.webview.postMessage(message);
  }

  private reportFor(side: 'a' | 'b' | undefined): ProfileReport {
    const c = this.content;
    if (!c) throw new Error('this panel has no report (it was too large to restore after a reload).');
    if (c.kind === 'report') return c.report;
    return side === 'a' ? c.a : c.b;
  }

  private async handle(m: FromReportView): Promise<void> {
    if (m.type === 'ready') {
      this.post(this.contentMessage());
      return;
    }
    if (m.type === 'log') {
      this.log(`report view ${m.level}: ${m.message}`);
      return;
    }
    const { requestId } = m;
    try {
      let message: string | undefined;
      if (m.type === 'copyMarkdown') {
        const r = this.reportFor(m.side);
        // A padding analysis has no kernel table: its Markdown is the strategies table.
        await vscode.env.clipboard.writeText(r.padding && r.workloads.length === 0 ? paddingMarkdown(r.padding, r.title) : summaryMarkdown(r));
        message = 'Summary copied as Markdown.';
      } else {
        const uri =
          m.type === 'export'
            ? await exportReport(this.reportFor(m.side), m.format)
            : await exportChart(this.reportFor('b'), m.chart, m.format, m.data);
        if (!uri) {
          this.post({ type: 'result', requestId, ok: false, error: { kind: 'cancelled', message: 'Export cancelled.' } });
          return;
        }
        message = `Saved ${vscode.workspace.asRelativePath(uri)}.`;
        void vscode.window.showInformationMessage(`Attention Profiler: ${message}`);
      }
      this.post({ type: 'result', requestId, ok: true, message });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.log(`report view: ${m.type} failed: ${error}`);
      void vscode.window.showErrorMessage(`Attention Profiler: ${error}`);
      this.post({ type: 'result', requestId, ok: false, error: { kind: 'failed', message: error } });
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    if (!this.disposed) {
      this.disposed = true;
      this.panel.dispose();
    }
  }
}

/** Restores what the webview persisted; a hostile or stale state yields no content rather than an exception. */
function contentFromState(state: unknown): PanelContent | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const c = (state as PersistedReportView).content;
  try {
    if (c?.kind === 'report') return { kind: 'report', report: parseReport(c.report) };
    if (c?.kind === 'compare') return { kind: 'compare', a: parseReport(c.a), b: parseReport(c.b) };
  } catch {
    return undefined;
  }
  return undefined;
}

export class ReportPanels implements vscode.Disposable {
  private readonly panels = new Map<string, ReportPanel>();
  private readonly output: vscode.LogOutputChannel;
  private static serializerTarget: ReportPanels | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Attention Profiler: reports', { log: true });
    ReportPanels.serializerTarget ??= this;
  }

  /** Opens the report in its own panel, or reveals (and refreshes) the panel already showing it. */
  show(report: ProfileReport): void {
    this.open({ kind: 'report', report });
  }

  /** Opens an A/B comparison panel (A = baseline, B = candidate). */
  compare(a: ProfileReport, b: ProfileReport): void {
    this.open({ kind: 'compare', a, b });
  }

  private open(content: PanelContent): void {
    const key = keyOf(content);
    const existing = this.panels.get(key);
    if (existing) {
      existing.update(content);
      existing.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(REPORT_VIEW_TYPE, titleOf(content), vscode.ViewColumn.Active, webviewOptions(this.context.extensionUri));
    this.adopt(panel, content);
  }

  private adopt(panel: vscode.WebviewPanel, content: PanelContent | undefined): void {
    const key = content ? keyOf(content) : `restored:${Date.now()}:${Math.random()}`;
    const entry = new ReportPanel(panel, content, this.context.extensionUri, (m) => this.output.warn(m), () => {
      if (this.panels.get(key) === entry) this.panels.delete(key);
    });
    this.panels.set(key, entry);
  }

  /**
   * Registers the `WebviewPanelSerializer` that brings report panels back after a window reload, from the state the
   * webview saved. Call once in `activate` (and list `onWebviewPanel:attnprof.report` in activationEvents).
   * Restored panels join `panels` (or the first ReportPanels constructed) so `show` reveals them.
   */
  static registerSerializer(context: vscode.ExtensionContext, panels?: ReportPanels): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        const target = panels ?? ReportPanels.serializerTarget ?? new ReportPanels(context);
        target.adopt(panel, contentFromState(state));
      },
    });
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
    this.output.dispose();
    if (ReportPanels.serializerTarget === this) ReportPanels.serializerTarget = undefined;
  }
}
