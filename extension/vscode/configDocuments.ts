/**
 * The parsed config of each open document, cached by document version so CodeLens, hover and Problems
 * share one parse per edit. Training arguments (LLaMA-Factory YAML) name a model config beside them: that
 * file is read from an open editor, else once in the background, never synchronously on the UI path.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
import { analyseConfig, type ConfigAnalysis } from '../hints/analysis';

export const CONFIG_LANGUAGES = ['json', 'jsonc', 'python', 'yaml', 'shellscript'] as const;
export const CONFIG_SELECTOR: vscode.DocumentSelector = CONFIG_LANGUAGES.flatMap((language) => [
  { language, scheme: 'file' },
  { language, scheme: 'untitled' },
  { language, scheme: 'vscode-remote' },
]);

/** Model configs are small; a sibling bigger than this is not one. */
const MAX_SIBLING_BYTES = 4 << 20;

interface Cached {
  version: number;
  analysis: ConfigAnalysis;
  /** Siblings were still being read: diagnostics would wrongly say "not found". */
  incomplete: boolean;
}

export function documentKey(doc: vscode.TextDocument): string {
  return doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.toString();
}

export class ConfigDocuments implements vscode.Disposable {
  private readonly cache = new Map<string, Cached>();
  /** Sibling file path → its text, or null when it cannot be read. */
  private readonly siblings = new Map<string, string | null>();
  private readonly loadingSiblings = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.subscriptions.push(
      this.changed,
      vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const path = e.document.uri.scheme === 'file' ? e.document.uri.fsPath : undefined;
        if (path && this.siblings.has(path)) {
          // A training file's model config was edited: every dependent analysis is stale.
          this.siblings.set(path, e.document.getText());
          this.cache.clear();
          this.changed.fire();
        }
      }),
    );
  }

  analysis(doc: vscode.TextDocument): ConfigAnalysis {
    return this.entry(doc).analysis;
  }

  /** True while a sibling the document names is still being read. */
  isIncomplete(doc: vscode.TextDocument): boolean {
    return this.entry(doc).incomplete;
  }

  private entry(doc: vscode.TextDocument): Cached {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit;
    let incomplete = false;
    const dir = doc.uri.scheme === 'file' ? dirname(doc.uri.fsPath) : undefined;
    const readSibling = (rel: string): string | undefined => {
      if (!dir) return undefined;
      const path = resolve(dir, rel);
      const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === path);
      if (open) {
        this.siblings.set(path, open.getText());
        return open.getText();
      }
      const known = this.siblings.get(path);
      if (known !== undefined) return known ?? undefined;
      incomplete = true;
      this.loadSibling(path);
      return undefined;
    };
    const analysis = analyseConfig(doc.fileName, doc.getText(), readSibling);
    const entry = { version: doc.version, analysis, incomplete };
    this.cache.set(key, entry);
    return entry;
  }

  private loadSibling(path: string): void {
    if (this.loadingSiblings.has(path)) return;
    this.loadingSiblings.add(path);
    void (async () => {
      try {
        const s = await stat(path);
        this.siblings.set(path, s.isFile() && s.size <= MAX_SIBLING_BYTES ? await readFile(path, 'utf8') : null);
      } catch {
        this.siblings.set(path, null);
      } finally {
        this.loadingSiblings.delete(path);
        this.cache.clear();
        this.changed.fire();
      }
    })();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
