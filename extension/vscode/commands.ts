/** The command palette commands (category "Attention Profiler") and the side panel's actions. */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
import { ProblemError, validateProblem } from '../../kernels/problem';
import type { ProfileRequest } from '../protocol/worker';
import { analyseConfig } from '../hints/analysis';
import { bestText, type ReportEntry } from '../hints/reportEntry';
import { baseDtype, configRequest, KNOWN_KERNELS, shapeRequest } from '../hints/settings';
import { hasF16MatrixConfig, kernelDescription } from '../../kernels/names';
import { formatMatrixConfig } from '../../kernels/units';
import { parseShapeInput, SHAPE_PLACEHOLDER, withSeqLen } from '../hints/shapeInput';
import { isRecognisedConfig, isTrainingConfig } from '../model';
import type { ProfileReport } from '../report/schema';
import { whyNotComparable } from '../report/compare';
import { reportTabTitle } from '../report/summary';
import { exportReport } from '../webview-host/exports';
import type { ReportExportFormat } from '../protocol/reportView';
import type { ReportPanels } from '../webview-host/reportPanels';
import { COMMANDS } from './commandIds';
import { CONFIG_LANGUAGES, documentKey } from './configDocuments';
import { asAnalyzeArgs } from '../hints/paddingInput';
import { analyzePadding } from './paddingCommand';
import type { PaddingLensProvider } from './paddingLenses';
import type { Log } from './log';
import type { Profiler } from './profiler';
import type { ReportStore } from './reportStore';
import { currentSettings, saveSetting } from './settings';
import { pythonChoice } from './python';
import { TORCH_BACKEND_TEXT, isTorchKernel, torchBackendOf } from '../protocol/python';
import { ProfileFailure, type WorkerClient } from './workerClient';

export { COMMANDS };

export interface CommandDeps {
  context: vscode.ExtensionContext;
  client: WorkerClient;
  store: ReportStore;
  profiler: Profiler;
  panels: ReportPanels;
  /** Refreshed when a padding analysis finishes, so its CodeLens shows the result. */
  paddingLenses: PaddingLensProvider;
  log: Log;
}

const LAST_SHAPE_KEY = 'attnprof.lastShape';
const MAX_SIBLING_BYTES = 4 << 20;

