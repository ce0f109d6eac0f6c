/**
 * LLaMA-Factory YAML and HF Trainer shell arguments: the sequence length and batch a training run uses, and
 * the model config they point at (read through `readSibling`, so the parser itself does no I/O).
 */
import { diag } from './fields';
import type { Span } from './jsonc';
import type { ConfigDiagnostic, FieldRef, FieldRole, ModelAttention } from './types';

export interface ArgValue {
  key: string;
  value: string;
  keyPos: { line: number; column: number };
  valueSpan: Span;
}

const SEQ_KEYS = ['cutoff_len', 'max_seq_length', 'max_seq_len', 'model_max_length', 'max_length', 'block_size'];
const BATCH_KEYS = ['per_device_train_batch_size', 'per_device_eval_batch_size', 'train_batch_size', 'micro_batch_size'];
const MODEL_KEYS = ['model_name_or_path', 'model_path', 'model_id', 'pretrained_model_name_or_path'];

/** Top-level `key: value` lines; nested blocks, lists and anchors are ignored (we only need scalars). */
export function readYamlScalars(text: string): Map<string, ArgValue> {
  const out = new Map<string, ArgValue>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const m = /^([A-Za-z_][\w.-]*)\s*:(?:\s+|$)(.*)$/.exec(raw);
    if (!m) return;
    let value = m[2];
    let col = raw.length - value.length + 1;
    if (/^["']/.test(value)) {
      const q = value[0];
      const end = value.indexOf(q, 1);
      value = end > 0 ? value.slice(1, end) : value.slice(1);
      col += 1;
    } else {
      value = value.replace(/\s+#.*$/, '').trim();
    }
    if (value === '' || value === '|' || value === '>') return;
    out.set(m[1], {
      key: m[1],
      value,
      keyPos: { line: idx + 1, column: 1 },
      valueSpan: { line: idx + 1, column: col, endLine: idx + 1, endColumn: col + value.length },
    });
  });
  return out;
}

/** `--flag value`, `--flag=value` and bare `--flag` (true) anywhere in a shell script, continuations included. */
export function readShellArgs(text: string): Map<string, ArgValue> {
  const out = new Map<string, ArgValue>();
  const lines = text.split(/\r?\n/);
  type Word = { text: string; line: number; column: number };
  const words: Word[] = [];
  lines.forEach((raw, idx) => {
    const code = raw.replace(/(^|\s)#.*$/, '');
    const re = /"([^"]*)"|'([^']*)'|([^\s\\"']+)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(code))) {
      const quoted = m[1] ?? m[2];
      words.push({ text: quoted ?? m[3], line: idx + 1, column: m.index + 1 + (quoted !== undefined ? 1 : 0) });
    }
    if (!/\\\s*$/.test(code)) words.push({ text: ';', line: idx + 1, column: code.length + 1 });
  });
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const m = /^--([A-Za-z_][\w.-]*)(?:=(.*))?$/.exec(w.text);
    if (!m) continue;
    const key = m[1];
    let value: string;
    let at: Word;
    if (m[2] !== undefined) {
      value = m[2];
      at = { text: value, line: w.line, column: w.column + key.length + 3 };
    } else {
      const next = words[i + 1];
      if (next && !next.text.startsWith('--') && next.text !== ';' && next.text !== '|' && next.text !== '&&') {
        value = next.text;
        at = next;
        i++;
      } else {
        value = 'true';
        at = w;
      }
    }
    out.set(key, {
      key,
      value,
      keyPos: { line: w.line, column: w.column },
      valueSpan: { line: at.line, column: at.column, endLine: at.line, endColumn: at.column + value.length },
    });
  }
  return out;
}

export function isTrainingArgsText(args: Map<string, ArgValue>): boolean {
  return MODEL_KEYS.some((k) => args.has(k)) && [...SEQ_KEYS, ...BATCH_KEYS, 'flash_attn', 'finetuning_type'].some((k) => args.has(k));
}

export type ModelLoader = (relPath: string) => { models: ModelAttention[]; diagnostics: ConfigDiagnostic[]; path: string } | undefined;

export function applyTrainingArgs(args: Map<string, ArgValue>, loadModel: ModelLoader, diagnostics: ConfigDiagnostic[]): ModelAttention[] {
  const fields: FieldRef[] = [];
  const first = (keys: string[]) => keys.map((k) => args.get(k)).find((v) => v !== undefined);
  const record = (a: ArgValue, role: FieldRole) => fields.push({ key: a.key, line: a.keyPos.line, column: a.keyPos.column, role });
  const positiveInt = (a: ArgValue | undefined, role: FieldRole): number | undefined => {
    if (!a) return undefined;
    record(a, role);
    const v = Number(a.value);
    if (!/^\s*\d+\s*$/.test(a.value) || !Number.isSafeInteger(v) || v < 1) {
      diagnostics.push(diag('error', `${a.key} must be a positive integer, got ${JSON.stringify(a.value)}`, a.valueSpan));
      return undefined;
    }
    return v;
  };

  const modelArg = first(MODEL_KEYS);
  const seqArg = first(SEQ_KEYS);
  const batchArg = first(BATCH_KEYS);
  const seqLen = positiveInt(seqArg, 'seqLen');
  const batch = positiveInt(batchArg, 'batch');
  const flash = args.get('flash_attn') ?? args.get('attn_implementation');
  if (flash) record(flash, 'model');
  const bf16 = args.get('bf16');
  const fp16 = args.get('fp16');
  const packing = args.get('packing') ?? args.get('neat_packing');
  if (packing && /^(true|1)$/i.test(packing.value)) {
    diagnostics.push(diag('info', `${packing.key}: sequences are packed to ${seqLen ?? 'the cutoff'} tokens, so every row is full length`, packing.valueSpan));
  }

  if (!modelArg) {
    diagnostics.push(diag('warning', 'no model_name_or_path: cannot tell which model these arguments train', { line: 1, column: 1 }));
    return [];
  }
  record(modelArg, 'model');
  const ref = modelArg.value;
  const candidates = /\.json$/i.test(ref) ? [ref] : [`${ref.replace(/[\\/]+$/, '')}/config.json`];
  const loaded = candidates.map((c) => loadModel(c)).find((r) => r !== undefined);
  if (!loaded) {
    diagnostics.push(
      diag(
        'warning',
        `model config not found beside this file at ${candidates[0]}` +
          (/^[\w.-]+\/[\w.-]+$/.test(ref) && !ref.startsWith('.') ? ` (looks like a Hub id: download ${ref}/config.json next to this file to analyse it)` : ''),
        modelArg.valueSpan,
      ),
    );
    return [];
  }
  for (const d of loaded.diagnostics) {
    if (d.severity === 'info') continue;
    diagnostics.push(diag(d.severity, `${loaded.path}:${d.line}:${d.column}: ${d.message}`, modelArg.valueSpan));
  }
  return loaded.models.map((base) => {
    const m: ModelAttention = { ...base, fields: [...fields] };
    if (seqLen !== undefined) {
      m.seqLen = seqLen;
      if (m.maxSeqLen > 0 && seqLen > m.maxSeqLen && seqArg) {
        diagnostics.push(diag('warning', `${seqArg.key} ${seqLen} exceeds ${m.name}'s ${m.maxSeqLen} positions`, seqArg.valueSpan));
      }
    }
    if (batch !== undefined) m.batch = batch;
    if (flash) m.attnImplementation = flash.value;
    if ((bf16 && /^(true|1)$/i.test(bf16.value)) || (fp16 && /^(true|1)$/i.test(fp16.value))) m.dtypeBytes = 2;
    return m;
  });
}
