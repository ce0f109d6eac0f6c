/** Wiring only: every feature lives in extension/vscode (editor side) or extension/hints (pure). */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ReportPanels } from './webview-host/reportPanels';
import { ConfigLensProvider } from './vscode/codeLens';
import { registerCommands } from './vscode/commands';
import { CONFIG_SELECTOR, ConfigDocuments } from './vscode/configDocuments';
import { ConfigDiagnostics } from './vscode/diagnostics';
import { ConfigHoverProvider } from './vscode/hover';
import { PaddingLensProvider } from './vscode/paddingLenses';
import { createLog } from './vscode/log';
import { Profiler } from './vscode/profiler';
import { ReportStore } from './vscode/reportStore';
import { REPORTS_VIEW_ID, ReportsViewProvider } from './vscode/sidebarView';
import { WorkerClient } from './vscode/workerClient';

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const { channel, log } = createLog();
  const storage = context.storageUri ?? context.globalStorageUri;
  const store = new ReportStore(join(storage.fsPath, 'reports'), log);
  // attnprof.f16Toggle and attnprof.shaderChecks reach Dawn in the worker (kernels/device.ts reads ATTNPROF_F16_TOGGLE
  // and ATTNPROF_SHADER_CHECKS).
  const workerEnv = (): NodeJS.ProcessEnv => {
    const settings = vscode.workspace.getConfiguration('attnprof');
    const env: NodeJS.ProcessEnv = { ...process.env, ATTNPROF_F16_TOGGLE: settings.get<boolean>('f16Toggle', true) ? '1' : '0' };
    // Unset: the default (off on a GPU, on for a software adapter).
    if (settings.get<boolean>('shaderChecks', false)) env.ATTNPROF_SHADER_CHECKS = '1';
    else delete env.ATTNPROF_SHADER_CHECKS;
    return env;
  };
  const client = new WorkerClient({ cliPath: context.asAbsolutePath(join('dist', 'cli.js')), log, env: workerEnv });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('attnprof.f16Toggle')) client.stop('cancelled', 'The f16 setting changed: the profiler restarts with it on the next run.');
      else if (e.affectsConfiguration('attnprof.shaderChecks')) client.stop('cancelled', 'The shader-checks setting changed: the profiler restarts with it on the next run.');
    }),
  );
  const panels = new ReportPanels(context);
  const profiler = new Profiler(client, store, panels, log, () => channel.show(true));
  const docs = new ConfigDocuments();
  const lenses = new ConfigLensProvider(docs, store);
  // One parse cache for every editor feature: the cost lenses, the padding lenses, hover and Problems.
  const paddingLenses = new PaddingLensProvider(context, docs, client, log);
  const sidebar = new ReportsViewProvider(context.extensionUri, store, log);

  context.subscriptions.push(
    channel,
    client,
    panels,
    ReportPanels.registerSerializer(context, panels),
    profiler,
    docs,
    lenses,
    vscode.languages.registerCodeLensProvider(CONFIG_SELECTOR, lenses),
    paddingLenses,
    vscode.languages.registerCodeLensProvider(CONFIG_SELECTOR, paddingLenses),
    vscode.languages.registerHoverProvider(CONFIG_SELECTOR, new ConfigHoverProvider(docs)),
    new ConfigDiagnostics(docs),
    sidebar,
    vscode.window.registerWebviewViewProvider(REPORTS_VIEW_ID, sidebar),
    ...registerCommands({ context, client, store, profiler, panels, paddingLenses, log }),
  );
  // The history is read in the background: activation does not wait for the disk.
  void store.load();
  log(`activated in ${(performance.now() - started).toFixed(1)} ms (reports in ${store.dir})`);
}

export function deactivate(): void {
  // Everything, the worker included, is disposed through context.subscriptions.
}
