/** Hover on an attention field: what the key means for attention, with this config's numbers. */
import * as vscode from 'vscode';
import { hoverMarkdown } from '../hints/hover';
import type { ConfigDocuments } from './configDocuments';
import { currentSettings } from './settings';

const KEY = /[A-Za-z_][\w.-]*/;

export class ConfigHoverProvider implements vscode.HoverProvider {
  constructor(private readonly docs: ConfigDocuments) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const analysis = this.docs.analysis(doc);
    if (analysis.kind !== 'parsed') return undefined;
    const range = doc.getWordRangeAtPosition(position, KEY);
    if (!range) return undefined;
    const settings = currentSettings(doc.uri);
    const text = hoverMarkdown(analysis.parsed, position.line + 1, doc.getText(range), { batch: settings.batch, seqLen: settings.seqLen });
    if (!text) return undefined;
    // Model names are user text: no command links, no HTML.
    const md = new vscode.MarkdownString(`$(pulse) Attention Profiler\n\n${text}`, true);
    md.isTrusted = false;
    md.supportHtml = false;
    return new vscode.Hover(md, range);
  }
}
