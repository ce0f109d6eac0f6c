/**
 * Module-level integer constants of a Python training script (`NUM_HEADS = 16`, `SEQ_LEN = (IMG_SIZE //
 * PATCH_SIZE)**2`). The file is tokenised, never executed: assignments at column 1 whose right-hand side is
 * arithmetic over numbers and earlier constants are evaluated; anything else is left unknown.
 */
import { checkModel, type SpanOf } from './checks';
import { diag } from './fields';
import type { Span } from './jsonc';
import { ConfigParseError, type ConfigDiagnostic, type FieldRef, type FieldRole, type ModelAttention } from './types';

type Tok = { kind: 'name' | 'number' | 'string' | 'op' | 'newline'; text: string; line: number; column: number; endLine: number; endColumn: number };
type PyValue = number | boolean | string;

export interface PyConstant {
  name: string;
  /** Position of the name. */
  line: number;
  column: number;
  valueSpan: Span;
  value?: PyValue;
  /** `NAME += expr` and friends: the operator, the value being the result of applying it. */
  augmented?: string;
  /** Why the value could not be evaluated. */
  error?: string;
}

const ALIASES: Record<string, readonly string[]> = {
  heads: ['NUM_HEADS', 'num_heads', 'N_HEADS', 'n_heads', 'N_HEAD', 'n_head', 'NUM_ATTENTION_HEADS', 'num_attention_heads', 'NHEAD', 'nhead'],
  kvHeads: ['NUM_KV_HEADS', 'num_kv_heads', 'N_KV_HEADS', 'n_kv_heads', 'NUM_KEY_VALUE_HEADS', 'num_key_value_heads'],
  headDim: ['HEAD_DIM', 'head_dim', 'HEAD_SIZE', 'head_size', 'D_HEAD', 'd_head'],
  hidden: ['EMBED_DIM', 'embed_dim', 'HIDDEN', 'hidden', 'HIDDEN_SIZE', 'hidden_size', 'HIDDEN_DIM', 'hidden_dim', 'D_MODEL', 'd_model', 'N_EMBD', 'n_embd', 'DIM', 'dim'],
  layers: ['DEPTH', 'depth', 'NUM_LAYERS', 'num_layers', 'N_LAYERS', 'n_layers', 'N_LAYER', 'n_layer', 'NUM_HIDDEN_LAYERS', 'num_hidden_layers'],
  seqLen: ['SEQ_LEN', 'seq_len', 'MAX_SEQ_LEN', 'max_seq_len', 'MAX_LEN', 'max_len', 'SEQ_LENGTH', 'seq_length', 'MAX_SEQ_LENGTH', 'max_seq_length', 'CONTEXT_LEN', 'context_len', 'context_length', 'BLOCK_SIZE', 'block_size'],
  batch: ['BATCH_SIZE', 'batch_size', 'MICRO_BATCH_SIZE', 'micro_batch_size'],
  patchSize: ['PATCH_SIZE', 'patch_size'],
  imageSize: ['IMG_SIZE', 'IMAGE_SIZE', 'img_size', 'image_size'],
  causal: ['CAUSAL', 'causal', 'IS_CAUSAL', 'is_causal'],
  window: ['WINDOW', 'window', 'SLIDING_WINDOW', 'sliding_window', 'WINDOW_SIZE', 'window_size'],
  softcap: ['SOFTCAP', 'softcap', 'SOFT_CAP', 'ATTN_SOFTCAP', 'attn_softcap', 'LOGIT_SOFTCAP'],
  classToken: ['CLASS_TOKEN', 'class_token', 'CLS_TOKEN', 'cls_token', 'NUM_PREFIX_TOKENS', 'num_prefix_tokens'],
  neighborhood: ['NEIGHBORHOOD', 'neighborhood', 'NEIGHBOURHOOD', 'neighbourhood', 'NEIGHBORHOOD_RADIUS', 'neighborhood_radius'],
};

export const PY_ATTENTION_NAMES: ReadonlySet<string> = new Set([...ALIASES.heads, ...ALIASES.headDim]);

/** Nesting beyond this is hostile input; refusing keeps the recursive evaluator off the stack limit. */
const MAX_DEPTH = 100;

