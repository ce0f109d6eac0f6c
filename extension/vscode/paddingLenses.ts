/**
 * The padding CodeLens on training configs (`cutoff_len`, `per_device_train_batch_size`, …) when a lengths file
 * is set: "padding: fixed wastes 71 % of tokens · bucketed 2.7× less attention work · ▶ Analyze". The numbers
 * come from an arithmetic-only analysis the worker computes once per (file, mtime, size, B, L, causal) and that
 * is cached here: a keystroke costs a stat of the lengths file, never a read of it, and never GPU work.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import { paddingCacheKey, paddingLensTargets, paddingLensTitle, paddingLensTooltip } from '../hints/paddingLens';
import type { PaddingAnalysis } from '../report/padding';
import { COMMANDS } from './commandIds';
import type { ConfigDocuments } from './configDocuments';
import type { Log } from './log';
import { currentSettings } from './settings';
import { ProfileFailure, type WorkerClient } from './workerClient';

export const LAST_LENGTHS_KEY = 'attnprof.padding.lastLengthsFile';
/** Analyses kept (each a few KB): enough for several configs and edits of their B and L. */
const CACHE_SIZE = 32;

type Cached = { state: 'pending' } | { state: 'ready'; analysis: PaddingAnalysis } | { state: 'error'; message: string };

/** The lengths file the lenses use: the setting (relative to the document's workspace folder), else the last one analysed. */
export function lensLengthsFile(context: vscode.ExtensionContext, doc: vscode.TextDocument): string | undefined {
  const setting = currentSettings(doc.uri).paddingLengthsFile;
  if (setting) {
    if (isAbsolute(setting)) return setting;
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri) ?? vscode.workspace.workspaceFolders?.[0];
    return folder && folder.uri.scheme === 'file' ? resolve(folder.uri.fsPath, setting) : undefined;
  }
  return context.workspaceState.get<string>(LAST_LENGTHS_KEY) || undefined;
}

export class PaddingLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly cache = new Map<string, Cached>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly docs: ConfigDocuments,
    private readonly client: WorkerClient,
    private readonly log: Log,
  ) {
    this.subscriptions = [
      this.changed,
      docs.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('attnprof') && this.changed.fire()),
    ];
  }

  /** The command chose a new lengths file: lenses switch to it. */
  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!currentSettings(doc.uri).codeLensEnabled) return [];
    const analysis = this.docs.analysis(doc);
    if (analysis.kind !== 'parsed') return [];
    const targets = paddingLensTargets(analysis.parsed);
    if (targets.length === 0) return [];
    const file = lensLengthsFile(this.context, doc);
    if (!file) return [];
    let version: { mtimeMs: number; size: number };
    try {
      const s = await stat(file);
      if (!s.isFile()) return [];
      version = { mtimeMs: s.mtimeMs, size: s.size };
    } catch {
      // A setting naming a missing file says so once, on the first target, instead of failing silently.
      const t = targets[0];
      return [new vscode.CodeLens(this.at(doc, t.line, t.column), { title: `padding: lengths file not found (${vscode.workspace.asRelativePath(file)})`, command: '' })];
    }
    const lenses: vscode.CodeLens[] = [];
    for (const t of targets) {
      const range = this.at(doc, t.line, t.column);
      const key = paddingCacheKey(file, version.mtimeMs, version.size, t.batchSize, t.maxLength, t.causal);
      const entry = this.lookup(key, file, t.batchSize, t.maxLength, t.causal);
      const args = [doc.uri, { lengthsFile: file, ...(t.batchSize ? { batchSize: t.batchSize } : {}), ...(t.maxLength ? { maxLength: t.maxLength } : {}) }];
      if (entry.state === 'ready') {
        lenses.push(new vscode.CodeLens(range, { title: paddingLensTitle(entry.analysis), command: '', tooltip: paddingLensTooltip(entry.analysis) }));
      } else if (entry.state === 'pending') {
        lenses.push(new vscode.CodeLens(range, { title: 'padding: analysing the lengths file…', command: '' }));
      } else {
        lenses.push(new vscode.CodeLens(range, { title: `padding: ${entry.message}`, command: '' }));
      }
      lenses.push(new vscode.CodeLens(range, { title: '▶ Analyze', command: COMMANDS.analyzePadding, arguments: args, tooltip: 'Analyze padding efficiency of these lengths (Attention Profiler)' }));
    }
    return lenses;
  }

  private at(doc: vscode.TextDocument, line: number, column: number): vscode.Range {
    const pos = doc.validatePosition(new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1)));
    return new vscode.Range(pos, pos);
  }

  private lookup(key: string, file: string, batchSize: number | undefined, maxLength: number | undefined, causal: boolean): Cached {
    const hit = this.cache.get(key);
    if (hit) return hit;
    this.cache.set(key, { state: 'pending' });
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.client
      .padding({
        title: 'padding lens',
        source: { kind: 'config' },
        lengthsFile: file,
        lengthsLabel: vscode.workspace.asRelativePath(file),
        ...(batchSize ? { batchSize } : {}),
        ...(maxLength ? { maxLength } : {}),
        causal,
      })
      .then(
        (report) => {
          if (report.padding) this.cache.set(key, { state: 'ready', analysis: report.padding });
        },
        (e: unknown) => {
          if (e instanceof ProfileFailure && e.kind === 'cancelled') {
            // The worker was killed under us (a cancelled profile): try again on the next refresh.
            this.cache.delete(key);
            return;
          }
          const message = e instanceof ProfileFailure ? (e.detail || e.message) : String(e);
          this.log(`padding lens: ${message}`);
          this.cache.set(key, { state: 'error', message: message.replace(/\.$/, '').slice(0, 160) });
        },
      )
      .finally(() => this.changed.fire());
    return { state: 'pending' };
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
