/**
 * The fuzz corpus: hostile variants of real configs, training scripts, lengths files and tensors, generated
 * from a seed so every run (and every CI machine) sees the same inputs, and a failure names the seed and
 * the case index that reproduce it. Mutations follow issue 12's fuzzing pass: values that are JavaScript
 * built-in names, Markdown/HTML payloads, sizes past any real model, broken encodings, deep nesting,
 * duplicate keys, truncation, and files that lie about their own size.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** mulberry32: small, seedable, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzCase {
  /** File name the reader sees (its extension picks the reader). */
  name: string;
  bytes: Uint8Array;
  /** What was done to it, for the failure message. */
  mutation: string;
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const BUILTIN_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', '__defineGetter__'];
const PAYLOADS = [
  '[click](https://example.invalid/x)',
  '![](https://example.invalid/t.png)',
  '<img src=x onerror=alert(1)>',
  '</script><script>alert(1)</script>',
  '$(alert) $(zap~spin)',
  '${process.exit(7)}',
  '`rm -rf /`',
  '\u202eevil\u202c',
  'a\u0000b',
  '\u001b[31mred\u001b[0m',
  'ä̵͉͐̾ 中文 🚀',
];
/** JSON source text of hostile values for a numeric field. */
const HOSTILE_NUMBERS = [
  '0', '-1', '-0', '1.5', '1e308', '1e400', '-1e400', '4294967296', '1000000000', '1e9', '9007199254740993', 'NaN', 'Infinity',
  '-Infinity', '"8"', '"eight"', 'null', 'true', '[]', '{}', '[224, -224]', '[-224, -224]', '[224, 225]', '[0, 0]',
  '[1e308, 1e308]', '[224]', '12345678901234567890',
];

function jsonString(s: string): string {
  return JSON.stringify(s);
}

/** Every `"key": value` span of a (flat enough) JSON text: where a value can be swapped. */
function valueSpans(text: string): { key: string; start: number; end: number }[] {
  const out: { key: string; start: number; end: number }[] = [];
  const re = /"([^"\\]{1,60})"\s*:\s*(-?[0-9][0-9.eE+-]*|true|false|null|"[^"\\\n]{0,200}"|\[[^\][{}]{0,200}\])/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out.push({ key: m[1], start: m.index + m[0].length - m[2].length, end: m.index + m[0].length });
  return out;
}

