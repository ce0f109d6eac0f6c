/**
 * The "Profile Shape…" input: "B,Hq,Hkv,N,D" plus optional words "causal", "window=W", "softcap=C",
 * "neighborhood=R" or "neighborhood=W:R" (the 2-D patch-grid mask, kernels/problem.ts), "q=Q" (queries against
 * the N keys: q=1 is a decode step),
 * checked while the user types with the same rules the kernels apply (kernels/problem.ts validateProblem).
 */
import { AttentionProblem, DType, ProblemError, neighborhoodFor, validateProblem } from '../../kernels/problem';

export type ShapeParse = { ok: true; problem: AttentionProblem } | { ok: false; message: string };

const DIMS = ['B', 'Hq', 'Hkv', 'N', 'D'];

export const SHAPE_PLACEHOLDER = 'B,Hq,Hkv,N,D [causal] [window=W] [softcap=C] [q=Q] — e.g. 1,32,8,4096,128 causal; decode: … q=1';

/** The shape text with its N replaced by `seqLen` (when set): the Profile Shape… input honours attnprof.seqLen. */
export function withSeqLen(text: string, seqLen: number): string {
  if (!seqLen) return text;
  return text.replace(/^(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*,\s*)\d+/, `$1${seqLen}`);
}

export function parseShapeInput(raw: string, dtype: DType): ShapeParse {
  const text = raw.trim();
  if (!text) return { ok: false, message: 'Type the shape as B,Hq,Hkv,N,D, e.g. 1,32,8,4096,128.' };
  // Spaces may sit inside the shape ("1, 32, 8, …"): options start at the first word.
  const optionsAt = text.search(/\s[A-Za-z]/);
  const shape = optionsAt < 0 ? text : text.slice(0, optionsAt);
  const words = optionsAt < 0 ? [] : text.slice(optionsAt).trim().split(/\s+/);
  const parts = shape.split(',').map((s) => s.trim());
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    return { ok: false, message: `Five integers B,Hq,Hkv,N,D are needed, got ${parts.filter((p) => p !== '').length}.` };
  }
  const nums: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (!/^\d+$/.test(parts[i])) return { ok: false, message: `${DIMS[i]} must be a positive integer, got '${parts[i]}'.` };
    nums.push(Number(parts[i]));
  }
  const [batch, heads, kvHeads, seqLen, headDim] = nums;
  const problem: AttentionProblem = { batch, heads, kvHeads, seqLenQ: seqLen, seqLenK: seqLen, headDim, dtype, causal: false, window: 0, softcap: 0 };
  for (const w of words) {
    const m = /^(causal|window|softcap|neighborhood|q)(?:=(.*))?$/i.exec(w);
    if (!m) return { ok: false, message: `Unknown option '${w}': use causal, window=W, softcap=C, neighborhood=R (or W:R) or q=Q (query length, e.g. q=1 for decode).` };
    const name = m[1].toLowerCase();
    if (name === 'causal') {
      if (m[2] !== undefined) return { ok: false, message: "'causal' takes no value." };
      problem.causal = true;
      continue;
    }
    const value = m[2] ?? '';
    if (name === 'q') {
      // Queries against N keys: q=1 is one decode step with a KV cache of N tokens.
      if (!/^\d+$/.test(value) || Number(value) < 1) return { ok: false, message: `q (the query length) must be a positive integer, got '${value}'.` };
      if (Number(value) > seqLen) return { ok: false, message: `q=${value} is longer than N=${seqLen} (the keys): the queries attend to the last N positions.` };
      problem.seqLenQ = Number(value);
    } else if (name === 'neighborhood') {
      // R (grid from N: √N×√N, or a class token and √(N−1)×√(N−1)), or W:R (⌊N/W⌋ rows of W).
      const n = /^(?:(\d+):)?(\d+)$/.exec(value);
      if (!n || Number(n[2]) < 1 || n[1] === '0') return { ok: false, message: `neighborhood takes R or W:R (radius, or grid width and radius, e.g. 5 or 14:5), got '${value}'.` };
      const width = n[1] === undefined ? undefined : Number(n[1]);
      if (width !== undefined && width > seqLen) return { ok: false, message: `Neighborhood grid width ${width} is wider than the ${seqLen} tokens.` };
      try {
        problem.neighborhood = neighborhoodFor(seqLen, Number(n[2]), width ? { rows: Math.floor(seqLen / width), cols: width } : undefined);
      } catch (e) {
        if (e instanceof ProblemError) return { ok: false, message: capitalise(e.message) };
        throw e;
      }
    } else if (name === 'window') {
      if (!/^\d+$/.test(value)) return { ok: false, message: `window must be a non-negative integer, got '${value}'.` };
      problem.window = Number(value);
    } else {
      const c = Number(value);
      if (value === '' || !Number.isFinite(c) || c < 0) return { ok: false, message: `softcap must be a non-negative number, got '${value}'.` };
      problem.softcap = c;
    }
  }
  try {
    validateProblem(problem);
  } catch (e) {
    if (e instanceof ProblemError) return { ok: false, message: capitalise(e.message) };
    throw e;
  }
  return { ok: true, problem };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
