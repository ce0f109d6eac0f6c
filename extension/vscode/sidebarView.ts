/**
 * The "Reports" side panel (activity bar → Attention Profiler): the runs of this workspace, the one in
 * progress, open/delete/compare/export. The webview is not retained when hidden: it asks for its state
 * (`ready`) each time it loads, and the host answers from the store.
 */
import * as vscode from 'vscode';
import { webviewShellHtml } from '../webview-host/html';
import { bestText } from '../hints/reportEntry';
import { COMMANDS, REPORTS_VIEW_ID } from './commandIds';
import type { Log } from './log';
import type { ReportStore } from './reportStore';
import { isFromSidebar, type FromSidebar, type RunRow, type ToSidebar } from '../protocol/sidebar';

export { REPORTS_VIEW_ID };

export class ReportsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  /** Messages posted before the webview listens are lost: hold them until `ready`. */
  private listening = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  private viewSubscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ReportStore,
    private readonly log: Log,
  ) {
    this.subscriptions.push(store.onDidChange(() => this.post()));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    for (const s of this.viewSubscriptions) s.dispose();
    this.view = view;
    this.listening = false;
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    view.webview.html = this.html(view.webview);
    this.viewSubscriptions = [
      view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      view.onDidChangeVisibility(() => {
        if (view.visible) this.post();
      }),
      view.onDidDispose(() => {
        if (this.view === view) this.view = undefined;
        this.listening = false;
      }),
    ];
    void this.store.load();
  }

  private onMessage(raw: unknown): void {
    if (!isFromSidebar(raw)) {
      this.log(`reports view: ignored a malformed message`);
      return;
    }
    const msg: FromSidebar = raw;
    const run = (command: string, ...args: unknown[]) => void vscode.commands.executeCommand(command, ...args);
    switch (msg.type) {
      case 'ready':
        this.listening = true;
        this.post();
        return;
      case 'open':
        return run(COMMANDS.openReport, msg.id);
      case 'delete':
        return run(COMMANDS.deleteReport, msg.id);
      case 'export':
        return run(COMMANDS.exportReport, msg.id);
      case 'compare':
        return run(COMMANDS.compareReports, msg.ids[0], msg.ids[1]);
      case 'profile':
        return run(msg.what === 'config' ? COMMANDS.profileConfig : COMMANDS.profileShape);
      case 'cancel':
        return run(COMMANDS.cancelProfile);
    }
  }

  private state(): ToSidebar {
    const runs: RunRow[] = this.store.list().map((e) => ({
      id: e.id,
      title: e.title,
      adapter: e.adapter,
      isFallback: e.isFallback,
      createdAt: e.createdAt,
      shape: e.shape ?? '',
      best: bestText(e),
      broken: [...new Set(e.workloads.flatMap((w) => w.broken))],
    }));
    const r = this.store.running;
    return { type: 'state', runs, running: r ? { title: r.title, message: r.message, fraction: r.fraction } : null, loaded: this.store.loaded };
  }

  private post(): void {
    if (!this.view || !this.listening) return;
    void this.view.webview.postMessage(this.state());
  }

  private html(webview: vscode.Webview): string {
    const uri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...path)).toString();
    return webviewShellHtml(
      {
        cspSource: webview.cspSource,
        scriptUri: uri('dist', 'webview-sidebar.js'),
        styleUri: uri('media', 'sidebar.css'),
        title: 'Attention Profiler reports',
      },
      '<div id="root" aria-live="polite"></div>',
    );
  }

  dispose(): void {
    for (const s of [...this.viewSubscriptions, ...this.subscriptions]) s.dispose();
  }
}
