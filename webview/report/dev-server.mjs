// Dev only (not shipped): serves dist/ and a report on 127.0.0.1 for looking at the report webview in a browser.
//   node webview/report/dev-server.mjs PORT REPORT.json [B.json]   (B given: an A/B comparison)
//   open http://127.0.0.1:PORT/?theme=dark|light
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

const [port = '8765', a, b] = process.argv.slice(2);
const root = process.cwd();
const types = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };
createServer((req, res) => {
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
  try {
    if (url.pathname === '/') {
      const nonce = randomBytes(16).toString('base64');
      const theme = url.searchParams.get('theme') === 'light' ? 'light' : 'dark';
      const html = readFileSync(join(root, 'webview/report/dev.html'), 'utf8')
        .replaceAll('%NONCE%', nonce)
        .replaceAll('%THEME%', theme)
        .replaceAll('%ORIGIN%', `http://127.0.0.1:${port}`);
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else if (url.pathname === '/data') {
      const report = (f) => JSON.parse(readFileSync(f, 'utf8'));
      const body = b ? { type: 'compare', a: report(a), b: report(b) } : { type: 'report', report: report(a) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else if (url.pathname === '/dev-theme.css') {
      res.writeHead(200, { 'content-type': 'text/css' }).end(readFileSync(join(root, 'webview/report/dev-theme.css')));
    } else if (url.pathname.startsWith('/dist/')) {
      const path = normalize(join(root, url.pathname));
      if (!path.startsWith(join(root, 'dist'))) throw new Error('outside dist');
      res.writeHead(200, { 'content-type': types[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream' }).end(readFileSync(path));
    } else res.writeHead(404).end();
  } catch (e) {
    res.writeHead(404).end(String(e));
  }
}).listen(Number(port), '127.0.0.1', () => console.log(`dev server on http://127.0.0.1:${port}/`));
