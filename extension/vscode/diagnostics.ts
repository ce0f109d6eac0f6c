/** Problems entries for config issues (syntax errors, strings for numbers, bad head counts, absurd sizes). */
import * as vscode from 'vscode';
import { problemEntries } from '../hints/analysis';
import type { Severity } from '../model';
import { CONFIG_LANGUAGES, type ConfigDocuments } from './configDocuments';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** Typing in a big config should not parse on every keystroke. */
const DEBOUNCE_MS = 250;

export class ConfigDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('attnprof');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly docs: ConfigDocuments) {
    this.subscriptions = [
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.update(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.cancel(d);
        this.collection.delete(d.uri);
      }),
      docs.onDidChange(() => vscode.workspace.textDocuments.forEach((d) => this.update(d))),
    ];
    // Documents already open are parsed after activation returns, so startup does not wait for them.
    this.initialScan = setTimeout(() => vscode.workspace.textDocuments.forEach((d) => this.update(d)), 0);
  }

  private readonly initialScan: NodeJS.Timeout;

  private schedule(doc: vscode.TextDocument): void {
    this.cancel(doc);
    this.timers.set(
      doc.uri.toString(),
      setTimeout(() => {
        this.timers.delete(doc.uri.toString());
        this.update(doc);
      }, DEBOUNCE_MS),
    );
  }

  private cancel(doc: vscode.TextDocument): void {
    const t = this.timers.get(doc.uri.toString());
    if (t) clearTimeout(t);
    this.timers.delete(doc.uri.toString());
  }

  private update(doc: vscode.TextDocument): void {
    if (doc.isClosed || !(CONFIG_LANGUAGES as readonly string[]).includes(doc.languageId)) return;
    const analysis = this.docs.analysis(doc);
    if (this.docs.isIncomplete(doc)) return; // a sibling is loading; docs.onDidChange comes back here
    const entries = problemEntries(analysis).map((p) => {
      const range = doc.validateRange(new vscode.Range(p.startLine, p.startColumn, p.endLine, p.endColumn));
      const d = new vscode.Diagnostic(range, p.message, SEVERITY[p.severity]);
      d.source = 'attnprof';
      return d;
    });
    this.collection.set(doc.uri, entries);
  }

  dispose(): void {
    clearTimeout(this.initialScan);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const s of this.subscriptions) s.dispose();
  }
}