export function tokenizePython(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  let depth = 0;
  const n = text.length;
  const step = (count: number) => {
    for (let k = 0; k < count && i < n; k++) {
      if (text[i] === '\n') {
        line++;
        col = 1;
      } else col++;
      i++;
    }
  };
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      if (depth === 0) toks.push({ kind: 'newline', text: '\n', line, column: col, endLine: line, endColumn: col + 1 });
      step(1);
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f') step(1);
    else if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) step(text[i + 1] === '\r' ? 3 : 2);
    else if (c === '#') {
      while (i < n && text[i] !== '\n') step(1);
    } else if (/[A-Za-z_]/.test(c) || c.charCodeAt(0) > 127) {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*/.exec(text.slice(i, i + 200))!;
      const word = m[0];
      const q = text[i + word.length];
      if ((q === '"' || q === "'") && /^[rRbBuUfF]{1,2}$/.test(word)) {
        const s = { line, column: col };
        step(word.length);
        const body = readString();
        toks.push({ kind: 'string', text: body, ...s, endLine: line, endColumn: col });
      } else {
        toks.push({ kind: 'name', text: word, line, column: col, endLine: line, endColumn: col + word.length });
        step(word.length);
      }
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d[\d_]*)?[jJ]?)/.exec(text.slice(i, i + 200));
      const word = m && m[0] ? m[0] : c;
      toks.push({ kind: 'number', text: word, line, column: col, endLine: line, endColumn: col + word.length });
      step(word.length);
    } else if (c === '"' || c === "'") {
      const s = { line, column: col };
      const body = readString();
      toks.push({ kind: 'string', text: body, ...s, endLine: line, endColumn: col });
    } else {
      const three = text.slice(i, i + 3);
      const two = text.slice(i, i + 2);
      const op = ['**=', '//=', '>>=', '<<=', '...'].includes(three)
        ? three
        : ['**', '//', '==', '!=', '<=', '>=', '->', '+=', '-=', '*=', '/=', '%=', ':=', '<<', '>>'].includes(two)
          ? two
          : c;
      if (op === '(' || op === '[' || op === '{') depth++;
      if ((op === ')' || op === ']' || op === '}') && depth > 0) depth--;
      toks.push({ kind: 'op', text: op, line, column: col, endLine: line, endColumn: col + op.length });
      step(op.length);
    }
  }
  toks.push({ kind: 'newline', text: '', line, column: col, endLine: line, endColumn: col });
  return toks;

  function readString(): string {
    const startLine = line;
    const startCol = col;
    const quote = text[i];
    const triple = text.startsWith(quote.repeat(3), i);
    const delim = triple ? quote.repeat(3) : quote;
    step(delim.length);
    const from = i;
    while (i < n) {
      if (text[i] === '\\') step(2);
      else if (text.startsWith(delim, i)) {
        const body = text.slice(from, i);
        step(delim.length);
        return body;
      } else if (!triple && text[i] === '\n') break;
      else step(1);
    }
    throw new ConfigParseError(`unterminated ${triple ? 'triple-quoted ' : ''}string`, startLine, startCol);
  }
}

class Unevaluable extends Error {}

