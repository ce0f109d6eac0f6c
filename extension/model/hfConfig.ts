/** Hugging Face config.json → one ModelAttention per attention stack (root, text_config, vision_config). */
import { checkModel, type SpanOf } from './checks';
import { FAMILIES, TOWERS, type Family } from './families';
import { describeNode, diag, FieldReader } from './fields';
import { table } from './table';
import type { JsonNode, JsonObject, Span } from './jsonc';
import { countKinds, runsOf } from './layers';
import type { ConfigDiagnostic, FieldRef, LayerKind, LayerRun, ModelAttention } from './types';

const KEYS = {
  heads: ['num_attention_heads', 'n_head', 'num_heads', 'n_heads'],
  layers: ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers'],
  hidden: ['hidden_size', 'n_embd', 'd_model', 'dim'],
  kvHeads: ['num_key_value_heads', 'num_kv_heads', 'n_head_kv'],
  headDim: ['head_dim'],
  maxPos: ['max_position_embeddings', 'n_positions', 'max_sequence_length', 'seq_length', 'n_ctx'],
} as const;

const DTYPE_BYTES = table({ float32: 4, float: 4, float16: 2, half: 2, bfloat16: 2, float64: 8, double: 8 });

/** Families whose class has num_key_value_heads (so omitting it is a choice worth showing). */
const GQA_FAMILIES = new Set(['llama', 'mistral', 'mixtral', 'starcoder2', 'qwen2', 'qwen2_moe', 'qwen3', 'qwen2_vl', 'gemma', 'gemma2', 'phi3']);

const TOWER_KEYS = ['text_config', 'vision_config'] as const;

interface Context {
  diagnostics: ConfigDiagnostic[];
  parentDtypeBytes?: number;
}

export function readHfConfig(root: JsonNode, diagnostics: ConfigDiagnostic[]): ModelAttention[] {
  if (root.type !== 'object') {
    diagnostics.push(diag('error', `expected a JSON object with the model's fields, got ${root.type === 'array' ? 'an array' : 'a ' + root.type}`, root));
    return [];
  }
  const top = new FieldReader(root, diagnostics, []);
  const rootType = top.str('model_type');
  const towers = rootType ? TOWERS[rootType] : undefined;
  const hasOwnAttention = KEYS.heads.some((k) => top.member(k)) || (rootType !== undefined && rootType in FAMILIES);
  const models: ModelAttention[] = [];
  const dtypeBytes = readDtype(top, diagnostics);
  const ctx: Context = { diagnostics, parentDtypeBytes: dtypeBytes };

  let nested = false;
  for (const key of TOWER_KEYS) {
    const member = top.member(key) ?? top.member(`${key}_dict`);
    const tower = towers?.[key];
    if (member && member.value.type === 'object') {
      nested = true;
      const sub = member.value;
      const subType = new FieldReader(sub, diagnostics, []).str('model_type') ?? tower?.family;
      if (key === 'vision_config' && rootType && /^qwen2(_5)?_vl$/.test(rootType)) {
        models.push(unsupportedTower(`${rootType} ${key}`, subType ?? rootType, dtypeBytes ?? 2, member.keySpan,
          'dynamic-resolution vision tower: its token count depends on each image (no fixed image_size)'));
        continue;
      }
      models.push(
        readOne(sub, ctx, {
          name: `${rootType ?? 'model'} ${key}`,
          familyName: subType,
          tower: key,
          anchor: member.keySpan,
          reportOmitted: true,
        }),
      );
    } else if (tower) {
      nested = true;
      const family = FAMILIES[tower.family];
      const at = member?.keySpan ?? root;
      diagnostics.push(
        diag('info', `${key} is ${member ? 'null' : 'omitted'}: ${rootType} builds its ${family.label} defaults for this tower`, {
          line: at.line,
          column: at.column,
        }),
      );
      models.push(
        readOne(undefined, ctx, {
          name: `${rootType} ${key}`,
          familyName: tower.family,
          tower: key,
          anchor: at,
          override: tower.whenOmitted,
        }),
      );
    }
  }
  if (!nested || (hasOwnAttention && !towers)) {
    models.unshift(readOne(root, ctx, { name: top.firstArchitecture() ?? rootType ?? 'unknown', familyName: rootType, anchor: root, isRoot: true }));
  }
  return models;
}

