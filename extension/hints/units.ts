/**
 * Short numbers for one-line editor hints, where "3.100 ms" (kernels/units.ts, made for tables) would crowd
 * a CodeLens: two significant digits below 10, whole numbers above.
 */
function compact(v: number): string {
  if (v >= 10 || v === 0) return String(Math.round(v));
  return String(Number(v.toPrecision(2)));
}

export function shortMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms >= 1000) return `${compact(ms / 1000)} s`;
  if (ms >= 1) return `${compact(ms)} ms`;
  if (ms >= 1e-3) return `${compact(ms * 1e3)} µs`;
  return `${compact(ms * 1e6)} ns`;
}

/** Token counts as people say them: 4096 → "4k", 131072 → "128k", 197 → "197". */
export function shortTokens(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}k`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  return String(n);
}

export function shortRatio(r: number): string {
  if (!Number.isFinite(r) || r <= 0) return '–';
  return `${compact(r)}×`;
}
