/** Value formatters, one place for the CLI, the reports and the UI: bytes in KiB/MiB/GiB, time auto-scaled. */
/** Two significant digits below 10, whole numbers above: "0.93", "3.1", "56", "117". */
export function compact(v: number): string {
  if (v >= 10 || v === 0) return String(Math.round(v));
  return String(Number(v.toPrecision(2)));
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return `${n} B`;
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  // 1023.6 KiB would round to "1024 KiB": step up instead.
  if (Math.round(v) >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${n < 0 ? '-' : ''}${u === 0 ? String(Math.round(v)) : compact(v)} ${BYTE_UNITS[u]}`;
}

const FLOP_UNITS = ['FLOP', 'kFLOP', 'MFLOP', 'GFLOP', 'TFLOP', 'PFLOP', 'EFLOP', 'ZFLOP', 'YFLOP'];

/** Steps up a unit from 100 on, so 930 GFLOP reads "0.93 TFLOP". */
export function formatFlops(n: number): string {
  if (!Number.isFinite(n)) return `${n} FLOP`;
  let v = Math.abs(n);
  let u = 0;
  while (v >= 100 && u < FLOP_UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${n < 0 ? '-' : ''}${compact(v)} ${FLOP_UNITS[u]}`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const ns = ms * 1e6;
  if (ns < 1000) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 3 : ms < 100 ? 2 : 1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A fraction as a percentage: 0.713 → "71 %" (digits after the point on request); "–" when not finite. */
export function formatPercent(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return '–';
  const t = (x * 100).toFixed(digits);
  return `${/^-0(\.0*)?$/.test(t) ? t.slice(1) : t} %`;
}

/** A rate (TFLOP/s, GB/s) without its unit: three significant digits, an exponent only below 0.001 ("1.23e-4"). */
export function formatRate(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  return v >= 0.001 ? v.toLocaleString('en-US', { maximumSignificantDigits: 3 }) : v.toExponential(1);
}

/** A relative change with its sign: +0.05 → "+5.0 %", −0.1 → "−10.0 %" (a true minus sign). */
export function formatChange(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '–';
  return `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(digits)} %`;
}

/**
 * A ratio: 2.7 → "2.7×", 12.4 → "12×" (one digit after the point below 10, none above), or with fixed `digits`;
 * "–" when not finite or not positive.
 */
export function formatRatio(x: number, digits?: number): string {
  if (!Number.isFinite(x) || x <= 0) return '–';
  return `${x.toFixed(digits ?? (x >= 10 ? 0 : 1))}×`;
}

/** Counts as people read them on an axis or in a bar label: 1234 → "1.23k", 5.6e9 → "5.6G". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, s] of units) if (a >= v) return `${Number((n / v).toPrecision(3))}${s}`;
  return String(Math.round(n));
}

/** A count in full below a million, in exponent form above (a typo in a config: 4294967296 → "4.294967296e9"). */
export function formatLargeCount(n: number): string {
  return n >= 1e6 && Number.isFinite(n) ? n.toExponential().replace('e+', 'e') : String(n);
}

// Short forms for one-line editor hints (CodeLens), where "3.100 ms" would crowd the line.

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

/**
 * The work a kernel did under the problem's masks, in one sentence (kernels/sparsity.ts counts it; the runner's
 * notes and the report's summary both say it): visible share, tiles computed, FLOPs done vs dense.
 */
export function describeWork(w: {
  visibleFraction: number;
  tilesComputed: number;
  tilesTotal: number;
  tileFraction: number;
  flopsDone: number;
  flopsDense: number;
  tile?: string;
}): string {
  const pct = (x: number) => formatPercent(x, x < 0.1 ? 1 : 0);
  const tiles = w.tile ? `computed ${w.tilesComputed} of ${w.tilesTotal} ${w.tile} tiles (${pct(w.tileFraction)})` : 'computes the whole score matrix';
  return `Work: ${pct(w.visibleFraction)} of the score matrix is visible; ${tiles}: ${formatFlops(w.flopsDone)} done of ${formatFlops(w.flopsDense)} dense.`;
}

/** Whether Dawn's shader checks were compiled into our kernels (kernels/device.ts `shaderChecksSetting`), in a sentence. */
export function describeShaderChecks(on: boolean): string {
  return on
    ? 'on: Dawn clamps every array index and zeroes workgroup memory, which native kernels do not (the default on a software adapter; attnprof.shaderChecks or --shader-checks on a GPU)'
    : 'off, as native kernels run: no index clamping nor zeroed workgroup memory; the kernels are tested not to need them (attnprof.shaderChecks / --shader-checks keeps them)';
}

/** A tensor-core shape the adapter offers WGSL: '16×16×16 f16→f32'. */
export function formatMatrixConfig(c: { M: number; N: number; K: number; componentType: string; resultComponentType: string }): string {
  return `${c.M}×${c.N}×${c.K} ${c.componentType}→${c.resultComponentType}`;
}