/** A model with no attention numbers yet: readers fill in what the config states. */
function blankModel(name: string, modelType: string, dtypeBytes: number, causal: boolean, fields: FieldRef[]): ModelAttention {
  return {
    name,
    modelType,
    layers: 0,
    heads: 0,
    kvHeads: 0,
    headDim: 0,
    hidden: 0,
    maxSeqLen: 0,
    seqLen: 0,
    batch: 1,
    causal,
    slidingWindow: 0,
    softcap: 0,
    fields,
    dtypeBytes,
  };
}

function unsupportedTower(name: string, modelType: string, dtypeBytes: number, at: Span, reason: string): ModelAttention {
  const fields: FieldRef[] = [{ key: name.split(' ').pop() ?? name, line: at.line, column: at.column, role: 'model' }];
  return { ...blankModel(name, modelType, dtypeBytes, false, fields), unsupported: reason };
}

function readDtype(r: FieldReader, diagnostics: ConfigDiagnostic[]): number | undefined {
  const m = r.find(['torch_dtype', 'dtype']);
  if (!m) return undefined;
  r.record(m, 'dtype');
  if (m.value.type === 'string') {
    const name = m.value.value.replace(/^torch\./, '');
    const bytes = DTYPE_BYTES[name];
    if (bytes !== undefined) return bytes;
    if (name !== 'auto') diagnostics.push(diag('warning', `unknown torch_dtype "${m.value.value}": assuming 2-byte elements`, m.value));
  }
  return undefined;
}

interface ReadOpts {
  name: string;
  familyName: string | undefined;
  anchor: Span | { line: number; column: number };
  tower?: string;
  isRoot?: boolean;
  reportOmitted?: boolean;
  override?: Partial<Family>;
}

