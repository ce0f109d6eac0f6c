/** A small, strict argument parser: unknown flags and missing values are usage errors (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** true: takes a value; false: a switch. */
  [flag: string]: boolean;
}

export interface ParsedArgs {
  positional: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

export function parseArgs(argv: string[], spec: FlagSpec): ParsedArgs {
  const out: ParsedArgs = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!Object.hasOwn(spec, name)) throw new UsageError(`unknown option --${name}.`);
    if (spec[name]) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value.`);
      out.values.set(name, value);
    } else {
      if (eq > 0) throw new UsageError(`--${name} takes no value.`);
      out.switches.add(name);
    }
  }
  return out;
}

export function intFlag(args: ParsedArgs, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = args.values.get(name);
  if (raw === undefined) return fallback;
  const v = raw.trim() === '' ? Number.NaN : Number(raw); // Number('') is 0: an empty value must not pass
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${raw}'.`);
  }
  return v;
}

export function numberFlag(args: ParsedArgs, name: string, fallback: number | undefined, min = -Infinity): number | undefined {
  const raw = args.values.get(name);
  if (raw === undefined) return fallback;
  const v = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(v) || v < min) throw new UsageError(`--${name} must be a number${min > -Infinity ? ` ≥ ${min}` : ''}, got '${raw}'.`);
  return v;
}

/** "B,Hq,Hkv,N,D" → numbers; each a positive integer. */
export function parseShape(raw: string): { batch: number; heads: number; kvHeads: number; seqLen: number; headDim: number } {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length !== 5) throw new UsageError(`--shape takes B,Hq,Hkv,N,D (five integers), got '${raw}'.`);
  const nums = parts.map(Number);
  nums.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) {
      throw new UsageError(`--shape: ${['B', 'Hq', 'Hkv', 'N', 'D'][i]} must be a positive integer, got '${parts[i]}'.`);
    }
  });
  const [batch, heads, kvHeads, seqLen, headDim] = nums;
  return { batch, heads, kvHeads, seqLen, headDim };
}