function mutateJson(r: Rand, base: string, large: boolean): { text: string | Uint8Array; mutation: string } {
  const spans = valueSpans(base);
  const kind = int(r, 0, 15);
  const swap = (value: string) => {
    const s = pick(r, spans);
    return { text: base.slice(0, s.start) + value + base.slice(s.end), mutation: `"${s.key}": ${value.slice(0, 60)}` };
  };
  switch (kind) {
    case 0:
    case 1:
    case 2:
      return swap(pick(r, HOSTILE_NUMBERS));
    case 3:
      return swap(jsonString(pick(r, [...BUILTIN_NAMES, ...PAYLOADS])));
    case 4: {
      // model_type / torch_dtype as a built-in name or a payload
      const key = pick(r, ['model_type', 'torch_dtype', 'sliding_window', 'num_hidden_layers', 'architectures']);
      const value = key === 'architectures' ? `[${jsonString(pick(r, PAYLOADS))}]` : jsonString(pick(r, [...BUILTIN_NAMES, ...PAYLOADS]));
      return { text: base.replace(/^\s*\{/, `{"${key}": ${value}, `), mutation: `"${key}": ${value}` };
    }
    case 5: {
      const depth = pick(r, [10, 200, 257, 300, 5000]);
      const text = base.replace(/^\s*\{/, `{"deep": ${'['.repeat(depth)}1${']'.repeat(depth)}, `);
      return { text, mutation: `nesting ${depth}` };
    }
    case 6: {
      const n = pick(r, [100, 10000, 100000]);
      const text = base.replace(/^\s*\{/, `{${'"num_attention_heads": 8, '.repeat(n)}`);
      return { text, mutation: `${n} duplicate keys` };
    }
    case 7: {
      const n = pick(r, [1000, 50000]);
      const keys = Array.from({ length: n }, (_, i) => `"k${i}": ${i}`).join(', ');
      return { text: base.replace(/^\s*\{/, `{${keys}, `), mutation: `${n} extra keys` };
    }
    case 8: {
      const at = int(r, 0, base.length - 1);
      return { text: base.slice(0, at), mutation: `truncated at ${at}` };
    }
    case 9: {
      const bytes = Buffer.from(base, 'utf8');
      const flips = int(r, 1, 8);
      for (let i = 0; i < flips; i++) bytes[int(r, 0, bytes.length - 1)] = int(r, 0, 255);
      return { text: bytes, mutation: `${flips} random bytes` };
    }
    case 10: {
      const enc = pick(r, ['utf16le', 'utf16le-bom', 'utf8-bom', 'latin1']);
      const bytes =
        enc === 'utf16le'
          ? Buffer.from(base, 'utf16le')
          : enc === 'utf16le-bom'
            ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(base, 'utf16le')])
            : enc === 'utf8-bom'
              ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(base)])
              : Buffer.from(base.replace(/"model_type"/, '"m\u00e9del_type"'), 'latin1');
      return { text: bytes, mutation: `encoded ${enc}` };
    }
    case 11: {
      // Parsing a 7 MiB config takes a second: the large corpus only. Over the limit is refused unread.
      const size = pick(r, large ? [1 << 20, 7 << 20, 9 << 20] : [1 << 16, 1 << 20, 9 << 20]);
      return { text: base.replace(/^\s*\{/, `{"blob": "${'x'.repeat(size)}", `), mutation: `${size}-char string` };
    }
    case 12: {
      const n = pick(r, [1000, 100000]);
      return { text: base.replace(/^\s*\{/, `{"layer_types": [${Array.from({ length: n }, (_, i) => (i % 3 ? '"full_attention"' : '"sliding_attention"')).join(',')}], `), mutation: `layer_types × ${n}` };
    }
    case 13: {
      const layers = pick(r, ['4294967296', '1000000000', '10000000', '1e15']);
      const type = pick(r, ['gemma2', 'mistral', 'qwen2', 'llama']);
      return {
        text: `{"model_type": "${type}", "num_hidden_layers": ${layers}, "use_sliding_window": true, "max_window_layers": 3, "sliding_window": 16, "max_position_embeddings": 64}`,
        mutation: `${type} with ${layers} layers`,
      };
    }
    case 14: {
      const nested = pick(r, ['text_config', 'vision_config', 'text_config_dict']);
      return swap(`{"model_type": ${jsonString(pick(r, [...BUILTIN_NAMES, 'llama', 'vit']))}, "${nested}": {"model_type": "constructor"}}`);
    }
    default: {
      const junk = pick(r, ['// c\n', '/* */', ',', ',,', '\u0000', '\u001b', '\ufeff', "'single'", 'undefined', '\\u0000']);
      const at = int(r, 0, base.length);
      return { text: base.slice(0, at) + junk + base.slice(at), mutation: `inserted ${JSON.stringify(junk)} at ${at}` };
    }
  }
}

const PY_BASE = 'NUM_HEADS = 12\nHEAD_DIM = 64\nEMBED_DIM = NUM_HEADS * HEAD_DIM\nDEPTH = 12\nPATCH_SIZE = 16\nIMG_SIZE = 224\nBATCH_SIZE = 8\n';

function mutatePython(r: Rand): { text: string; mutation: string } {
  const name = pick(r, ['NUM_HEADS', 'HEAD_DIM', 'DEPTH', 'SEQ_LEN', 'SOFTCAP', 'WINDOW', 'IMG_SIZE', 'PATCH_SIZE', 'BATCH_SIZE', 'CAUSAL', 'NUM_KV_HEADS']);
  const n = pick(r, [10, 100, 1000, 20000]);
  const exprs = [
    `${'-'.repeat(n)}8`,
    `2${'**2'.repeat(n)}`,
    `${'('.repeat(n)}1${')'.repeat(n)}`,
    `${'-2**'.repeat(n)}2`,
    '10**400',
    '-10**400',
    '2**53 + 1',
    '1 // 0',
    '0.5',
    '"16"',
    "'''unterminated",
    '"unterminated',
    'max(' + Array.from({ length: n }, () => '3').join(',') + ')',
    'int(1e308)',
    'NUM_HEADS + UNDEFINED',
    '__import__("os").system("true")',
    'lambda: 0',
    'True',
    '0x7fffffffffffffff',
    '1_000_000_000_000',
    '3j',
    '"' + pick(r, PAYLOADS) + '"',
  ];
  const op = pick(r, ['=', '+=', '-=', '*=', '//=', '**=', '%=', ': int =']);
  const line = `${name} ${op} ${pick(r, exprs)}\n`;
  const where = int(r, 0, 2);
  const text = where === 0 ? line + PY_BASE : where === 1 ? PY_BASE + line : PY_BASE.replace('DEPTH = 12\n', `DEPTH = 12\n${line}`);
  return { text, mutation: line.slice(0, 80).trim() };
}

function mutateTrainingArgs(r: Rand, yaml: boolean): { text: string; mutation: string } {
  const model = pick(r, ['./qwen2-7b', '/dev/zero', '.', '..', '/', 'train.yaml', 'nope/none', '../' .repeat(50), 'constructor', '__proto__']);
  const value = pick(r, ['2048', '-1', '0', '1e400', 'NaN', 'one', '99999999999999999999', '"4096"', '', '&anchor', '*alias', '[1, 2]', '{a: 1}']);
  const key = pick(r, ['cutoff_len', 'per_device_train_batch_size', 'model_max_length', 'constructor', '__proto__']);
  if (yaml) return { text: `model_name_or_path: ${model}\n${key}: ${value}\nper_device_train_batch_size: 4\n`, mutation: `${key}: ${value}, model ${model}` };
  return {
    text: `#!/bin/bash\ntorchrun train.py \\\n  --model_name_or_path ${model} \\\n  --${key} ${value} \\\n  --per_device_train_batch_size=4\n`,
    mutation: `--${key} ${value}, model ${model}`,
  };
}

function configBases(fixtures: string): { name: string; text: string }[] {
  return readdirSync(fixtures)
    .filter((f) => f.endsWith('.json') && statSync(join(fixtures, f)).isFile())
    .sort()
    .map((f) => ({ name: f, text: readFileSync(join(fixtures, f), 'utf8') }));
}

/** `count` config-like inputs (JSON, Python, YAML, shell) from `seed`, mutating the real configs in `fixtures`. */
export function configCorpus(seed: number, count: number, fixtures: string, large = false): FuzzCase[] {
  const r = rng(seed);
  const bases = configBases(fixtures);
  const out: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r();
    if (kind < 0.7) {
      const base = pick(r, bases);
      const m = mutateJson(r, base.text, large);
      out.push({ name: pick(r, ['config.json', 'config.jsonc', 'weird']), bytes: typeof m.text === 'string' ? Buffer.from(m.text) : m.text, mutation: `${base.name}: ${m.mutation}` });
    } else if (kind < 0.85) {
      const m = mutatePython(r);
      out.push({ name: 'train.py', bytes: Buffer.from(m.text), mutation: m.mutation });
    } else {
      const yaml = r() < 0.5;
      const m = mutateTrainingArgs(r, yaml);
      out.push({ name: yaml ? 'train.yaml' : 'train.sh', bytes: Buffer.from(m.text), mutation: m.mutation });
    }
  }
  return out;
}

function npyBytes(dict: string, data: Uint8Array, headerLen?: number, major = 1): Uint8Array {
  const header = Buffer.from(dict + '\n', 'latin1');
  const prefix = Buffer.alloc(major === 1 ? 10 : 12);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const len = headerLen ?? header.length;
  if (major === 1) prefix.writeUInt16LE(len & 0xffff, 8);
  else prefix.writeUInt32LE(len >>> 0, 8);
  return Buffer.concat([prefix, header, data]);
}

/** Lengths files (text, JSONL, CSV, JSON histogram, .npy) with hostile content. */
export function lengthsCorpus(seed: number, count: number): FuzzCase[] {
  const r = rng(seed);
  const out: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const kind = int(r, 0, 6);
    const n = pick(r, [1, 10, 1000]);
    const lens = Array.from({ length: n }, () => int(r, 1, 4096));
    switch (kind) {
      case 0: {
        const junk = pick(r, ['-5', '0', '1e9', '99999999999999999999', 'NaN', '', '#c', '\u0000', '12abc', '3.5', '0x10', '\ufeff7']);
        out.push({ name: 'lengths.txt', bytes: Buffer.from([...lens.map(String), junk].join(pick(r, ['\n', '\r\n', '\r']))), mutation: `text + ${JSON.stringify(junk)}` });
        break;
      }
      case 1: {
        const rec = pick(r, ['{"length": -1}', '{"length": 1e400}', '{"__proto__": {"length": 5}}', '{"constructor": 1}', '{"input_ids": {}}', '{"text": ""}', '[1]', 'null', '{"length": "7"}', '{"toString": 3}']);
        out.push({ name: 'lengths.jsonl', bytes: Buffer.from([...lens.map((l) => `{"length": ${l}}`), rec].join('\n')), mutation: `jsonl + ${rec}` });
        break;
      }
      case 2: {
        const row = pick(r, ['1,99999999999999999999', '-1,5', '5,-1', '5', 'length,count', '1,1,1', '9007199254740993,1', '0,0']);
        out.push({ name: 'hist.csv', bytes: Buffer.from(['length,count', ...lens.slice(0, 20).map((l) => `${l},${int(r, 0, 9)}`), row].join('\n')), mutation: `csv + ${row}` });
        break;
      }
      case 3: {
        const body = pick(r, ['{"__proto__": 5, "12": 3}', '{"constructor": 1}', '{"5": 1e400}', '{"5": 40000000}', '[1,2]', '{"7": -1}', '{']);
        out.push({ name: 'hist.json', bytes: Buffer.from(body), mutation: `json histogram ${body}` });
        break;
      }
      case 4: {
        const data = Buffer.from(Int32Array.from(lens).buffer);
        const lie = pick(r, [undefined, 0, 65535, 2 ** 31, 2 ** 32 - 1, 1]);
        const major = lie !== undefined && lie > 65535 ? 2 : pick(r, [1, 2]);
        const shape = pick(r, [`(${n},)`, '(4294967296,)', '(-1,)', '(3, 1e3)', '()', `(${n}, 0)`, '(9007199254740993,)']);
        const descr = pick(r, ['<i4', '<i8', '>i4', '<f4', '|u1', '<i16', "constructor"]);
        out.push({ name: 'lengths.npy', bytes: npyBytes(`{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`, data, lie, major), mutation: `npy ${descr} ${shape} header ${lie ?? 'true'}` });
        break;
      }
      case 5: {
        const width = pick(r, [1 << 10, 1 << 20, 17 << 20]);
        out.push({ name: 'lengths.txt', bytes: Buffer.concat([Buffer.from('5\n'), Buffer.alloc(width, 0x37), Buffer.from('\n6\n')]), mutation: `a ${width}-char line` });
        break;
      }
      default: {
        const bytes = Buffer.from(lens.join('\n'));
        for (let k = 0; k < 4; k++) bytes[int(r, 0, bytes.length - 1)] = int(r, 0, 255);
        out.push({ name: pick(r, ['lengths.txt', 'lengths.jsonl', 'lengths']), bytes, mutation: 'random bytes in a text file' });
      }
    }
  }
  return out;
}