function readOne(obj: JsonObject | undefined, ctx: Context, opts: ReadOpts): ModelAttention {
  const { diagnostics } = ctx;
  const fields: ModelAttention['fields'] = [];
  const r = new FieldReader(obj, diagnostics, fields);
  const spans: SpanOf = {};
  const anchor = { line: opts.anchor.line, column: opts.anchor.column };
  const baseFamily = opts.familyName ? FAMILIES[opts.familyName] : undefined;
  const family: Family | undefined = baseFamily && opts.override ? { ...baseFamily, ...opts.override } : baseFamily;
  const modelType = opts.familyName ?? 'unknown';
  const dtypeBytes = (obj ? readDtype(r, diagnostics) : undefined) ?? ctx.parentDtypeBytes ?? 2;
  const m = blankModel(opts.name, modelType, dtypeBytes, true, fields);
  const impl = r.str('_attn_implementation') ?? r.str('attn_implementation');
  if (impl) m.attnImplementation = impl;

  if (!family && !r.member('kv_lora_rank')) {
    const mt = r.member('model_type');
    const where = mt?.value ?? anchor;
    diagnostics.push(
      diag(
        'warning',
        opts.familyName
          ? `unknown model_type "${opts.familyName}": read from the standard field names (num_attention_heads, hidden_size, …) without class defaults`
          : 'no model_type: read from the standard field names (num_attention_heads, hidden_size, …) without class defaults',
        where,
      ),
    );
  }

  // Multi-head latent attention compresses K/V into a shared latent: no per-head K/V to profile.
  const kvLora = r.member('kv_lora_rank');
  if (kvLora && kvLora.value.type === 'number') {
    r.record(kvLora, 'kvHeads');
    const qkNope = r.member('qk_nope_head_dim')?.value;
    const qkRope = r.member('qk_rope_head_dim')?.value;
    const vDim = r.member('v_head_dim')?.value;
    const qk = qkNope?.type === 'number' && qkRope?.type === 'number' ? qkNope.value + qkRope.value : undefined;
    m.unsupported =
      `multi-head latent attention (kv_lora_rank ${kvLora.value.raw}` +
      (qk !== undefined && vDim?.type === 'number' ? `, q/k head dim ${qk} ≠ v head dim ${vDim.value}` : '') +
      '): K and V are decompressed from a shared latent, which these kernels do not model';
    diagnostics.push(diag('warning', `${opts.name}: ${m.unsupported}; no cost or profile is given for it`, kvLora.keySpan));
  }

  const omitted: string[] = [];
  const pick = (read: ReturnType<FieldReader['int']>, role: keyof SpanOf, fallback: number | undefined, label: string): number | 'invalid' | undefined => {
    if (read === 'invalid') return 'invalid';
    if (read) {
      spans[role] = read.span;
      return read.value;
    }
    if (fallback !== undefined) omitted.push(`${label} ${fallback}`);
    return fallback;
  };
  const invalid: string[] = [];
  const need = (v: number | 'invalid' | undefined, label: string): number => {
    if (v === 'invalid') {
      invalid.push(label);
      return 0;
    }
    if (v === undefined) {
      invalid.push(label);
      return 0;
    }
    return v;
  };

  m.heads = need(pick(r.int(KEYS.heads, 'heads'), 'heads', family?.heads, 'num_attention_heads'), 'number of heads');
  m.layers = need(pick(r.int(KEYS.layers, 'layers'), 'layers', family?.layers, 'num_hidden_layers'), 'number of layers');
  const hidden = pick(r.int(KEYS.hidden, 'hidden'), 'hidden', family?.hidden, 'hidden_size');
  const headDimRead = pick(r.int(KEYS.headDim, 'headDim'), 'headDim', family?.headDim, 'head_dim');
  if (headDimRead === undefined || headDimRead === 'invalid') {
    m.hidden = need(hidden, 'hidden size');
    if (headDimRead === 'invalid') invalid.push('head dim');
    else if (m.heads > 0 && m.hidden > 0) {
      m.headDim = Math.floor(m.hidden / m.heads);
      if (m.hidden % m.heads !== 0) {
        diagnostics.push(
          diag(
            'error',
            `hidden size ${m.hidden} is not divisible by ${m.heads} heads (and no head_dim is given): each head would get ${(m.hidden / m.heads).toFixed(2)} dimensions`,
            spans.heads ?? spans.hidden ?? anchor,
          ),
        );
      }
    }
  } else {
    m.headDim = headDimRead;
    m.hidden = hidden === 'invalid' || hidden === undefined ? m.heads * m.headDim : hidden;
    if (hidden === 'invalid') invalid.push('hidden size');
  }

  // Key/value heads: Falcon encodes them in flags.
  if (opts.familyName === 'falcon') {
    const newArch = r.bool('new_decoder_architecture', 'kvHeads') ?? false;
    const multiQuery = r.bool('multi_query', 'kvHeads') ?? true;
    if (newArch) m.kvHeads = need(pick(r.int(['num_kv_heads'], 'kvHeads'), 'kvHeads', m.heads, 'num_kv_heads'), 'key/value heads');
    else m.kvHeads = multiQuery ? 1 : m.heads;
  } else {
    const kv = r.int(KEYS.kvHeads, 'kvHeads');
    if (kv === 'invalid') invalid.push('key/value heads');
    else if (kv) {
      spans.kvHeads = kv.span;
      m.kvHeads = kv.value;
    } else if (r.bool('multi_query', 'kvHeads')) m.kvHeads = 1;
    else {
      m.kvHeads = family?.kvHeads ?? m.heads;
      if (opts.familyName && GQA_FAMILIES.has(opts.familyName)) omitted.push(`num_key_value_heads ${m.kvHeads}`);
    }
  }
  if (r.bool('alibi') === true) {
    const a = r.member('alibi');
    if (a) diagnostics.push(diag('warning', 'ALiBi position bias is not modelled by the kernels: timings leave it out', a.value));
  }

  // Sequence length: image tokens for vision towers, the positions table otherwise.
  const image = family?.image;
  if (image || r.member('image_size')) {
    const size = readPair(r, 'image_size', 'imageSize', image?.size, diagnostics);
    const patch = readPair(r, 'patch_size', 'patchSize', image?.patch, diagnostics);
    if (size !== undefined && patch !== undefined) {
      const s = r.member('image_size');
      if (size[0] % patch[0] !== 0 || size[1] % patch[1] !== 0) {
        diagnostics.push(
          diag('warning', `image_size ${pairText(size)} is not a multiple of patch_size ${pairText(patch)}: the last partial patch is dropped`, s?.value ?? anchor),
        );
      }
      const cls = image?.classTokens ?? 1;
      m.maxSeqLen = Math.floor(size[0] / patch[0]) * Math.floor(size[1] / patch[1]) + cls;
      if (s) spans.maxSeqLen = s.value;
    } else invalid.push('image tokens');
  } else {
    const pos = pick(r.int(KEYS.maxPos, 'maxSeqLen'), 'maxSeqLen', family?.maxPos, 'max_position_embeddings');
    if (pos === 'invalid') invalid.push('max positions');
    else if (pos === undefined) {
      diagnostics.push(diag('warning', `${opts.name}: no max_position_embeddings: sequence length unknown, set one to analyse`, anchor));
    } else {
      m.maxSeqLen = pos;
      if (family?.positionOffset) {
        // RoBERTa numbers positions from padding_idx + 1, so its 514-entry table holds 512 tokens.
        const usable = robertaPositions(r, pos, spans, anchor, diagnostics);
        if (usable === undefined) invalid.push('max positions');
        else m.maxSeqLen = usable;
      }
    }
  }
  m.seqLen = m.maxSeqLen;

  // Causality.
  const isDecoder = r.bool('is_decoder');
  if (family) m.causal = family.causal;
  else if (isDecoder !== undefined) m.causal = isDecoder;
  else {
    const arch = r.firstArchitecture() ?? '';
    m.causal = !/MaskedLM|ImageClassification|Encoder|ForSequenceClassification|ForTokenClassification|VisionModel/.test(arch);
  }

  readWindow(r, m, family, spans, diagnostics, opts);

  const cap = r.real(['attn_logit_softcapping'], 'softcap');
  if (cap === 'invalid') invalid.push('softcap');
  else if (cap) m.softcap = cap.value;
  else if (!r.member('attn_logit_softcapping')) m.softcap = family?.softcap ?? 0;

  if (invalid.length && !m.unsupported) {
    m.unsupported = `cannot determine ${invalid.join(', ')} (see the errors above)`;
  }
  if (opts.reportOmitted && omitted.length && obj) {
    diagnostics.push(
      diag('info', `${opts.name} omits ${omitted.length} field(s); ${family?.label ?? 'class'} defaults used: ${omitted.join(', ')}`, anchor),
    );
  }
  checkModel(m, spans, diagnostics, anchor);
  return m;
}

