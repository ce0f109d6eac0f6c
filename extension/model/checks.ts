/** Checks shared by every reader once a model's attention is resolved: divisibility, GQA grouping, absurd sizes. */
import { formatLargeCount } from '../../kernels/units';
import { diag } from './fields';
import type { Span } from './jsonc';
import type { ConfigDiagnostic, ModelAttention } from './types';

export type SpanOf = Partial<Record<'heads' | 'kvHeads' | 'headDim' | 'layers' | 'hidden' | 'maxSeqLen' | 'seqLen' | 'batch' | 'window', Span>>;

/**
 * Beyond these a typo is far likelier than intent; the profiler refuses such shapes before allocating
 * (kernels/problem.ts caps a problem at 2^34 elements), so the warning says nothing will be allocated.
 */
export const ABSURD: Record<'heads' | 'kvHeads' | 'headDim' | 'layers' | 'hidden' | 'maxSeqLen' | 'seqLen' | 'batch', number> = {
  heads: 1_000_000,
  kvHeads: 1_000_000,
  headDim: 65_536,
  layers: 100_000,
  hidden: 100_000_000,
  maxSeqLen: 1_000_000_000,
  seqLen: 1_000_000_000,
  batch: 1_000_000,
};

const WHAT: Record<keyof typeof ABSURD, string> = {
  heads: 'attention heads',
  kvHeads: 'key/value heads',
  headDim: 'head dimension',
  layers: 'layers',
  hidden: 'hidden size',
  maxSeqLen: 'maximum sequence length',
  seqLen: 'sequence length',
  batch: 'batch size',
};

export function checkModel(m: ModelAttention, spans: SpanOf, diagnostics: ConfigDiagnostic[], fallback: Span | { line: number; column: number }): void {
  if (m.unsupported) return;
  const at = (role: keyof SpanOf) => spans[role] ?? fallback;
  for (const role of Object.keys(ABSURD) as (keyof typeof ABSURD)[]) {
    // A defaulted field (no span of its own) repeats another's warning: kv heads default to heads.
    if (m[role] > ABSURD[role] && (spans[role] !== undefined || role === 'heads' || role === 'layers' || role === 'headDim')) {
      diagnostics.push(
        diag(
          'warning',
          `absurd ${WHAT[role]} (${formatLargeCount(m[role])} > ${formatLargeCount(ABSURD[role])}) in ${m.name}: a typo? ` +
            'The cost model still computes it, but nothing will be allocated or profiled for this shape.',
          at(role),
        ),
      );
    }
  }
  if (m.kvHeads > m.heads) {
    diagnostics.push(diag('error', `${m.kvHeads} key/value heads exceed the ${m.heads} query heads in ${m.name}`, at('kvHeads')));
  } else if (m.kvHeads > 0 && m.heads % m.kvHeads !== 0) {
    diagnostics.push(
      diag('error', `${m.heads} query heads are not a multiple of ${m.kvHeads} key/value heads in ${m.name}: GQA needs equal groups`, at('kvHeads')),
    );
  }
}
