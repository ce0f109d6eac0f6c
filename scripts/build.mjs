// Builds every bundle with esbuild (after `tsc --noEmit` has type-checked, in `npm test`/`npm run package`).
//   dist/extension.js  extension host (vscode external)
//   dist/cli.js        the `attnprof` CLI, also the profiling worker's entry (webgpu external: native addon)
//   dist/bench.js      `npm run bench`
//   dist/webview-*.js  one browser bundle per webview (webview/<name>/main.ts)
//   dist/attnprof_torch.py  the PyTorch side, copied as is (the worker and the CLI start it with the user's Python)
//   dist-test/**       one bundle per test file (`--tests`)
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: false,
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
  legalComments: 'none',
};
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['webgpu', 'vscode'] };

const builds = [];
const entry = (src, out, extra = {}) => existsSync(src) && builds.push(esbuild.build({ ...node, entryPoints: [src], outfile: out, ...extra }));
entry('extension/extension.ts', 'dist/extension.js');
entry('extension/cli/main.ts', 'dist/cli.js', { banner: { js: '#!/usr/bin/env node' } });
entry('test/bench/bench.ts', 'dist/bench.js');
// One browser bundle per webview: webview/<name>/main.ts -> dist/webview-<name>.js (+ .css when it imports CSS).
if (existsSync('webview')) {
  for (const name of readdirSync('webview')) {
    const main = join('webview', name, 'main.ts');
    if (!existsSync(main)) continue;
    builds.push(
      esbuild.build({
        ...common,
        entryPoints: [main],
        outfile: `dist/webview-${name}.js`,
        platform: 'browser',
        format: 'iife',
        target: 'es2022',
        minify: production,
      }),
    );
  }
}

if (args.has('--tests')) {
  rmSync('dist-test', { recursive: true, force: true });
  const walk = (dir) =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (name === 'node_modules' || name === 'e2e') return [];
      return statSync(path).isDirectory() ? walk(path) : path.endsWith('.test.ts') ? [path] : [];
    });
  const tests = walk('test');
  builds.push(
    esbuild.build({
      ...node,
      entryPoints: tests,
      outdir: 'dist-test',
      outbase: 'test',
      sourcemap: 'inline',
    }),
  );
  console.log(`build: ${tests.length} test files -> dist-test/ (${tests.map((t) => relative('test', t)).join(', ')})`);
}
await Promise.all(builds);
if (existsSync('extension/torch/attnprof_torch.py')) {
  mkdirSync('dist', { recursive: true });
  copyFileSync('extension/torch/attnprof_torch.py', 'dist/attnprof_torch.py');
}