/** Command arguments come from menus, CodeLens, the side panel, or other extensions: check them. */
const asUri = (v: unknown): vscode.Uri | undefined => (v instanceof vscode.Uri ? v : undefined);
const asId = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : undefined);

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { store, profiler } = deps;
  const guarded =
    (name: string, fn: (...args: unknown[]) => Promise<void>) =>
    async (...args: unknown[]): Promise<void> => {
      try {
        await fn(...args);
      } catch (e) {
        // The last line of defence: a bug in a command is a message, not a dead extension.
        deps.log(`${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        void vscode.window.showErrorMessage(`Attention Profiler: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
  const reg = (id: string, fn: (...args: unknown[]) => Promise<void>) => vscode.commands.registerCommand(id, guarded(id, fn));

  // A report panel or the side panel may have focus when "Profile" is asked for: fall back to the config
  // the user looked at last rather than answering "open a config first".
  let lastConfig: vscode.Uri | undefined;
  const track = (editor: vscode.TextEditor | undefined) => {
    const doc = editor?.document;
    if (doc && (CONFIG_LANGUAGES as readonly string[]).includes(doc.languageId) && isRecognisedConfig(doc.fileName, doc.getText())) lastConfig = doc.uri;
  };
  track(vscode.window.activeTextEditor);

  return [
    reg(COMMANDS.analyzePadding, async (arg, options) => {
      const uri = asUri(arg) ?? (vscode.window.activeTextEditor ? undefined : lastConfig);
      await analyzePadding(deps.context, profiler, uri, asAnalyzeArgs(options), () => deps.paddingLenses.refresh());
    }),
    vscode.window.onDidChangeActiveTextEditor(track),
    reg(COMMANDS.profileConfig, async (arg, mode) => {
      const request = await configRequestFor(asUri(arg) ?? (vscode.window.activeTextEditor ? undefined : lastConfig), mode === 'decode' ? 'decode' : 'prefill');
      if (request) await profiler.run(await withPython(request));
    }),
    reg(COMMANDS.profileShape, async () => {
      const request = await askShape(deps.context);
      if (request) await profiler.run(await withPython(request));
    }),
    reg(COMMANDS.selectKernels, () => selectKernels(deps.client)),
    reg(COMMANDS.selectAdapter, () => selectAdapter(deps.client)),
    reg(COMMANDS.showReports, async () => {
      await vscode.commands.executeCommand('attnprof.reports.focus');
    }),
    reg(COMMANDS.openReport, async (arg) => {
      const report = await pickReport(store, asId(arg), 'Open which report?');
      if (report) deps.panels.show(report);
    }),
    reg(COMMANDS.deleteReport, async (arg) => {
      const id = asId(arg) ?? (await pickEntry(store, 'Delete which report?'))?.id;
      const entry = id ? store.entry(id) : undefined;
      if (!entry) return;
      const yes = await vscode.window.showWarningMessage(
        `Delete the report "${entry.title}" (${new Date(entry.createdAt).toLocaleString()})?`,
        { modal: true, detail: 'Its JSON file is removed from the extension storage. This cannot be undone.' },
        'Delete',
      );
      if (yes === 'Delete') await store.delete(entry.id);
    }),
    reg(COMMANDS.compareReports, async (a, b) => {
      let ids = [asId(a), asId(b)].filter((x): x is string => x !== undefined);
      if (ids.length !== 2 || ids[0] === ids[1]) ids = await pickTwo(store);
      if (ids.length !== 2) return;
      const [ra, rb] = await Promise.all(ids.map((id) => loadReport(store, id)));
      if (!ra || !rb) return;
      const refused = whyNotComparable(ra, rb);
      if (refused) {
        void vscode.window.showWarningMessage(refused);
        return;
      }
      deps.panels.compare(ra, rb);
    }),
    reg(COMMANDS.exportReport, async (arg) => {
      const report = await pickReport(store, asId(arg), 'Export which report?');
      if (!report) return;
      // The same formats as the report's own Export ▾ menu.
      const padOnly = report.padding !== undefined && report.workloads.length === 0;
      const formats: { label: string; description: string; format: ReportExportFormat }[] = padOnly
        ? [
            { label: 'Report (.json)', description: 'the whole report, to open again or diff', format: 'json' },
            { label: 'Padding table (.csv)', description: 'one row per strategy', format: 'padding-csv' },
            { label: 'Padding table (.md)', description: 'for a pull request or notes', format: 'padding-markdown' },
          ]
        : [
            { label: 'Chrome trace (.json, Perfetto)', description: 'passes and memory on a timeline', format: 'trace' },
            { label: 'Report (.json)', description: 'the whole report, to open again or diff', format: 'json' },
            { label: 'Summary (.csv)', description: 'one row per kernel', format: 'csv' },
            { label: 'Summary (.md)', description: 'for a pull request or notes', format: 'markdown' },
          ];
      const pick = await vscode.window.showQuickPick(formats, { title: `Export ${reportTabTitle(report)}`, placeHolder: 'Export as' });
      if (!pick) return;
      try {
        const uri = await exportReport(report, pick.format);
        if (uri) {
          const open = await vscode.window.showInformationMessage(`Report exported to ${vscode.workspace.asRelativePath(uri)}.`, 'Open');
          if (open) await vscode.window.showTextDocument(uri);
        }
      } catch (e) {
        void vscode.window.showErrorMessage(`Export failed: ${(e as Error).message}`);
      }
    }),
    reg(COMMANDS.cancelProfile, async () => profiler.cancel()),
  ];
}

/** A request with torch:* kernels learns which Python to use (the setting, else the Python extension's). */
async function withPython(request: ProfileRequest): Promise<ProfileRequest> {
  if (!request.kernels.some(isTorchKernel) || request.python?.explicit) return request;
  const file = request.source.file;
  const uri = file && !file.includes('://') ? vscode.Uri.file(file) : undefined;
  return { ...request, python: await pythonChoice(currentSettings(uri), uri) };
}

/** Parses the document the way the CLI parses a file, reading a sibling model config when the file names one. */
async function configRequestFor(uri: vscode.Uri | undefined, mode: 'prefill' | 'decode' = 'prefill'): Promise<ProfileRequest | undefined> {
  const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!doc) {
    void vscode.window.showErrorMessage(
      'Open a model config first (a Hugging Face config.json, a Python script with NUM_HEADS/HEAD_DIM constants, or LLaMA-Factory training arguments), then run "Profile Open Model Config" again.',
    );
    return undefined;
  }
  // "vit-b16/config.json" tells runs apart in the history where "config.json" would not.
  const name = doc.isUntitled ? doc.uri.path : doc.uri.scheme === 'file' ? vscode.workspace.asRelativePath(doc.uri, false) : basename(doc.fileName);
  const dir = doc.uri.scheme === 'file' ? dirname(doc.uri.fsPath) : undefined;
  const analysis = analyseConfig(doc.fileName, doc.getText(), (rel) => {
    if (!dir) return undefined;
    const path = resolve(dir, rel);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === path);
    if (open) return open.getText();
    try {
      return statSync(path).size <= MAX_SIBLING_BYTES ? readFileSync(path, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  });
  if (analysis.kind === 'none') {
    void vscode.window.showErrorMessage(
      `${name} is not a model config attnprof recognises. Open a Hugging Face config.json (with num_attention_heads or model_type), a Python script defining NUM_HEADS/HEAD_DIM, or LLaMA-Factory training arguments — or use "Profile Shape…".`,
    );
    return undefined;
  }
  if (analysis.kind === 'error') {
    const go = await vscode.window.showErrorMessage(
      `${name}:${analysis.line}:${analysis.column}: ${analysis.message}. Fix the file and run "Profile Open Model Config" again.`,
      'Go to Error',
    );
    if (go) {
      const editor = await vscode.window.showTextDocument(doc);
      const pos = doc.validatePosition(new vscode.Position(analysis.line - 1, analysis.column - 1));
      editor.selection = new vscode.Selection(pos, pos);
      editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
    }
    return undefined;
  }
  const settings = currentSettings(doc.uri);
  const parsed = analysis.parsed;
  try {
    if (parsed.models.length === 0) {
      const first = parsed.diagnostics.find((d) => d.severity !== 'info');
      throw new ProblemError(first ? `${first.message} (line ${first.line})` : 'no attention spec was found in the file');
    }
    const text = doc.getText();
    const request = configRequest(documentKey(doc), name, parsed.models, settings, text, mode, isTrainingConfig(parsed, text));
    for (const w of request.workloads) validateProblem(w.problem);
    return request;
  } catch (e) {
    if (!(e instanceof ProblemError)) throw e;
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    const where = errors.length ? ` (${errors.length} problem${errors.length > 1 ? 's' : ''} in the Problems panel, first at line ${errors[0].line})` : '';
    const advice =
      parsed.models.length > 0 && parsed.models.every((m) => m.unsupported)
        ? 'These kernels cannot run this attention; profile a comparable standard shape with "Profile Shape…"'
        : 'Fix the config, set attnprof.batch / attnprof.seqLen, or use "Profile Shape…"';
    void vscode.window.showErrorMessage(`Cannot profile ${name}: ${e.message.replace(/\.$/, '')}${where}. ${advice}.`);
    return undefined;
  }
}

async function askShape(context: vscode.ExtensionContext): Promise<ProfileRequest | undefined> {
  // attnprof.seqLen, when set, is the N the input starts from (the last shape typed keeps its other fields).
  const settings = currentSettings();
  const raw = await vscode.window.showInputBox({
    title: 'Attention Profiler: Profile Shape',
    prompt: `Batch, query heads, key/value heads, sequence length, head dim (${baseDtype(settings)}, kernels ${settings.kernels.join(', ')})`,
    placeHolder: SHAPE_PLACEHOLDER,
    value: withSeqLen(context.globalState.get<string>(LAST_SHAPE_KEY) ?? '1,32,8,1024,128 causal', settings.seqLen),
    ignoreFocusOut: true,
    validateInput: (text) => {
      const r = parseShapeInput(text, baseDtype(settings));
      return r.ok ? undefined : r.message;
    },
  });
  if (raw === undefined) return undefined;
  const parsed = parseShapeInput(raw, baseDtype(settings));
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(`Profile Shape: ${parsed.message}`);
    return undefined;
  }
  await context.globalState.update(LAST_SHAPE_KEY, raw.trim());
  return shapeRequest(parsed.problem, settings);
}

async function selectKernels(client: WorkerClient): Promise<void> {
  const settings = currentSettings();
  const current = settings.kernels;
  // What the Python that would run the torch:* kernels has: shown on each of them, and as a separator line.
  let probes: Awaited<ReturnType<WorkerClient['python']>> = [];
  try {
    const choice = await pythonChoice(settings, vscode.window.activeTextEditor?.document.uri);
    probes = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Looking for Python and PyTorch…' }, () => client.python(choice));
  } catch {
    probes = [];
  }
  // The adapter a profile would use: flash-mma runs only where it offers tensor-core matrices to WGSL.
  const adapters = await client.adapters().catch(() => []);
  const adapter = adapters.find((a) => settings.adapter && a.description.toLowerCase().includes(settings.adapter.toLowerCase())) ?? adapters[0];
  const mmaDetail = !adapter
    ? 'no WebGPU adapter found'
    : hasF16MatrixConfig(adapter)
      ? `available: ${adapter.description} (${adapter.subgroupMatrixConfigs.map(formatMatrixConfig).join(', ')})`
      : `unavailable (skipped in profiles): ${adapter.description} offers no 16×16×16 f16→f32 subgroup matrices to WGSL${adapter.f16Note ? `; ${adapter.f16Note}` : ''}`;
  const chosen = probes.find((p) => p.torch) ?? probes[0];
  const pythonLine = chosen
    ? `PyTorch: ${chosen.description}${probes.length > 1 ? ` — also tried ${probes.filter((p) => p !== chosen).map((p) => p.path).join(', ')}` : ''}`
    : 'PyTorch: no Python found (set attnprof.python)';
  type Item = vscode.QuickPickItem & { kernel?: string };
  const item = (k: string): Item => {
    const backend = torchBackendOf(k);
    const availability = backend ? chosen?.backends?.[backend] : undefined;
    const detail = backend
      ? chosen?.torch
        ? availability?.available
          ? 'available'
          : availability?.reason
        : `unavailable: ${chosen ? chosen.description : 'no Python found'}`
      : k === 'flash-mma'
        ? mmaDetail
        : undefined;
    return { label: k, kernel: k, description: backend ? TORCH_BACKEND_TEXT[backend] : kernelDescription(k), detail, picked: current.includes(k) };
  };
  const items: Item[] = [
    { label: 'Our kernels (WGSL through WebGPU)', kind: vscode.QuickPickItemKind.Separator },
    ...KNOWN_KERNELS.filter((k) => !isTorchKernel(k)).map(item),
    { label: pythonLine, kind: vscode.QuickPickItemKind.Separator },
    ...KNOWN_KERNELS.filter(isTorchKernel).map(item),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Attention Profiler: kernels to profile',
    canPickMany: true,
    placeHolder: 'Every selected kernel runs on the same inputs and is checked against a float64 reference',
  });
  if (!picked) return;
  if (picked.length === 0) {
    void vscode.window.showWarningMessage('Pick at least one kernel; the setting was left as it was.');
    return;
  }
  await saveSetting('kernels', picked.map((p) => p.kernel ?? p.label));
}