/** [height, width] of an image or patch size: an integer or a pair of integers, each positive. */
function readPair(r: FieldReader, key: string, role: 'imageSize' | 'patchSize', fallback: number | undefined, diagnostics: ConfigDiagnostic[]): [number, number] | undefined {
  const m = r.member(key);
  if (m?.value.type === 'array') {
    r.record(m, role);
    const items = m.value.items;
    const ok = (n: JsonNode | undefined): n is Extract<JsonNode, { type: 'number' }> =>
      n?.type === 'number' && Number.isSafeInteger(n.value) && n.value > 0;
    if (items.length === 2 && ok(items[0]) && ok(items[1])) {
      const pair: [number, number] = [items[0].value, items[1].value];
      if (pair[0] !== pair[1]) diagnostics.push(diag('info', `non-square ${key}: tokens counted for ${pairText(pair)}`, m.value));
      return pair;
    }
    diagnostics.push(diag('error', `"${key}" must be a positive integer or a pair of positive integers, got ${describeNode(m.value)}`, m.value));
    return undefined;
  }
  const v = r.int([key], role);
  if (v === 'invalid') return undefined;
  const n = v ? v.value : fallback;
  return n === undefined ? undefined : [n, n];
}

const pairText = (p: readonly [number, number]) => (p[0] === p[1] ? String(p[0]) : `${p[0]}×${p[1]}`);

/**
 * Usable positions of a RoBERTa-family table: positions start at padding_idx + 1 (pad_token_id, default 1),
 * so `pos` entries hold pos − pad − 1 tokens. A pad id that leaves none is an error, not 0 tokens.
 */
