/** Units and the `attnprof inspect` output (JSON object and text). */
import { formatBytes, formatFlops, formatPercent } from '../../kernels/units';
import { modelCost } from './cost';
import { layerCounts } from './layers';

import type { ModelAttention, ParsedConfig } from './types';

/** `attnprof inspect --json` for one model: the issue's fields first, extras after. */
function modelJson(m: ModelAttention) {
  const kv2 = modelCost(m, { dtypeBytes: 2 });
  const cost = modelCost(m);
  return {
    name: m.name,
    layers: m.layers,
    heads: m.heads,
    kvHeads: m.kvHeads,
    headDim: m.headDim,
    hidden: m.hidden,
    maxSeqLen: m.maxSeqLen,
    seqLen: m.seqLen,
    batch: m.batch,
    causal: m.causal,
    slidingWindow: m.slidingWindow,
    softcap: m.softcap,
    kvCacheBytesPerToken: kv2.kvCacheBytesPerToken,
    unsupported: m.unsupported ?? null,
    ...(m.layerPattern ? { layerPattern: m.layerPattern } : {}),
    modelType: m.modelType,
    dtypeBytes: m.dtypeBytes,
    ...(m.attnImplementation ? { attnImplementation: m.attnImplementation } : {}),
    kvCacheBytesPerTokenMha: kv2.kvCacheBytesPerTokenMha,
    gqaSaving: kv2.gqaSaving,
    kvCacheBytesTotal: cost.kvCacheBytesTotal,
    flopsPerLayerMax: cost.flopsPerLayerMax,
    totalFlops: cost.totalFlops,
    scoreBytesPerLayer: cost.scoreBytesPerLayer,
    fields: m.fields,
  };
}

export function inspectJson(parsed: ParsedConfig): unknown {
  return {
    file: parsed.file,
    kind: parsed.kind,
    models: parsed.models.map(modelJson),
    diagnostics: parsed.diagnostics.map((d) => ({
      severity: d.severity,
      message: d.message,
      line: d.line,
      column: d.column,
      ...(d.endLine !== undefined ? { endLine: d.endLine, endColumn: d.endColumn } : {}),
    })),
  };
}

function modelText(m: ModelAttention): string[] {
  const head = `${m.name} (${m.modelType})`;
  if (m.unsupported) return [head, `  unsupported: ${m.unsupported}`];
  const c = modelCost(m);
  const c2 = modelCost(m, { dtypeBytes: 2 });
  const group = m.kvHeads === m.heads ? 'MHA' : m.kvHeads === 1 ? 'MQA' : `GQA ${m.heads}:${m.kvHeads}`;
  const locals = m.layerPattern ? (layerCounts(m).get('local') ?? 0) : undefined;
  const window =
    m.slidingWindow > 0
      ? `sliding window ${m.slidingWindow}${locals !== undefined ? ` on ${locals} of ${m.layers} layers` : ''}`
      : 'no sliding window';
  const lines = [
    head,
    `  ${m.layers} layers · ${m.heads} heads · ${m.kvHeads} kv heads (${group}) · head dim ${m.headDim} · hidden ${m.hidden}`,
    `  ${m.causal ? 'causal' : 'bidirectional'} · ${window} · ${m.softcap > 0 ? `softcap ${m.softcap}` : 'no softcap'} · ${m.dtypeBytes}-byte elements`,
    `  max ${m.maxSeqLen} tokens · analysed: batch ${m.batch} × ${m.seqLen} tokens`,
    `  KV cache ${formatBytes(c2.kvCacheBytesPerToken)}/token at 2 bytes` +
      (c2.gqaSaving > 0 ? ` (MHA ${formatBytes(c2.kvCacheBytesPerTokenMha)}, −${formatPercent(c2.gqaSaving)})` : '') +
      ` · ${formatBytes(c.kvCacheBytesTotal)} for the analysed batch`,
    `  attention ${formatFlops(c.flopsPerLayerMax)}/layer · ${formatFlops(c.totalFlops)} total (forward) · score matrix ${formatBytes(c.scoreBytesPerLayer)}/layer if materialised`,
  ];
  return lines;
}

export function inspectText(parsed: ParsedConfig): string {
  const out = [`${parsed.file} (${parsed.kind}): ${parsed.models.length} attention stack${parsed.models.length === 1 ? '' : 's'}`];
  for (const m of parsed.models) out.push(...modelText(m));
  if (parsed.diagnostics.length) {
    out.push('diagnostics:');
    for (const d of parsed.diagnostics) out.push(`  ${parsed.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);
  }
  return out.join('\n') + '\n';
}
