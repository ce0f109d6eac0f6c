/** Value formatters, one place for the CLI, the reports and the UI: bytes in KiB/MiB/GiB, time auto-scaled. */
/** Two significant digits below 10, whole numbers above: "0.93", "3.1", "56", "117". */
function compact(v: number): string {
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