/** Evaluates one expression's tokens: numbers, True/False, earlier constants, + - * / // % **, int/min/max/abs. */
export function evaluate(toks: Tok[], env: ReadonlyMap<string, PyValue>): PyValue {
  let p = 0;
  const peek = () => toks[p];
  const take = () => toks[p++];
  const expectOp = (op: string) => {
    const t = take();
    if (!t || t.kind !== 'op' || t.text !== op) throw new Unevaluable(`expected '${op}'`);
  };
  const num = (v: PyValue): number => {
    if (typeof v === 'string') throw new Unevaluable('arithmetic on a string');
    return typeof v === 'boolean' ? Number(v) : v;
  };

  function additive(d: number): PyValue {
    let v = multiplicative(d);
    while (peek()?.kind === 'op' && (peek().text === '+' || peek().text === '-')) {
      const op = take().text;
      const r = multiplicative(d);
      if (typeof v === 'string' && typeof r === 'string' && op === '+') v = v + r;
      else v = op === '+' ? num(v) + num(r) : num(v) - num(r);
    }
    return v;
  }
  function multiplicative(d: number): PyValue {
    let v = unary(d);
    while (peek()?.kind === 'op' && ['*', '/', '//', '%'].includes(peek().text)) {
      const op = take().text;
      const a = num(v);
      const b = num(unary(d));
      if ((op === '/' || op === '//' || op === '%') && b === 0) throw new Unevaluable('division by zero');
      if (op === '*') v = a * b;
      else if (op === '/') v = a / b;
      else if (op === '//') v = Math.floor(a / b);
      else v = a - b * Math.floor(a / b); // Python's %: the sign of the divisor
    }
    return v;
  }
  function unary(d: number): PyValue {
    if (d > MAX_DEPTH) throw new Unevaluable('expression nested too deeply');
    // Signs are counted in a loop, not by recursion: `- - - … 8` must not reach the stack limit.
    let negate = false;
    let signs = 0;
    for (let t = peek(); t?.kind === 'op' && (t.text === '-' || t.text === '+'); t = peek()) {
      take();
      signs++;
      if (t.text === '-') negate = !negate;
    }
    if (signs === 0) return power(d);
    const v = num(power(d));
    return negate ? -v : v;
  }
  function power(d: number): PyValue {
    const base = atom(d);
    if (peek()?.kind === 'op' && peek().text === '**') {
      take();
      // Right-associative and binds tighter than a unary minus on its left: -2**2 == -4. Each `**` is a
      // level of nesting: a chain of ten thousand is refused like ten thousand parentheses.
      const exp = num(unary(d + 1));
      return num(base) ** exp;
    }
    return base;
  }
  function atom(d: number): PyValue {
    if (d > MAX_DEPTH) throw new Unevaluable('expression nested too deeply');
    const t = take();
    if (!t || t.kind === 'newline') throw new Unevaluable('incomplete expression');
    if (t.kind === 'number') {
      if (/[jJ]$/.test(t.text)) throw new Unevaluable('complex number');
      const clean = t.text.replace(/_/g, '');
      const v = /^0[oO]/.test(clean) ? parseInt(clean.slice(2), 8) : /^0[bB]/.test(clean) ? parseInt(clean.slice(2), 2) : Number(clean);
      if (Number.isNaN(v)) throw new Unevaluable(`bad number ${t.text}`);
      return v;
    }
    if (t.kind === 'string') return t.text;
    if (t.kind === 'op' && t.text === '(') {
      const v = additive(d + 1);
      expectOp(')');
      return v;
    }
    if (t.kind === 'name') {
      if (t.text === 'True') return true;
      if (t.text === 'False') return false;
      if (['int', 'min', 'max', 'abs', 'round'].includes(t.text) && peek()?.kind === 'op' && peek().text === '(') {
        take();
        const args: number[] = [num(additive(d + 1))];
        while (peek()?.kind === 'op' && peek().text === ',') {
          take();
          args.push(num(additive(d + 1)));
        }
        expectOp(')');
        if (t.text === 'int') return Math.trunc(args[0]);
        if (t.text === 'abs') return Math.abs(args[0]);
        if (t.text === 'round') return Math.round(args[0]);
        return args.reduce((a, b) => (t.text === 'min' ? Math.min(a, b) : Math.max(a, b)));
      }
      const v = env.get(t.text);
      if (v === undefined) throw new Unevaluable(`'${t.text}' is not an earlier numeric constant`);
      return v;
    }
    throw new Unevaluable(`'${t.text}' is not integer arithmetic`);
  }

  const v = additive(0);
  if (p < toks.length) throw new Unevaluable(`unexpected '${toks[p].text}'`);
  return v;
}

const AUGMENTED = new Set(['+=', '-=', '*=', '/=', '//=', '%=', '**=']);

function applyAugmented(op: string, before: PyValue, rhs: PyValue): PyValue {
  if (op === '+=' && typeof before === 'string' && typeof rhs === 'string') return before + rhs;
  if (typeof before === 'string' || typeof rhs === 'string') throw new Unevaluable('arithmetic on a string');
  const a = Number(before);
  const b = Number(rhs);
  if ((op === '/=' || op === '//=' || op === '%=') && b === 0) throw new Unevaluable('division by zero');
  switch (op) {
    case '+=':
      return a + b;
    case '-=':
      return a - b;
    case '*=':
      return a * b;
    case '/=':
      return a / b;
    case '//=':
      return Math.floor(a / b);
    case '%=':
      return a - b * Math.floor(a / b);
    default:
      return a ** b;
  }
}

