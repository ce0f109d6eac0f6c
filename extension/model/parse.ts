/** Entry points: pick the reader by file kind, collect models and diagnostics. */
import { readFileSync, statSync } from 'node:fs';
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

const MAX_DUPLICATE_WARNINGS = 20;

const LENIENCY_TEXT: Record<Leniency['kind'], string> = {
  comment: "comment: Hugging Face's loader (json.loads) rejects comments in config.json",
  'trailing-comma': "trailing comma: Hugging Face's loader (json.loads) rejects it in config.json",
  'non-finite-number': 'NaN/Infinity is not standard JSON (Python writes it, most JSON readers reject it)',
  'duplicate-key': 'duplicate key: the last value wins',
};

/**
 * Model configs and training scripts are kilobytes; beyond this a file is not one (or is hostile), and
 * parsing it would stall the editor: it is refused before any parsing.
 */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

function tooLarge(size: number): string {
  return `the file is ${(size / 1048576).toFixed(1)} MiB; attnprof reads configs up to ${MAX_CONFIG_BYTES / 1048576} MiB (a model config or training script is kilobytes)`;
}

export function parseConfigText(fileName: string, text: string, opts: ParseOptions = {}): ParsedConfig {
  // UTF-16 code units, not bytes: a 4-byte-per-character file passes here and is still bounded by 4× the limit.
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigParseError(tooLarge(text.length), 1, 1, fileName);
  const diagnostics: ConfigDiagnostic[] = [];
  const kind = kindOf(fileName, text);
  try {
    if (kind === 'hf-json') {
      const { root, leniencies } = parseJsonc(text);
      const strictJson = !/\.jsonc$/i.test(fileName);
      const reported = new Set<string>();
      let duplicates = 0;
      for (const l of leniencies) {
        if (l.kind === 'duplicate-key') {
          // A warning each for the first few; a file of a hundred thousand duplicates gets one more line, not
          // a hundred thousand Problems entries.
          if (++duplicates <= MAX_DUPLICATE_WARNINGS) diagnostics.push(diag('warning', `${LENIENCY_TEXT[l.kind]} ("${l.detail}")`, l));
        } else if (strictJson && !reported.has(l.kind)) {
          // One note per kind: the file is read either way, and a note per comment is noise.
          reported.add(l.kind);
          diagnostics.push(diag('info', LENIENCY_TEXT[l.kind], l));
        }
      }
      if (duplicates > MAX_DUPLICATE_WARNINGS) {
        const first = leniencies.find((l) => l.kind === 'duplicate-key') ?? { line: 1, column: 1 };
        diagnostics.push(diag('warning', `${duplicates - MAX_DUPLICATE_WARNINGS} more duplicate keys (${duplicates} in all): the last value of each wins`, first));
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

/** UTF-8 text of a config file, or a sentence saying why it is not one (folder, size, encoding). */
export function readConfigText(path: string): string {
  let bytes: Buffer;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ConfigParseError('this is a folder, not a config file', 1, 1, path);
    if (!st.isFile()) throw new ConfigParseError('this is not a regular file', 1, 1, path);
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigParseError(tooLarge(st.size), 1, 1, path);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof ConfigParseError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigParseError(`cannot read file: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`, 1, 1, path);
  }
  if (bytes.length > MAX_CONFIG_BYTES) throw new ConfigParseError(tooLarge(bytes.length), 1, 1, path);
  const encoding = utf16Encoding(bytes);
  if (encoding) {
    throw new ConfigParseError(`the file is ${encoding} encoded; Hugging Face and attnprof read UTF-8: save it as UTF-8`, 1, 1, path);
  }
  return bytes.toString('utf8');
}

/** 'UTF-16 LE' / 'UTF-16 BE' when the bytes carry a UTF-16 byte-order mark or the NUL pattern of ASCII in UTF-16. */
function utf16Encoding(b: Uint8Array): string | undefined {
  if (b[0] === 0xff && b[1] === 0xfe) return 'UTF-16 LE';
  if (b[0] === 0xfe && b[1] === 0xff) return 'UTF-16 BE';
  if (b.length >= 4 && b[0] !== 0 && b[1] === 0 && b[2] !== 0 && b[3] === 0) return 'UTF-16 LE';
  if (b.length >= 4 && b[0] === 0 && b[1] !== 0 && b[2] === 0 && b[3] !== 0) return 'UTF-16 BE';
  return undefined;
}

export function parseConfigFile(path: string): ParsedConfig {
  const text = readConfigText(path);
  const dir = dirname(path);
  return parseConfigText(path, text, {
    readSibling: (rel) => {
      try {
        return readConfigText(resolve(dir, rel));
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
