/**
 * "Analyze Padding Efficiency…": pick a lengths file, confirm B / L / causal (defaults from the open training
 * config or model config, else a shape as "Profile Shape…" takes it), choose whether to measure on the GPU, then
 * run in the worker with a cancellable notification; the report lands in the side panel and opens on Padding.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
import { ProblemError } from '../../kernels/problem';
import type { PaddingRequest } from '../protocol/worker';
import { analyseConfig } from '../hints/analysis';
import { baseDtype } from '../hints/settings';
import { checkPositiveInt, type AnalyzePaddingArgs } from '../hints/paddingInput';
import { paddingAttention } from '../engine/padding';
import { paddingDefaults } from '../hints/paddingLens';
import { parseShapeInput, SHAPE_PLACEHOLDER } from '../hints/shapeInput';
import type { ModelAttention } from '../model';
import type { PaddingAttention } from '../padding/types';
import { CONFIG_LANGUAGES, documentKey } from './configDocuments';
import { LAST_LENGTHS_KEY } from './paddingLenses';
import type { Profiler } from './profiler';
import { currentSettings } from './settings';

/** Batches timed per strategy, and iterations per batch: enough to rank strategies in well under a minute. */
export const PADDING_SAMPLES = 4;
export const PADDING_ITERATIONS = 3;
export const PADDING_WARMUP = 1;
const LAST_SHAPE_KEY = 'attnprof.padding.lastShape';

interface ModelContext {
  name: string;
  file?: string;
  models: ModelAttention[];
}

function modelFromDocument(doc: vscode.TextDocument | undefined): ModelContext | undefined {
  if (!doc || !(CONFIG_LANGUAGES as readonly string[]).includes(doc.languageId)) return undefined;
  const dir = doc.uri.scheme === 'file' ? dirname(doc.uri.fsPath) : undefined;
  const analysis = analyseConfig(doc.fileName, doc.getText(), (rel) => {
    if (!dir) return undefined;
    const path = resolve(dir, rel);
    return vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === path)?.getText() ?? readSmall(path);
  });
  if (analysis.kind !== 'parsed') return undefined;
  const models = analysis.parsed.models.filter((m) => !m.unsupported);
  if (models.length === 0) return undefined;
  return { name: doc.uri.scheme === 'file' ? vscode.workspace.asRelativePath(doc.uri, false) : basename(doc.fileName), file: documentKey(doc), models };
}

