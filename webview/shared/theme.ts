/**
 * Colours for canvas and SVG charts from VS Code's `--vscode-*` CSS variables (CSS cannot reach a canvas), re-read
 * when VS Code switches theme: it toggles `vscode-light` / `vscode-dark` / `vscode-high-contrast` on `<body>`.
 */

export interface ThemeColors {
  background: string;
  foreground: string;
  muted: string;
  border: string;
  focus: string;
  error: string;
  warning: string;
  /** Category colours for kernels and passes, in a fixed order. */
  series: string[];
  red: string;
  green: string;
  blue: string;
  yellow: string;
  orange: string;
  purple: string;
  neutral: string;
  hoverBackground: string;
  hoverForeground: string;
  hoverBorder: string;
  searchMatch: string;
  fontFamily: string;
  monoFontFamily: string;
  fontSize: number;
  highContrast: boolean;
  kind: 'light' | 'dark' | 'high-contrast';
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function readTheme(): ThemeColors {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => cssVar(style, `--vscode-${name}`, fallback);
  const cls = document.body.classList;
  const kind = cls.contains('vscode-high-contrast') || cls.contains('vscode-high-contrast-light') ? 'high-contrast' : cls.contains('vscode-light') ? 'light' : 'dark';
  const light = kind === 'light' || cls.contains('vscode-high-contrast-light');
  // Every colour a chart uses is opaque: a translucent theme colour (Light Modern's charts.orange is
  // rgba(234,92,0,0.33)) would draw a mark nearly invisible and make any label contrast guess wrong.
  const background = opaque(v('editor-background', light ? '#ffffff' : '#1e1e1e'), light ? '#ffffff' : '#1e1e1e');
  const over = (c: string) => opaque(c, background);
  // Chart hues are the data: their full strength, not the pale wash a translucent value makes over the page.
  const hue = (c: string) => solid(c);
  const foreground = over(v('foreground', light ? '#616161' : '#cccccc'));
  const red = hue(v('charts-red', '#f14c4c'));
  const blue = hue(v('charts-blue', '#3794ff'));
  const yellow = hue(v('charts-yellow', '#cca700'));
  const orange = hue(v('charts-orange', '#d18616'));
  const green = hue(v('charts-green', '#89d185'));
  const purple = hue(v('charts-purple', '#b180d7'));
  return {
    background,
    foreground,
    muted: over(v('descriptionForeground', foreground)),
    border: over(v('panel-border', v('charts-lines', '#80808080'))),
    focus: over(v('focusBorder', blue)),
    error: over(v('errorForeground', red)),
    warning: over(v('editorWarning-foreground', yellow)),
    series: [blue, purple, orange, green, yellow, red],
    red,
    green,
    blue,
    yellow,
    orange,
    purple,
    neutral: over(v('charts-lines', '#808080')),
    hoverBackground: over(v('editorHoverWidget-background', light ? '#f3f3f3' : '#252526')),
    hoverForeground: over(v('editorHoverWidget-foreground', foreground)),
    hoverBorder: over(v('editorHoverWidget-border', '#454545')),
    searchMatch: over(v('editor-findMatchBorder', v('focusBorder', yellow))),
    fontFamily: v('font-family', 'system-ui, sans-serif'),
    monoFontFamily: v('editor-font-family', 'monospace'),
    fontSize: Number.parseFloat(v('font-size', '13')) || 13,
    highContrast: kind === 'high-contrast',
    kind,
  };
}

/** Calls `onChange` with fresh colours whenever the body's theme class changes; returns a stop function. */
export function watchTheme(onChange: (theme: ThemeColors) => void): () => void {
  const observer = new MutationObserver(() => onChange(readTheme()));
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  return () => observer.disconnect();
}

/** [r, g, b, a] (0–255, alpha 0–1) of any CSS colour the canvas understands. */
export function rgba(color: string): [number, number, number, number] {
  const ctx = scratchContext();
  ctx.fillStyle = '#000';
  ctx.fillStyle = color;
  const v = ctx.fillStyle; // normalised to #rrggbb, or rgba(r, g, b, a) when translucent
  if (v.startsWith('#')) return [Number.parseInt(v.slice(1, 3), 16), Number.parseInt(v.slice(3, 5), 16), Number.parseInt(v.slice(5, 7), 16), 1];
  const m = v.match(/[\d.]+/g);
  if (!m || m.length < 3) return [0, 0, 0, 1];
  return [Number(m[0]), Number(m[1]), Number(m[2]), m.length > 3 ? Number(m[3]) : 1];
}

const hex = (r: number, g: number, b: number) => `#${[r, g, b].map((x) => Math.round(Math.min(255, Math.max(0, x))).toString(16).padStart(2, '0')).join('')}`;

/** `color` composited over `background` (itself made opaque over white): what the eye sees, as #rrggbb. */
export function opaque(color: string, background: string): string {
  const [r, g, b, a] = rgba(color);
  if (a >= 1) return hex(r, g, b);
  const [br, bg, bb, ba] = rgba(background);
  const base = ba >= 1 ? [br, bg, bb] : [255 + (br - 255) * ba, 255 + (bg - 255) * ba, 255 + (bb - 255) * ba];
  return hex(base[0] + (r - base[0]) * a, base[1] + (g - base[1]) * a, base[2] + (b - base[2]) * a);
}

/** The colour at full strength (alpha dropped), as #rrggbb. */
export function solid(color: string): string {
  const [r, g, b] = rgba(color);
  return hex(r, g, b);
}

/** WCAG relative luminance (0 black … 1 white) of an opaque colour. */
export function luminance(color: string): number {
  const [r, g, b] = rgba(color).map((c, i) => (i < 3 ? c / 255 : c));
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio of two opaque colours (1 … 21). */
export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** Black or white, whichever has the higher contrast on `color` (any CSS colour the canvas understands). */
export function textOn(color: string): string {
  const c = solid(color);
  return contrast(c, '#000000') >= contrast(c, '#ffffff') ? '#000000' : '#ffffff';
}

/** `preferred` when it reads on `background` (contrast ≥ 4.5), else black or white, whichever reads better. */
export function readableOn(preferred: string, background: string): string {
  return contrast(solid(preferred), solid(background)) >= 4.5 ? preferred : textOn(background);
}

let scratch: CanvasRenderingContext2D | undefined;
function scratchContext(): CanvasRenderingContext2D {
  if (!scratch) {
    const c = document.createElement('canvas');
    c.width = c.height = 1;
    const ctx = c.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    scratch = ctx;
  }
  return scratch;
}

/** Resolves any CSS colour to a concrete value (for SVG exports that must stand alone without CSS variables). */
export function resolveColor(color: string): string {
  const ctx = scratchContext();
  ctx.fillStyle = '#000';
  ctx.fillStyle = color;
  return ctx.fillStyle;
}
