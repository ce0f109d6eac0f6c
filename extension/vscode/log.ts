/** The "Attention Profiler" output channel: worker stderr, skipped report files, activation time. */
import * as vscode from 'vscode';

export type Log = (line: string) => void;

export function createLog(): { channel: vscode.OutputChannel; log: Log } {
  const channel = vscode.window.createOutputChannel('Attention Profiler');
  const log: Log = (line) => channel.appendLine(`[${new Date().toISOString().slice(11, 23)}] ${line}`);
  return { channel, log };
}
