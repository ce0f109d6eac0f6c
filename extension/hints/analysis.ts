/**
 * One document's config analysis as the editor features share it (CodeLens, hover, Problems), and the
 * Problems entries it yields. A syntax error is a result, not an exception: the editor keeps working.
 */
import { ConfigParseError, isRecognisedConfig, parseConfigText, type ParsedConfig, type Severity } from '../model';

export type ConfigAnalysis =
  | { kind: 'none' }
  | { kind: 'parsed'; parsed: ParsedConfig }
  | { kind: 'error'; message: string; line: number; column: number };

export function analyseConfig(fileName: string, text: string, readSibling?: (relPath: string) => string | undefined): ConfigAnalysis {
  if (!isRecognisedConfig(fileName, text)) return { kind: 'none' };
  try {
    return { kind: 'parsed', parsed: parseConfigText(fileName, text, readSibling ? { readSibling } : {}) };
  } catch (e) {
    if (e instanceof ConfigParseError) return { kind: 'error', message: e.message, line: e.line, column: e.column };
    // A parser bug must cost the user a CodeLens, not the extension host.
    return { kind: 'error', message: `attnprof could not read this config: ${(e as Error).message}`, line: 1, column: 1 };
  }
}

/** A Problems entry with 0-based positions, as editors count. */
export interface ProblemEntry {
  severity: Severity;
  message: string;
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

/**
 * Parser positions are 1-based; a diagnostic without an end covers the rest of its line's token, which the
 * editor widens to a word when start equals end.
 */
export function problemEntries(a: ConfigAnalysis): ProblemEntry[] {
  const at = (line: number, column: number, endLine?: number, endColumn?: number) => {
    const startLine = Math.max(0, line - 1);
    const startColumn = Math.max(0, column - 1);
    const el = endLine !== undefined ? Math.max(startLine, endLine - 1) : startLine;
    const ec = endColumn !== undefined ? Math.max(el === startLine ? startColumn : 0, endColumn - 1) : startColumn;
    return { startLine, startColumn, endLine: el, endColumn: ec };
  };
  if (a.kind === 'none') return [];
  if (a.kind === 'error') return [{ severity: 'error', message: a.message, ...at(a.line, a.column) }];
  return a.parsed.diagnostics.map((d) => ({ severity: d.severity, message: d.message, ...at(d.line, d.column, d.endLine, d.endColumn) }));
}
