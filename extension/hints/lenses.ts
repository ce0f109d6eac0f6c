/**
 * CodeLens text for a parsed config: analytic cost on the attention fields, then what was measured.
 * Positions are the parser's (1-based); the editor side converts.
 */
import { profileSeqLen, seqLenOrigin } from '../engine/workloads';
import { modelCost, type FieldRef, type ModelAttention, type ParsedConfig } from '../model';
import { measuredText, type ReportEntry } from './reportEntry';
import { formatBytes, formatFlops, formatPercent, shortTokens } from '../../kernels/units';
import { savedForBackwardBytes } from '../../kernels/backward';
import type { AttentionProblem } from '../../kernels/problem';

export interface LensHint {
  line: number;
  column: number;
  title: string;
  /** A lens that starts a profile of this file when clicked: prefill, or one decode step against the KV cache. */
  action?: 'profile' | 'profile-decode';
  /** The hint's text without the click action, for the tooltip. */
  tooltip?: string;
}

export interface LensOptions {
  /** Settings overrides (0 or undefined = from the config). */
  batch?: number;
  seqLen?: number;
  /** The latest report of this file, if any. */
  measured?: ReportEntry;
  /** The file describes a training run (model/training.ts): add what the forward keeps for the backward. */
  training?: boolean;
}

export function groupText(m: Pick<ModelAttention, 'heads' | 'kvHeads'>): string {
  if (m.kvHeads === m.heads) return `MHA ${m.heads} heads`;
  if (m.kvHeads === 1) return `MQA ${m.heads}:1`;
  return `GQA ${m.heads}:${m.kvHeads}`;
}

/** "GQA 28:4 · KV cache 56 KiB/token (−86 % vs MHA)". */
export function kvText(m: ModelAttention): string {
  const c = modelCost(m);
  let s = `${groupText(m)} · KV cache ${formatBytes(c.kvCacheBytesPerToken)}/token`;
  if (c.gqaSaving > 0) s += ` (\u2212${formatPercent(c.gqaSaving)} vs MHA)`;
  return s;
}

/**
 * "attention 0.93 TFLOP/layer @ 4k (max positions 131072, capped)": the length a profile runs at, and where it came
 * from (batch shown only when it is not 1). The hover and the profile use the same length.
 */
export function flopsText(m: ModelAttention, o: LensOptions = {}): string {
  const c = modelCost(m, { batch: o.batch || undefined, seqLen: profileSeqLen(m, o.seqLen || undefined) });
  const at = c.batch > 1 ? `${c.batch}×${shortTokens(c.seqLen)}` : shortTokens(c.seqLen);
  return `attention ${formatFlops(c.flopsPerLayerMax)}/layer @ ${at} (${seqLenOrigin(m, o.seqLen || undefined)})`;
}

/**
 * "attention activations saved for backward: 1.0 GiB/layer naive · 60 MiB flash @ B=8, 1024": what each of our
 * kernels' forward keeps alive until the backward, per attention layer (naive: P in f32 and O; flash: O and the
 * per-row log-sum-exp), with O in the model's 16- or 32-bit type.
 */
export function savedText(m: ModelAttention, o: LensOptions = {}): string {
  const c = modelCost(m, { batch: o.batch || undefined, seqLen: profileSeqLen(m, o.seqLen || undefined) });
  const p: AttentionProblem = {
    batch: c.batch, heads: m.heads, kvHeads: m.kvHeads, seqLenQ: c.seqLen, seqLenK: c.seqLen, headDim: m.headDim,
    dtype: m.dtypeBytes <= 2 ? 'f16' : 'f32', causal: m.causal, window: 0, softcap: 0,
  };
  const naive = savedForBackwardBytes('naive', p);
  const flash = savedForBackwardBytes('flash', p);
  return `attention activations saved for backward: ${formatBytes(naive)}/layer naive · ${formatBytes(flash)} flash @ B=${c.batch}, ${c.seqLen}`;
}

function fieldOf(m: ModelAttention, ...roles: NonNullable<FieldRef['role']>[]): FieldRef | undefined {
  for (const r of roles) {
    const f = m.fields.find((x) => x.role === r);
    if (f) return f;
  }
  return undefined;
}

export function lensHints(parsed: ParsedConfig, o: LensOptions = {}): LensHint[] {
  const out: LensHint[] = [];
  const many = parsed.models.length > 1;
  for (const m of parsed.models) {
    const prefix = many ? `${m.name}: ` : '';
    // Training arguments carry no head fields: their hints sit on the line naming the model.
    const anchor = fieldOf(m, 'heads', 'model', 'layers', 'hidden') ?? m.fields[0] ?? { line: 1, column: 1, key: '' };
    const at = { line: anchor.line, column: anchor.column };
    if (m.unsupported) {
      out.push({ ...at, title: `${prefix}attention not supported: ${m.unsupported}` });
      continue;
    }
    const measured = o.measured ? measuredText(o.measured, m.name) : undefined;
    if (measured) out.push({ ...at, title: prefix + measured });
    const flops = prefix + flopsText(m, o);
    out.push({ ...at, title: flops });
    if (o.training) out.push({ ...at, title: prefix + savedText(m, o) });
    out.push({ ...at, title: '▶ Profile', action: 'profile', tooltip: `Profile ${m.name} on this machine's GPU (Attention Profiler)` });
    // Decoders generate token by token: one query against the cache is the other shape that matters.
    if (m.causal) {
      const n = profileSeqLen(m, o.seqLen || undefined);
      out.push({ ...at, title: `▶ Profile decode (KV cache ${shortTokens(n)})`, action: 'profile-decode', tooltip: `Profile one decode step of ${m.name}: 1 query token per sequence against ${n} cached keys` });
    }
    const kvField = fieldOf(m, 'kvHeads');
    // KV cache matters for decoders; an encoder (ViT, BERT) caches nothing unless the file names KV heads.
    if (kvField) out.push({ line: kvField.line, column: kvField.column, title: prefix + kvText(m) });
    else if (m.causal) out.push({ ...at, title: prefix + kvText(m) });
  }
  return out;
}