/** Tensors for `attnprof run`: shapes and headers that lie, non-finite values. */
export function tensorCorpus(seed: number, count: number): FuzzCase[] {
  const r = rng(seed);
  const out: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const shape = pick(r, ['(1, 1, 4, 64)', '(1, 1, 4)', '(0, 1, 4, 64)', '(1, 1, 4, 63)', '(65536, 65536, 1, 64)', '(1, 1, -4, 64)', '(1, 1, 4, 64, 1)']);
    const values = new Float32Array(256).fill(0.25);
    if (r() < 0.3) values[int(r, 0, 255)] = pick(r, [Number.NaN, Infinity, -Infinity]);
    const lie = pick(r, [undefined, undefined, 65535, 2 ** 31, 2 ** 32 - 1, 3]);
    const major = lie !== undefined && lie > 65535 ? 2 : 1;
    const descr = pick(r, ['<f4', '<f4', '<f8', '>f4', '<f2', '<i4']);
    const data = Buffer.from(values.buffer).subarray(0, pick(r, [1024, 1024, 1000, 0]));
    out.push({ name: 'q.npy', bytes: npyBytes(`{'descr': '${descr}', 'fortran_order': ${pick(r, ['False', 'False', 'True'])}, 'shape': ${shape}, }`, data, lie, major), mutation: `npy ${descr} ${shape} header ${lie ?? 'true'}, ${data.length} data bytes` });
  }
  return out;
}