/** Module-level `NAME = expr` / `NAME: type = expr` / `NAME += expr` assignments, evaluated in file order. */
export function readPythonConstants(text: string): PyConstant[] {
  const toks = tokenizePython(text);
  const env = new Map<string, PyValue>();
  const out: PyConstant[] = [];
  let start = 0;
  for (let k = 0; k < toks.length; k++) {
    if (toks[k].kind !== 'newline') continue;
    const lineToks = toks.slice(start, k);
    start = k + 1;
    if (lineToks.length < 3 || lineToks[0].column !== 1 || lineToks[0].kind !== 'name') continue;
    let eq = 1;
    if (lineToks[1].kind === 'op' && lineToks[1].text === ':') {
      eq = lineToks.findIndex((t, idx) => idx > 1 && t.kind === 'op' && t.text === '=');
      if (eq < 0) continue;
    }
    const op = lineToks[eq];
    const augmented = op.kind === 'op' && eq === 1 && AUGMENTED.has(op.text) ? op.text : undefined;
    if (op.kind !== 'op' || (op.text !== '=' && !augmented)) continue;
    const name = lineToks[0].text;
    const expr = lineToks.slice(eq + 1);
    if (expr.length === 0) continue;
    const last = expr[expr.length - 1];
    const c: PyConstant = {
      name,
      line: lineToks[0].line,
      column: lineToks[0].column,
      valueSpan: { line: expr[0].line, column: expr[0].column, endLine: last.endLine, endColumn: last.endColumn },
      ...(augmented ? { augmented } : {}),
    };
    try {
      let value = evaluate(expr, env);
      if (augmented) {
        const before = env.get(name);
        if (before === undefined) throw new Unevaluable(`'${name} ${augmented}' changes a value that is not an earlier numeric constant`);
        value = applyAugmented(augmented, before, value);
      }
      if (typeof value === 'number' && !Number.isFinite(value)) throw new Unevaluable('the value is not a finite number (it overflows a double)');
      c.value = value;
      env.set(name, value);
    } catch (e) {
      if (!(e instanceof Unevaluable)) throw e;
      c.error = e.message;
      env.delete(name); // a later use must not see the stale earlier value
    }
    out.push(c);
  }
  return out;
}