async function selectAdapter(client: WorkerClient): Promise<void> {
  let adapters;
  try {
    adapters = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Looking for GPU adapters…' },
      () => client.adapters(),
    );
  } catch (e) {
    if (e instanceof ProfileFailure) {
      void vscode.window.showErrorMessage(e.message);
      return;
    }
    throw e;
  }
  if (adapters.length === 0) {
    void vscode.window.showErrorMessage(
      'No GPU adapter found. Install a Vulkan driver for your GPU; on a machine without a GPU, install Mesa lavapipe (see the README).',
    );
    return;
  }
  const current = currentSettings().adapter;
  type Item = vscode.QuickPickItem & { value: string };
  const items: Item[] = [
    { label: 'Default', description: "Dawn's choice (high performance)", value: '', picked: current === '' },
    ...adapters.map((a) => ({
      label: a.description,
      description: [a.vendor, a.backend, a.isFallback ? 'software: timings not representative of a GPU' : ''].filter(Boolean).join(' · '),
      detail: a.architecture || a.device || undefined,
      value: a.description,
    })),
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Attention Profiler: GPU adapter',
    placeHolder: current ? `Now: ${current}` : 'Now: default',
  });
  if (!pick) return;
  await saveSetting('adapter', pick.value);
  // The worker opened Dawn with the old choice: the next profile should start fresh.
  client.stop('cancelled', 'The adapter changed.');
}