function readSmall(path: string): string | undefined {
  try {
    // Training YAML names its model config beside it; a config is small (the CLI reads it the same way).
    return statSync(path).size <= 4 << 20 ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

async function pickLengthsFile(context: vscode.ExtensionContext): Promise<string | undefined> {
  const last = context.workspaceState.get<string>(LAST_LENGTHS_KEY);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const picked = await vscode.window.showOpenDialog({
    title: 'Attention Profiler: sequence lengths to analyse',
    openLabel: 'Analyze',
    canSelectMany: false,
    canSelectFiles: true,
    canSelectFolders: false,
    filters: { 'Sequence lengths (text, JSONL, .npy, histogram CSV/JSON)': ['txt', 'jsonl', 'npy', 'csv', 'json'], 'All files': ['*'] },
    ...(last ? { defaultUri: vscode.Uri.file(last) } : folder ? { defaultUri: folder } : {}),
  });
  const uri = picked?.[0];
  if (!uri) return undefined;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('Analyze Padding: the lengths file must be on this machine (or the remote the workspace runs on).');
    return undefined;
  }
  await context.workspaceState.update(LAST_LENGTHS_KEY, uri.fsPath);
  return uri.fsPath;
}

async function askInt(step: number, title: string, prompt: string, value: string, max: number, allowEmpty: boolean, placeHolder?: string): Promise<number | null | undefined> {
  const raw = await vscode.window.showInputBox({
    title: `Analyze Padding (${step}/5): ${title}`,
    prompt,
    value,
    placeHolder,
    ignoreFocusOut: true,
    validateInput: (text) => checkPositiveInt(text, max, allowEmpty),
  });
  if (raw === undefined) return undefined;
  return raw.trim() === '' ? null : Number(raw.trim());
}

async function pickBoolean(step: number, title: string, yes: vscode.QuickPickItem, no: vscode.QuickPickItem, def: boolean): Promise<boolean | undefined> {
  // The default comes first so Enter accepts it.
  const items = def ? [{ ...yes, value: true }, { ...no, value: false }] : [{ ...no, value: false }, { ...yes, value: true }];
  const pick = await vscode.window.showQuickPick(items, { title: `Analyze Padding (${step}/5): ${title}`, ignoreFocusOut: true });
  return pick?.value;
}

export async function analyzePadding(context: vscode.ExtensionContext, profiler: Profiler, uri: vscode.Uri | undefined, args: AnalyzePaddingArgs, onLengthsChosen: () => void): Promise<void> {
  const settings = currentSettings(uri);
  const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  const model = modelFromDocument(doc);
  const lengthsFile = args.lengthsFile ?? (await pickLengthsFile(context));
  if (!lengthsFile) return;
  if (!args.lengthsFile) onLengthsChosen();

  let attention: PaddingAttention | undefined;
  let defaults: { batchSize?: number; maxLength?: number; causal: boolean } = { causal: true };
  let title: string;
  if (model) {
    try {
      attention = paddingAttention(model.models, baseDtype(settings));
    } catch (e) {
      if (!(e instanceof ProblemError)) throw e;
      // Arithmetic still works without a runnable attention; only memory and measuring need it.
      void vscode.window.showWarningMessage(`Analyze Padding: ${e.message.replace(/\.$/, '')}; the padding arithmetic runs without memory or measured times.`);
    }
    defaults = paddingDefaults(model.models[0]);
    title = `${model.models[0].name} — ${model.name}`;
  } else {
    const raw = await vscode.window.showInputBox({
      title: 'Analyze Padding (1/5): attention shape (no model config is open)',
      prompt: `B,Hq,Hkv,N,D of the model: B and N become the defaults of batch size and max length (${baseDtype(settings)})`,
      placeHolder: SHAPE_PLACEHOLDER,
      value: context.globalState.get<string>(LAST_SHAPE_KEY) ?? '8,32,8,2048,128 causal',
      ignoreFocusOut: true,
      validateInput: (text) => {
        const r = parseShapeInput(text, baseDtype(settings));
        return r.ok ? undefined : r.message;
      },
    });
    if (raw === undefined) return;
    const parsed = parseShapeInput(raw, baseDtype(settings));
    if (!parsed.ok) return;
    await context.globalState.update(LAST_SHAPE_KEY, raw.trim());
    const p = parsed.problem;
    attention = { name: 'shape', heads: p.heads, kvHeads: p.kvHeads, headDim: p.headDim, dtype: p.dtype, dtypeBytes: p.dtype === 'f16' ? 2 : 4, causal: p.causal };
    defaults = { batchSize: p.batch, maxLength: p.seqLenQ, causal: p.causal };
    title = `shape ${p.heads}:${p.kvHeads}×${p.headDim}`;
  }

  const batch = await askInt(2, 'batch size', 'Rows per batch (B)', String(args.batchSize ?? defaults.batchSize ?? 8), 65536, false);
  if (batch === undefined || batch === null) return;
  const maxLengthDefault = args.maxLength ?? defaults.maxLength;
  const maxLength = await askInt(
    3,
    'max length',
    'L: fixed pads and truncates to it, packed rows hold L tokens. Leave empty for the longest length in the file.',
    maxLengthDefault ? String(maxLengthDefault) : '',
    2 ** 26,
    true,
    'empty = the longest sequence',
  );
  if (maxLength === undefined) return;
  const causal = await pickBoolean(
    4,
    'attention mask',
    { label: 'Causal', description: 'decoder: a query sees earlier keys (work counted as triangles)' },
    { label: 'Bidirectional', description: 'encoder: every query sees every key' },
    attention?.causal ?? defaults.causal,
  );
  if (causal === undefined) return;
  const measure = attention
    ? await pickBoolean(
        5,
        'measure on the GPU?',
        { label: 'Measure on the GPU', description: `flash on ${PADDING_SAMPLES} sampled batches per strategy (seconds to minutes)` },
        { label: 'Arithmetic only', description: 'instant: token and attention-work efficiency, no GPU' },
        false,
      )
    : false;
  if (measure === undefined) return;

  const lengthsLabel = vscode.workspace.asRelativePath(lengthsFile, false);
  const request: PaddingRequest = {
    title: `Padding: ${title} · ${basename(lengthsFile)}`,
    source: model ? { kind: 'config', ...(model.file ? { file: model.file } : {}), model: model.models[0].name } : { kind: 'shape' },
    lengthsFile,
    lengthsLabel,
    batchSize: batch,
    ...(maxLength !== null ? { maxLength } : {}),
    causal,
    ...(attention ? { attention: { ...attention, causal } } : {}),
    ...(measure && attention
      ? { measure: { samples: PADDING_SAMPLES, iterations: PADDING_ITERATIONS, warmup: PADDING_WARMUP, ...(settings.adapter ? { adapterName: settings.adapter } : {}) } }
      : {}),
  };
  await profiler.runPadding(request);
}