function robertaPositions(r: FieldReader, pos: number, spans: SpanOf, anchor: Span | { line: number; column: number }, diagnostics: ConfigDiagnostic[]): number | undefined {
  const pad = r.member('pad_token_id');
  let padId = 1;
  if (pad && pad.value.type !== 'null') {
    const v = pad.value;
    if (v.type !== 'number' || !Number.isSafeInteger(v.value) || v.value < 0) {
      diagnostics.push(diag('error', `"pad_token_id" must be a non-negative integer (RoBERTa numbers positions after it), got ${describeNode(v)}`, v));
      return undefined;
    }
    padId = v.value;
  }
  const usable = pos - (padId + 1);
  if (usable < 1) {
    diagnostics.push(
      diag(
        'error',
        `pad_token_id ${padId} leaves no position for a token: RoBERTa numbers positions from pad_token_id + 1, and max_position_embeddings is ${pos}`,
        pad?.value ?? spans.maxSeqLen ?? anchor,
      ),
    );
    return undefined;
  }
  return usable;
}

function readWindow(r: FieldReader, m: ModelAttention, family: Family | undefined, spans: SpanOf, diagnostics: ConfigDiagnostic[], opts: ReadOpts): void {
  const swMember = r.member('sliding_window');
  const sw = r.int(['sliding_window'], 'window');
  if (sw === 'invalid') return;
  if (sw) spans.window = sw.span;
  const explicitNull = swMember?.value.type === 'null';
  const value = sw ? sw.value : explicitNull ? undefined : family?.window;
  const mode = family?.windowMode ?? (family ? undefined : 'always');

  const layerTypes = r.member('layer_types');
  if (layerTypes?.value.type === 'array' && value !== undefined) {
    const items = layerTypes.value.items;
    const runs = runsOf(items.map((n): LayerKind => (n.type === 'string' && n.value.startsWith('sliding') ? 'local' : 'global')));
    r.record(layerTypes, 'window');
    if (items.length !== m.layers && m.layers > 0) {
      diagnostics.push(
        diag(
          'warning',
          `layer_types lists ${items.length} layers but ${opts.name} has ${m.layers}: transformers refuses this; the listed kinds are repeated to cover every layer`,
          layerTypes.value,
        ),
      );
    }
    applyPattern(m, runs, value);
  } else if (value === undefined || mode === undefined) {
    if (sw && mode === undefined) {
      diagnostics.push(diag('info', `sliding_window is not used by ${family?.label ?? 'this model'}`, sw.span));
    }
    return;
  } else if (mode === 'always') {
    m.slidingWindow = value;
  } else if (mode === 'flash-left') {
    m.slidingWindow = value + 1;
    if (sw) {
      diagnostics.push(diag('info', `sliding_window ${value} is flash-attn's left window (keys i−${value}…i): ${value + 1} keys visible per query`, sw.span));
    }
  } else if (mode === 'alternate') {
    applyPattern(m, [{ kind: 'local', count: 1 }, { kind: 'global', count: 1 }], value);
  } else if (mode === 'qwen') {
    const use = r.bool('use_sliding_window', 'window') ?? false;
    if (!use) {
      if (sw) diagnostics.push(diag('info', `sliding_window ${sw.value} is not used (use_sliding_window is false): full attention in every layer`, sw.span));
      return;
    }
    const mwl = r.int(['max_window_layers'], 'window');
    const first = mwl && mwl !== 'invalid' ? mwl.value : 28;
    // Qwen2 applies the window to layers at or past max_window_layers.
    const globals = Math.min(first, m.layers);
    applyPattern(
      m,
      [
        { kind: 'global', count: globals },
        { kind: 'local', count: m.layers - globals },
      ].filter((run) => run.count > 0) as LayerRun[],
      value,
    );
  }
  if (m.slidingWindow > 0 && m.maxSeqLen > 0 && m.slidingWindow >= m.maxSeqLen) {
    diagnostics.push(
      diag('info', `${opts.name}: sliding window ${m.slidingWindow} ≥ the ${m.maxSeqLen}-token context: it never masks anything`, spans.window ?? opts.anchor),
    );
    m.slidingWindow = 0;
    delete m.layerPattern;
  }
}

function applyPattern(m: ModelAttention, runs: LayerRun[], window: number): void {
  const counts = countKinds(runs, m.layers);
  if (!counts.get('local')) return;
  m.slidingWindow = window;
  if (counts.get('global')) m.layerPattern = runs;
}
