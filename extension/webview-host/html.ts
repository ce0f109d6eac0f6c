/**
 * The report webview's HTML: a shell that loads the bundle. No report data is inlined (it comes as a message
 * after `ready`), so user text (model and kernel names) never meets the HTML parser.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewAssets {
  /** `webview.cspSource`: the origin VS Code serves `localResourceRoots` from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  title: string;
}

/** 128 random bits, base64: a CSP nonce must be unguessable per page load. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Strict CSP: only our own nonce'd script; styles and fonts only from the extension (the toolkit uses constructable
 * stylesheets, which CSP does not govern, so no 'unsafe-inline'). The nonce is also allowed for styles because FAST
 * (under the toolkit) probes `:focus-visible` support with one <style> element, nonce'd from
 * `<meta property="csp-nonce">`; blocked, it falls back to drawing focus rings on every click.
 * Images from the extension or data: (chart PNGs).
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The shell every webview of this extension uses (reports, side panel): CSP, nonce, one stylesheet, one script. */
export function webviewShellHtml(assets: WebviewAssets, bodyHtml: string, nonce: string = makeNonce()): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(assets.cspSource, nonce))}">
<meta property="csp-nonce" content="${escapeHtml(nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(assets.styleUri)}">
<title>${escapeHtml(assets.title)}</title>
</head>
<body>
${bodyHtml}
<script nonce="${escapeHtml(nonce)}" src="${escapeHtml(assets.scriptUri)}"></script>
</body>
</html>`;
}

export function reportHtml(assets: WebviewAssets, nonce: string = makeNonce()): string {
  return webviewShellHtml(assets, '<main id="app" aria-live="polite"><p class="loading">Loading report…</p></main>', nonce);
}