export function readPythonModel(fileName: string, text: string, diagnostics: ConfigDiagnostic[]): ModelAttention[] {
  const constants = readPythonConstants(text);
  const byName = new Map<string, PyConstant>();
  for (const c of constants) byName.set(c.name, c); // the last assignment is the one in effect at import
  const fields: FieldRef[] = [];
  const spans: SpanOf = {};
  let invalid = false;

  const find = (role: keyof typeof ALIASES): PyConstant | undefined => {
    for (const a of ALIASES[role]) {
      const c = byName.get(a);
      if (c) return c;
    }
    return undefined;
  };
  const record = (c: PyConstant, role: FieldRole) => {
    fields.push({ key: c.name, line: c.line, column: c.column, role });
    if (c.augmented && c.error === undefined) {
      diagnostics.push(
        diag('info', `${c.name} is changed in place (${c.name} ${c.augmented} …): its value after this line, ${String(c.value)}, is the one read`, c.valueSpan),
      );
    }
  };
  const int = (role: keyof typeof ALIASES & keyof SpanOf | 'patchSize' | 'imageSize' | 'classToken' | 'neighborhood', min = 1): number | undefined => {
    const c = find(role);
    if (!c) return undefined;
    record(c, role === 'classToken' ? 'seqLen' : role === 'neighborhood' ? 'neighborhood' : role);
    if (['heads', 'kvHeads', 'headDim', 'layers', 'hidden', 'seqLen', 'batch', 'window'].includes(role)) {
      (spans as Record<string, Span>)[role] = c.valueSpan;
    }
    if (c.error !== undefined) {
      diagnostics.push(diag('warning', `cannot evaluate ${c.name}: ${c.error} (only integer arithmetic over earlier constants is read, nothing is executed)`, c.valueSpan));
      invalid = true;
      return undefined;
    }
    const v = c.value;
    if (typeof v === 'boolean' && role === 'classToken') return v ? 1 : 0;
    if (typeof v !== 'number') {
      diagnostics.push(diag('error', `${c.name} must be an integer, got ${typeof v === 'string' ? `the string ${JSON.stringify(v)}` : String(v)}`, c.valueSpan));
      invalid = true;
      return undefined;
    }
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
      diagnostics.push(diag('error', `${c.name} is ${v}: too large to be a real size (more than 2^53)`, c.valueSpan));
      invalid = true;
      return undefined;
    }
    if (!Number.isInteger(v)) {
      diagnostics.push(diag('error', `${c.name} must be an integer, got ${v}`, c.valueSpan));
      invalid = true;
      return undefined;
    }
    if (v < min) {
      diagnostics.push(diag('error', `${c.name} must be at least ${min}, got ${v}`, c.valueSpan));
      invalid = true;
      return undefined;
    }
    return v;
  };

  const headsC = find('heads');
  if (!headsC) {
    diagnostics.push(diag('info', `no module-level attention constants (${ALIASES.heads.slice(0, 3).join(', ')}, …) found`, { line: 1, column: 1 }));
    return [];
  }
  const heads = int('heads');
  const headDimExplicit = int('headDim');
  const hiddenExplicit = int('hidden');
  const layersRead = int('layers');
  const kvRead = int('kvHeads');
  const patch = int('patchSize');
  const imageRead = int('imageSize');
  const seqRead = int('seqLen');
  const batchRead = int('batch');
  const windowRead = int('window', 0);
  const classTokens = int('classToken', 0);
  const neighborhood = int('neighborhood', 0);
  const anchor = { line: headsC.line, column: headsC.column };

  let causal = patch === undefined && imageRead === undefined;
  const causalC = find('causal');
  if (causalC) {
    record(causalC, 'causal');
    if (typeof causalC.value === 'boolean') causal = causalC.value;
    else diagnostics.push(diag('warning', `${causalC.name} should be True or False; assuming ${causal ? 'causal' : 'bidirectional'} attention`, causalC.valueSpan));
  }
  let softcap = 0;
  const capC = find('softcap');
  if (capC) {
    record(capC, 'softcap');
    if (capC.error !== undefined) {
      diagnostics.push(diag('error', `cannot evaluate ${capC.name}: ${capC.error}; no softcap is applied`, capC.valueSpan));
    } else if (typeof capC.value === 'number' && capC.value >= 0) softcap = capC.value;
    else diagnostics.push(diag('error', `${capC.name} must be a non-negative number`, capC.valueSpan));
  }

  const name = fileName.split(/[\\/]/).pop() ?? fileName;
  const m: ModelAttention = {
    name,
    modelType: 'python-constants',
    layers: layersRead ?? 1,
    heads: heads ?? 0,
    kvHeads: kvRead ?? heads ?? 0,
    headDim: 0,
    hidden: 0,
    maxSeqLen: 0,
    seqLen: 0,
    batch: batchRead ?? 1,
    causal,
    slidingWindow: windowRead ?? 0,
    softcap,
    fields,
    dtypeBytes: 2,
  };
  if (layersRead === undefined && !find('layers')) {
    diagnostics.push(diag('info', 'no DEPTH / NUM_LAYERS constant: one layer is analysed', anchor));
  }
  if (headDimExplicit !== undefined) {
    m.headDim = headDimExplicit;
    m.hidden = hiddenExplicit ?? m.heads * headDimExplicit;
  } else if (hiddenExplicit !== undefined && m.heads > 0) {
    m.hidden = hiddenExplicit;
    m.headDim = Math.floor(hiddenExplicit / m.heads);
    if (hiddenExplicit % m.heads !== 0) {
      diagnostics.push(diag('error', `${find('hidden')?.name} ${hiddenExplicit} is not divisible by ${m.heads} heads (and no HEAD_DIM is given)`, spans.heads ?? anchor));
    }
  } else if (!invalid) {
    diagnostics.push(diag('warning', 'no HEAD_DIM or EMBED_DIM constant: the head dimension is unknown', anchor));
    invalid = true;
  }

  if (patch !== undefined || imageRead !== undefined) {
    const image = imageRead ?? 224;
    const p = patch ?? 16;
    if (imageRead === undefined || patch === undefined) {
      diagnostics.push(diag('info', `${imageRead === undefined ? 'no IMG_SIZE: 224' : 'no PATCH_SIZE: 16'} assumed for the image tokens`, anchor));
    }
    m.maxSeqLen = Math.floor(image / p) ** 2 + (classTokens ?? 0);
    m.seqLen = seqRead ?? m.maxSeqLen;
    if (seqRead !== undefined && seqRead !== m.maxSeqLen && spans.seqLen) {
      diagnostics.push(
        diag('info', `SEQ_LEN ${seqRead} differs from the ${m.maxSeqLen} tokens of a ${image}px image in ${p}px patches; SEQ_LEN is analysed`, spans.seqLen),
      );
    }
  } else if (seqRead !== undefined) {
    m.maxSeqLen = seqRead;
    m.seqLen = seqRead;
  } else if (!invalid) {
    diagnostics.push(diag('warning', 'no SEQ_LEN / MAX_SEQ_LEN (or PATCH_SIZE and IMG_SIZE) constant: the sequence length is unknown', anchor));
  }
  if (neighborhood) m.neighborhood = neighborhood;
  if (invalid || heads === undefined) m.unsupported = 'some attention constants could not be evaluated (see the diagnostics)';
  checkModel(m, spans, diagnostics, anchor);
  return [m];
}
