/** Hover text on an attention field: what the key means for attention, with this config's numbers. */
import { formatBytes, formatFlops, formatPercent } from '../../kernels/units';
import { layerCounts, modelCost, type FieldRef, type FieldRole, type ModelAttention, type ParsedConfig } from '../model';
import { profileSeqLen, seqLenOrigin } from '../engine/workloads';
import { groupText } from './lenses';

/** The attnprof.batch / attnprof.seqLen settings (0 or absent: from the config), as the CodeLens and profile use them. */
export interface HoverOptions {
  batch?: number;
  seqLen?: number;
}

function roleText(role: FieldRole, m: ModelAttention, o: HoverOptions): string | undefined {
  // One length for a config everywhere: the one the CodeLens shows and a profile runs at.
  const n = profileSeqLen(m, o.seqLen || undefined);
  const b = o.batch || m.batch;
  // The origin can name a key of the file (a Python constant): literal Markdown.
  const origin = escapeMarkdown(seqLenOrigin(m, o.seqLen || undefined));
  const at = `${b}×${n} tokens (${origin})`;
  const c = modelCost(m, { batch: b, seqLen: n });
  switch (role) {
    case 'heads':
      return `**Query heads (Hq = ${m.heads}).** Each head attends independently over head dim ${m.headDim}; attention FLOPs grow linearly in Hq: ${formatFlops(c.flopsPerLayerMax)} per layer at ${at} (4·B·Hq·visible pairs·D).`;
    case 'kvHeads':
      return `**Key/value heads (Hkv = ${m.kvHeads}).** ${groupText(m)}: ${m.kvHeads === m.heads ? 'every query head has its own K and V' : `${m.heads / Math.max(1, m.kvHeads)} query heads share one K/V head`}. KV cache ${formatBytes(c.kvCacheBytesPerToken)} per token (2·layers·Hkv·D·${m.dtypeBytes} bytes)${c.gqaSaving > 0 ? `, ${formatPercent(c.gqaSaving)} less than MHA's ${formatBytes(c.kvCacheBytesPerTokenMha)}` : ''}. FLOPs do not shrink: they count query heads.`;
    case 'headDim':
      return `**Head dim (D = ${m.headDim}).** Width of each head's Q·Kᵀ dot product; the score scale is 1/√${m.headDim}. FLOPs and KV cache grow linearly in D; the kernels take any multiple of 8 up to 256.`;
    case 'layers':
      return `**Layers (${m.layers}).** One attention call per layer: ${formatFlops(c.totalFlops)} forward for the whole model at ${at}; KV cache ${formatBytes(c.kvCacheBytesTotal)} for that batch.`;
    case 'hidden':
      return `**Hidden size (${m.hidden}).** When no explicit head dim is given, D = hidden / heads = ${m.headDim}.`;
    case 'maxSeqLen':
    case 'seqLen':
      return `**Sequence length (${role === 'seqLen' ? m.seqLen : m.maxSeqLen} tokens).** Hints and profiles use ${n} tokens (${origin}). Attention is quadratic in it: a materialised score matrix (naive kernel) takes ${formatBytes(c.scoreBytesPerLayer)} per layer at ${n} tokens, which the flash kernel never allocates. Override with the \`attnprof.seqLen\` setting.`;
    case 'batch':
      return `**Batch (${m.batch}).** Attention cost and the KV cache scale linearly with it. Override with the \`attnprof.batch\` setting.`;
    case 'window':
      return m.slidingWindow > 0
        ? `**Sliding window (W = ${m.slidingWindow}).** A query sees the last ${m.slidingWindow} keys, itself included${m.layerPattern ? ` (on ${layerCounts(m).get('local') ?? 0} of ${m.layers} layers)` : ''}: cost grows as N·W instead of N²/2, and the KV cache of those layers is capped at W tokens.`
        : `**Sliding window: not used by this model** — every layer attends over the full sequence.`;
    case 'softcap':
      return m.softcap > 0
        ? `**Logit softcap (C = ${m.softcap}).** Scores pass through C·tanh(s/C) before the softmax, bounding them to ±${m.softcap}; one extra tanh per score, in both kernels.`
        : undefined;
    case 'causal':
      return `**${m.causal ? 'Causal' : 'Bidirectional'} attention.** ${m.causal ? 'A query sees only earlier keys: half the score matrix is masked and FLOPs are halved (flash-attn convention).' : 'Every query sees every key.'}`;
    case 'imageSize':
    case 'patchSize':
      return `**Image tokens.** (image size / patch size)² patches${m.maxSeqLen > 0 ? ` → ${m.maxSeqLen} tokens per image` : ''} (plus a class token where the model has one): this is the sequence length attention sees.`;
    case 'neighborhood': {
      const r = m.neighborhood ?? 0;
      return `**2-D neighbourhood (R = ${r}).** A patch attends only to patches less than ${r} rows and ${r} columns away on its grid (a class token sees and is seen by all); the profile runs this mask, and flash skips the K/V tiles with no visible pair.`;
    }
    case 'dtype':
      return `**Element type (${m.dtypeBytes} bytes).** Sets the bytes of Q/K/V/O and the KV cache; the \`attnprof.dtype\` setting \`auto\` profiles a bfloat16/float16 config in f16 where the adapter has shader-f16 (\`f16\`, \`f32\` pin it).`;
    case 'model':
      return undefined;
  }
}

/**
 * User text (model names from `architectures`/`model_type`, file names, reasons quoting config values) as
 * literal Markdown: a `model_type` of `[click](https://…)` or `![](https://…)` must not become a live link or
 * a remote image in the hover. Every Markdown punctuation character, `$` (theme icons) and `<` (HTML) escaped.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$&:]/g, '\\$&').replace(/[\r\n]+/g, ' ');
}

/** Markdown for the field(s) whose key is `key` on `line` (1-based), or undefined when it is not an attention field. */
export function hoverMarkdown(parsed: ParsedConfig, line: number, key: string, o: HoverOptions = {}): string | undefined {
  const parts: string[] = [];
  const many = parsed.models.length > 1;
  for (const m of parsed.models) {
    const f: FieldRef | undefined = m.fields.find((x) => x.line === line && x.key === key);
    if (!f?.role) continue;
    if (m.unsupported) {
      parts.push(`${many ? `*${escapeMarkdown(m.name)}*: ` : ''}attention not supported: ${escapeMarkdown(m.unsupported)}`);
      continue;
    }
    const text = roleText(f.role, m, o);
    if (text) parts.push(many ? `*${escapeMarkdown(m.name)}* — ${text}` : text);
  }
  return parts.length ? parts.join('\n\n') : undefined;
}
