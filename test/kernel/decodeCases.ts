/**
 * The decode shapes both decode passes are checked on (test/kernel/decode.test.ts for the key-parallel pass,
 * decode_mma.test.ts for the matrix-unit one): 1, 7 and 16 rows per KV head and every mask kind, on the Qwen2-7B
 * group (28 query heads over 4 KV heads, D = 128) with 1000 keys.
 */
import type { AttentionProblem } from '../../kernels/problem';

export function decodeProblem(over: Partial<AttentionProblem>): AttentionProblem {
  return {
    batch: 2, heads: 28, kvHeads: 4, seqLenQ: 1, seqLenK: 1000, headDim: 128, dtype: 'f16',
    causal: true, window: 0, softcap: 0, ...over,
  };
}

export const DECODE_CASES: [string, Partial<AttentionProblem>][] = [
  ['1 row per KV head (MHA)', { heads: 4, kvHeads: 4 }],
  ['7 rows per KV head (GQA 28:4, the Qwen2-7B group)', {}],
  ['16 rows per KV head (MQA 16:1)', { heads: 16, kvHeads: 1 }],
  ['key lengths with a zero-length row', { batch: 3, kvLens: Int32Array.from([1000, 0, 333]) }],
  ['sliding window 100, causal', { window: 100 }],
  ['softcap 20 and scale 0.2', { softcap: 20, scale: 0.2, causal: false }],
  // Batch 0's query sees its document [150, 610); batch 1's query the last document [700, 1000).
  ['packed documents', { causal: false, docBounds: Int32Array.from([150, 610, 700, 1000]) }],
  ['Nq = 2 causal (a speculative row), MQA 8:1: 16 rows per KV head', { heads: 8, kvHeads: 1, seqLenQ: 2 }],
  [
    'Nq = 2 causal with key lengths and documents, 1 KV head',
    { heads: 8, kvHeads: 1, seqLenQ: 2, kvLens: Int32Array.from([999, 500]), docBounds: Int32Array.from([0, 999, 0, 999, 120, 500, 120, 500]) },
  ],
];

/** Runs `fn` with the environment variables `vars` set (undefined: unset), restoring them afterwards. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}