function entryItem(e: ReportEntry) {
  return {
    label: e.title,
    description: `${e.shape ? `${e.shape} · ` : ''}${bestText(e)}${e.isFallback ? ' · software' : ''}`,
    detail: `${new Date(e.createdAt).toLocaleString()} · ${e.adapter}`,
    id: e.id,
  };
}

async function pickEntry(store: ReportStore, placeHolder: string): Promise<ReportEntry | undefined> {
  await store.load();
  const entries = store.list();
  if (entries.length === 0) {
    void vscode.window.showInformationMessage('No reports yet: run "Profile Open Model Config" or "Profile Shape…" first.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(entries.map(entryItem), { title: 'Attention Profiler: reports', placeHolder });
  return pick ? store.entry(pick.id) : undefined;
}

async function pickTwo(store: ReportStore): Promise<string[]> {
  await store.load();
  const entries = store.list();
  if (entries.length < 2) {
    void vscode.window.showInformationMessage('Comparing needs two reports: profile again (another kernel set, adapter or shape) first.');
    return [];
  }
  // Two picks in turn, so the baseline is the one picked first whatever the list order (newest first). Both stay open
  // when the focus moves (a report that finishes loading, a notification): a two-step pick lost halfway is lost work.
  const base = await vscode.window.showQuickPick(entries.map(entryItem), {
    title: 'Compare Reports (1/2): the baseline A',
    placeHolder: 'Pick the report to compare against',
    ignoreFocusOut: true,
  });
  if (!base) return [];
  const other = await vscode.window.showQuickPick(
    entries.filter((e) => e.id !== base.id).map(entryItem),
    { title: `Compare Reports (2/2): B, set against A = ${base.label}`, placeHolder: 'Pick the report to compare with the baseline', ignoreFocusOut: true },
  );
  return other ? [base.id, other.id] : [];
}

async function loadReport(store: ReportStore, id: string): Promise<ProfileReport | undefined> {
  try {
    await store.load();
    return await store.get(id);
  } catch (e) {
    void vscode.window.showErrorMessage(`Cannot open the report: ${(e as Error).message}. Delete it from the Reports panel and profile again.`);
    return undefined;
  }
}

async function pickReport(store: ReportStore, id: string | undefined, placeHolder: string): Promise<ProfileReport | undefined> {
  const chosen = id ?? (await pickEntry(store, placeHolder))?.id;
  return chosen ? loadReport(store, chosen) : undefined;
}

