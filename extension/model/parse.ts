/** Entry points: pick the reader by file kind, collect models and diagnostics. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { diag } from './fields';
import { readHfConfig } from './hfConfig';
import { parseJsonc, type JsonNode, type Leniency } from './jsonc';
import { PY_ATTENTION_NAMES, readPythonModel } from './pythonConstants';
import { applyTrainingArgs, isTrainingArgsText, readShellArgs, readYamlScalars, type ArgValue } from './trainingArgs';
import { ConfigParseError, type ConfigDiagnostic, type ParsedConfig, type ParseOptions } from './types';

type Kind = ParsedConfig['kind'];

function kindOf(fileName: string, text: string): Kind | 'yaml' | 'sh' | undefined {
  const lower = fileName.toLowerCase();
  if (/\.jsonc?$/.test(lower)) return 'hf-json';
  if (/\.pyi?$/.test(lower)) return 'python';
  if (/\.ya?ml$/.test(lower)) return 'yaml';
  if (/\.(sh|bash)$/.test(lower)) return 'sh';
  const head = text.trimStart();
  if (head.startsWith('{')) return 'hf-json';
  if (head.startsWith('#!') && /\b(ba)?sh\b/.test(head.slice(0, 40))) return 'sh';
  return undefined;
}

const LENIENCY_TEXT: Record<Leniency['kind'], string> = {
  comment: "comment: Hugging Face's loader (json.loads) rejects comments in config.json",
  'trailing-comma': "trailing comma: Hugging Face's loader (json.loads) rejects it in config.json",
  'non-finite-number': 'NaN/Infinity is not standard JSON (Python writes it, most JSON readers reject it)',
  'duplicate-key': 'duplicate key: the last value wins',
};

export function parseConfigText(fileName: string, text: string, opts: ParseOptions = {}): ParsedConfig {
  const diagnostics: ConfigDiagnostic[] = [];
  const kind = kindOf(fileName, text);
  try {
    if (kind === 'hf-json') {
      const { root, leniencies } = parseJsonc(text);
      const strictJson = !/\.jsonc$/i.test(fileName);
      const reported = new Set<string>();
      for (const l of leniencies) {
        if (l.kind === 'duplicate-key') {
          diagnostics.push(diag('warning', `${LENIENCY_TEXT[l.kind]} ("${l.detail}")`, l));
        } else if (strictJson && !reported.has(l.kind)) {
          // One note per kind: the file is read either way, and a note per comment is noise.
          reported.add(l.kind);
          diagnostics.push(diag('info', LENIENCY_TEXT[l.kind], l));
        }
      }
      const args = jsonArgs(root);
      if (args && isTrainingArgsText(args)) {
        return { file: fileName, kind: 'training-args', models: applyTrainingArgs(args, loader(opts), diagnostics), diagnostics };
      }
      return { file: fileName, kind: 'hf-json', models: readHfConfig(root, diagnostics), diagnostics };
    }
    if (kind === 'python') {
      return { file: fileName, kind: 'python', models: readPythonModel(fileName, text, diagnostics), diagnostics };
    }
    if (kind === 'yaml' || kind === 'sh') {
      const args = kind === 'yaml' ? readYamlScalars(text) : readShellArgs(text);
      return { file: fileName, kind: 'training-args', models: applyTrainingArgs(args, loader(opts), diagnostics), diagnostics };
    }
  } catch (e) {
    if (e instanceof ConfigParseError) e.file = fileName;
    throw e;
  }
  throw new ConfigParseError('unrecognised config file: expected .json/.jsonc (Hugging Face config), .py, .yaml/.yml or .sh', 1, 1, fileName);
}

/** Trainer arguments saved as JSON (`python train.py args.json`) read like the YAML form. */
function jsonArgs(root: JsonNode): Map<string, ArgValue> | undefined {
  if (root.type !== 'object' || !root.members.has('model_name_or_path')) return undefined;
  const out = new Map<string, ArgValue>();
  for (const m of root.members.values()) {
    const v = m.value;
    if (v.type === 'string' || v.type === 'number' || v.type === 'boolean') {
      const value = v.type === 'number' ? v.raw : String(v.value);
      out.set(m.key, { key: m.key, value, keyPos: { line: m.keySpan.line, column: m.keySpan.column }, valueSpan: v });
    }
  }
  return out;
}

function loader(opts: ParseOptions) {
  return (relPath: string) => {
    const text = opts.readSibling?.(relPath);
    if (text === undefined) return undefined;
    try {
      const parsed = parseConfigText(relPath, text);
      return { models: parsed.models, diagnostics: parsed.diagnostics, path: relPath };
    } catch (e) {
      if (e instanceof ConfigParseError) {
        return {
          models: [],
          diagnostics: [{ severity: 'error' as const, message: `cannot parse the model config: ${e.message}`, line: e.line, column: e.column }],
          path: relPath,
        };
      }
      throw e;
    }
  };
}

export function parseConfigFile(path: string): ParsedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigParseError(`cannot read file: ${(e as Error).message}`, 1, 1, path);
  }
  const dir = dirname(path);
  return parseConfigText(path, text, {
    readSibling: (rel) => {
      try {
        return readFileSync(resolve(dir, rel), 'utf8');
      } catch {
        return undefined;
      }
    },
  });
}

const JSON_HINT = /"(num_attention_heads|n_head|num_heads|text_config|vision_config|model_type|model_name_or_path)"\s*:/;
const YAML_HINT = /^(model_name_or_path|cutoff_len|per_device_train_batch_size)\s*:/m;
const SH_HINT = /--(model_name_or_path|cutoff_len|per_device_train_batch_size|model_max_length)\b/;

/** Cheap check for CodeLens activation: no full parse, no I/O. */
export function isRecognisedConfig(fileName: string, text: string): boolean {
  const kind = kindOf(fileName, text);
  if (kind === 'hf-json') return JSON_HINT.test(text.slice(0, 200_000));
  if (kind === 'yaml') return YAML_HINT.test(text);
  if (kind === 'sh') return SH_HINT.test(text);
  if (kind === 'python') {
    const re = /^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)/gm;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) if (PY_ATTENTION_NAMES.has(m[1])) return true;
  }
  return false;
}
