import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFromReportView } from '../../../extension/protocol/reportView';
import { contentSecurityPolicy, reportHtml } from '../../../extension/webview-host/html';

describe('report view protocol: messages from the webview are validated', () => {
  test('well-formed requests pass', () => {
    for (const m of [
      { type: 'ready' },
      { type: 'copyMarkdown', requestId: 1 },
      { type: 'copyMarkdown', requestId: 2, side: 'a' },
      { type: 'export', requestId: 3, format: 'trace' },
      { type: 'saveChart', requestId: 4, chart: 'memory', format: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' },
      { type: 'saveChart', requestId: 5, chart: 'flame', format: 'png', data: 'data:image/png;base64,iVBORw0KGgo=' },
      { type: 'log', level: 'warn', message: 'x' },
    ]) assert.ok(isFromReportView(m), JSON.stringify(m));
  });

  test('anything else is refused', () => {
    for (const m of [
      null,
      'ready',
      { type: 'nope' },
      { type: 'export', requestId: 1, format: '../../etc/passwd' },
      { type: 'export', requestId: -1, format: 'csv' },
      { type: 'export', requestId: 1.5, format: 'csv' },
      { type: 'copyMarkdown', requestId: 1, side: 'c' },
      { type: 'saveChart', requestId: 1, chart: 'flame', format: 'png', data: 'data:text/html;base64,PGgxPg==' },
      { type: 'saveChart', requestId: 1, chart: 'flame', format: 'svg', data: '<script>alert(1)</script>' },
      { type: 'saveChart', requestId: 1, chart: 'other', format: 'svg', data: '<svg/>' },
      { type: 'log', level: 'info', message: 'x' },
    ]) assert.equal(isFromReportView(m), false, JSON.stringify(m));
  });
});

describe('report view HTML', () => {
  test('strict CSP with the nonce; no report data inlined; user text escaped', () => {
    const raw = reportHtml({ cspSource: 'vscode-resource:', scriptUri: 'r/dist/webview-report.js', styleUri: 'r/dist/webview-report.css', title: 'Attention: <img src=x onerror=alert(1)>' }, 'abc123');
    // Attribute values are entity-escaped; the browser reads them decoded.
    const html = raw.replaceAll('&#39;', "'");
    assert.match(html, /default-src 'none'; script-src 'nonce-abc123'; style-src vscode-resource: 'nonce-abc123'; img-src vscode-resource: data:; font-src vscode-resource:/);
    assert.match(html, /<script nonce="abc123" src="r\/dist\/webview-report.js"><\/script>/);
    assert.ok(!html.includes('<img'), 'the title is escaped');
    assert.ok(!html.includes('unsafe-inline') && !html.includes('unsafe-eval'));
    assert.equal(contentSecurityPolicy('x:', 'n').includes('http'), false, 'no remote origins');
  });
});
