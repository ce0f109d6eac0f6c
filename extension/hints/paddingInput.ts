/** Checks for "Analyze Padding Efficiency…": its input boxes and the arguments a CodeLens (or another extension) passes. Pure. */

/** What a CodeLens passes: the lengths file and the B / L of the field it sits on. */
export interface AnalyzePaddingArgs {
  lengthsFile?: string;
  batchSize?: number;
  maxLength?: number;
}

/** Command arguments are untrusted: keep only well-formed fields. */
export function asAnalyzeArgs(v: unknown): AnalyzePaddingArgs {
  if (typeof v !== 'object' || v === null) return {};
  const r = v as Record<string, unknown>;
  const int = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) && x > 0 && x <= 2 ** 26 ? x : undefined);
  const batchSize = int(r.batchSize);
  const maxLength = int(r.maxLength);
  return {
    ...(typeof r.lengthsFile === 'string' && r.lengthsFile !== '' && r.lengthsFile.length <= 4096 ? { lengthsFile: r.lengthsFile } : {}),
    ...(batchSize ? { batchSize } : {}),
    ...(maxLength ? { maxLength } : {}),
  };
}

/** undefined when `text` is a positive integer ≤ max (or empty, when allowed), else the message for the input box. */
export function checkPositiveInt(text: string, max: number, allowEmpty: boolean): string | undefined {
  const t = text.trim();
  if (t === '' && allowEmpty) return undefined;
  if (!/^\d+$/.test(t) || Number(t) < 1) return 'Type a positive whole number.';
  if (Number(t) > max) return `At most ${max}.`;
  return undefined;
}
