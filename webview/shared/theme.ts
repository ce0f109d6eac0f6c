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
  const foreground = v('foreground', kind === 'light' ? '#616161' : '#cccccc');
  const red = v('charts-red', '#f14c4c');
  const blue = v('charts-blue', '#3794ff');
  const yellow = v('charts-yellow', '#cca700');
  const orange = v('charts-orange', '#d18616');
  const green = v('charts-green', '#89d185');
  const purple = v('charts-purple', '#b180d7');
  return {
    background: v('editor-background', kind === 'light' ? '#ffffff' : '#1e1e1e'),
    foreground,
    muted: v('descriptionForeground', foreground),
    border: v('panel-border', v('charts-lines', '#80808080')),
    focus: v('focusBorder', blue),
    error: v('errorForeground', red),
    warning: v('editorWarning-foreground', yellow),
    series: [blue, purple, orange, green, yellow, red],
    red,
    green,
    blue,
    yellow,
    orange,
    purple,
    neutral: v('charts-lines', '#808080'),
    hoverBackground: v('editorHoverWidget-background', kind === 'light' ? '#f3f3f3' : '#252526'),
    hoverForeground: v('editorHoverWidget-foreground', foreground),
    hoverBorder: v('editorHoverWidget-border', '#454545'),
    searchMatch: v('editor-findMatchBorder', v('focusBorder', yellow)),
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

/** Black or white, whichever reads better on `color` (any CSS colour the canvas understands). */
export function textOn(color: string): string {
  const ctx = scratchContext();
  ctx.fillStyle = '#000';
  ctx.fillStyle = color;
  const hex = ctx.fillStyle; // normalised to #rrggbb or rgba(...)
  let r = 0;
  let g = 0;
  let b = 0;
  if (hex.startsWith('#')) {
    r = Number.parseInt(hex.slice(1, 3), 16);
    g = Number.parseInt(hex.slice(3, 5), 16);
    b = Number.parseInt(hex.slice(5, 7), 16);
  } else {
    const m = hex.match(/[\d.]+/g);
    if (m) [r, g, b] = m.map(Number);
  }
  // Relative luminance (sRGB approximation is enough to pick black or white).
  const lum = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  return lum > 0.55 ? '#000000' : '#ffffff';
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
