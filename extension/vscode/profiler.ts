/**
 * Runs one profile at a time in the worker, with a cancellable progress notification, and files the result:
 * store (side panel, CodeLens) then the report panel. Every failure ends as a message saying what to do.
 */
import * as vscode from 'vscode';
import type { ProfileRequest } from '../protocol/worker';
import type { PaddingRequest } from '../protocol/worker';
import type { ProfileReport } from '../report/schema';
import type { ReportPanels } from '../webview-host/reportPanels';
import type { Log } from './log';
import type { ReportStore } from './reportStore';
import { ProfileFailure, type WorkerClient } from './workerClient';

export class Profiler implements vscode.Disposable {
  private active: AbortController | undefined;

  constructor(
    private readonly client: WorkerClient,
    private readonly store: ReportStore,
    private readonly panels: ReportPanels,
    private readonly log: Log,
    private readonly showLog: () => void,
  ) {}

  get busy(): boolean {
    return this.active !== undefined;
  }

  cancel(): void {
    this.active?.abort();
  }

  run(request: ProfileRequest): Promise<void> {
    this.log(`profile: ${request.title} (${request.workloads.length} workload(s), kernels ${request.kernels.join(',')}, ${request.iterations} iterations)`);
    return this.execute(`Profiling ${request.title}`, request.title, (call) => this.client.profile(request, call));
  }

  /** A padding analysis through the same queue, notification and store; the panel opens on its Padding tab. */
  runPadding(request: PaddingRequest): Promise<void> {
    this.log(`padding: ${request.title} (${request.lengthsFile}, B ${request.batchSize ?? 'default'}, L ${request.maxLength ?? 'longest'}${request.measure ? ', measured' : ''})`);
    return this.execute(`Analyzing padding: ${request.title}`, request.title, (call) => this.client.padding(request, call));
  }

  private async execute(
    notificationTitle: string,
    title: string,
    start: (call: { signal: AbortSignal; onProgress: (message: string, fraction: number) => void }) => Promise<ProfileReport>,
  ): Promise<void> {
    if (this.active) {
      void vscode.window.showWarningMessage(
        'A profile is already running. Wait for it, or cancel it from its notification or the Reports panel.',
      );
      return;
    }
    const abort = new AbortController();
    this.active = abort;
    this.store.setRunning({ title, message: 'starting the GPU worker…', fraction: 0 });
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: notificationTitle, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          let done = 0;
          progress.report({ message: 'starting the GPU worker…' });
          return start({
            signal: abort.signal,
            onProgress: (message, fraction) => {
              // `increment` is additive in percent; the worker reports a running fraction.
              progress.report({ message, increment: Math.max(0, fraction - done) * 100 });
              done = Math.max(done, fraction);
              this.store.setRunning({ title, message, fraction });
            },
          });
        },
      );
      this.log(`profile: done, report ${report.id}`);
      try {
        await this.store.add(report);
      } catch (e) {
        void vscode.window.showWarningMessage(`The report could not be saved to the history (${(e as Error).message}); it is shown but will not be kept.`);
      }
      this.panels.show(report);
      // What the engine changed on its own (a shorter sequence on a software adapter) is said once more, at the end.
      for (const note of report.notes ?? []) void vscode.window.showInformationMessage(`Attention Profiler: ${note}`);
    } catch (e) {
      this.report(e);
    } finally {
      this.active = undefined;
      this.store.setRunning(undefined);
    }
  }

  private report(e: unknown): void {
    if (e instanceof ProfileFailure) {
      if (e.kind === 'cancelled') {
        this.log('profile: cancelled');
        void vscode.window.showInformationMessage(e.message || 'Profiling cancelled.');
        return;
      }
      this.log(`profile: ${e.kind}: ${e.message}${e.detail ? `\n${e.detail}` : ''}`);
      const actions = e.kind === 'gpu' || e.kind === 'no-adapter' || e.kind === 'crash' ? ['Select GPU Adapter…', 'Show Output'] : ['Show Output'];
      void vscode.window.showErrorMessage(e.message, ...actions).then((pick) => {
        if (pick === 'Show Output') this.showLog();
        else if (pick === 'Select GPU Adapter…') void vscode.commands.executeCommand('attnprof.selectAdapter');
      });
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    this.log(`profile: unexpected: ${e instanceof Error ? (e.stack ?? message) : message}`);
    void vscode.window.showErrorMessage(`Profiling failed: ${message}. The "Attention Profiler" output has the details.`);
  }

  dispose(): void {
    this.cancel();
  }
}
