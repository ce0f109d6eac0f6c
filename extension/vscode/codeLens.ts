/** CodeLens on a config's attention fields: analytic cost, ▶ Profile, and the last measurement of the file. */
import * as vscode from 'vscode';
import { lensHints } from '../hints/lenses';
import { isTrainingConfig } from '../model';
import type { ConfigDocuments } from './configDocuments';
import { documentKey } from './configDocuments';
import type { ReportStore } from './reportStore';
import { currentSettings } from './settings';

export class ConfigLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly docs: ConfigDocuments,
    private readonly store: ReportStore,
  ) {
    this.subscriptions = [
      this.changed,
      docs.onDidChange(() => this.changed.fire()),
      store.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('attnprof') && this.changed.fire()),
    ];
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const settings = currentSettings(doc.uri);
    if (!settings.codeLensEnabled) return [];
    const analysis = this.docs.analysis(doc);
    if (analysis.kind === 'none') return [];
    const at = (line: number, column: number) => {
      const pos = doc.validatePosition(new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1)));
      return new vscode.Range(pos, pos);
    };
    if (analysis.kind === 'error') {
      return [new vscode.CodeLens(at(analysis.line, analysis.column), { title: `attention config unreadable: ${analysis.message}`, command: '' })];
    }
    const hints = lensHints(analysis.parsed, {
      batch: settings.batch,
      seqLen: settings.seqLen,
      measured: this.store.latestFor(documentKey(doc)),
      training: isTrainingConfig(analysis.parsed, doc.getText()),
    });
    return hints.map(
      (h) =>
        new vscode.CodeLens(
          at(h.line, h.column),
          h.action === 'profile' || h.action === 'profile-decode'
            ? { title: h.title, command: 'attnprof.profileConfig', arguments: h.action === 'profile-decode' ? [doc.uri, 'decode'] : [doc.uri], tooltip: h.tooltip }
            : // An empty command id makes a lens plain text: nothing to click.
              { title: h.title, command: '' },
        ),
    );
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
