/**
 * The import graph of the source tree: no circle, and no import running up the layer order
 * (config → spec → plan → kernels → result → report → view, DESIGN.md). Every relative `import`/`export … from`
 * of extension/, kernels/ and webview/ is read from the sources and resolved to a file; the rules are checked
 * on that graph. ESLint (eslint.config.mjs) guards the same boundaries while editing; this test is the proof
 * that counts them.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import type * as Esbuild from 'esbuild';

const root = resolve(__dirname, '../../..');

function sources(dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? sources(path) : /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(root, dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate);
  }
  return undefined;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/g;

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function graph(): { files: string[]; edges: Edge[] } {
  const files = ['extension', 'kernels', 'webview'].flatMap(sources).sort();
  const edges: Edge[] = [];
  for (const from of files) {
    const text = readFileSync(join(root, from), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const to = resolveImport(from, m[2]);
      if (to && to.endsWith('.ts')) edges.push({ from, to, typeOnly: m[1] !== undefined });
    }
  }
  return { files, edges };
}

/** Layers from the bottom: a module may import its own layer's folder or any layer below it. */
const LAYERS: readonly (readonly string[])[] = [
  ['kernels/'],
  ['extension/model/'],
  ['extension/padding/'],
  ['extension/report/'],
  ['extension/protocol/'],
  ['extension/engine/'],
  ['extension/hints/'],
  ['extension/cli/', 'extension/webview-host/'],
  ['extension/vscode/'],
  ['extension/extension.ts'],
];

const layerOf = (file: string) => LAYERS.findIndex((l) => l.some((p) => file.startsWith(p)));
const folderOf = (file: string) => LAYERS.flat().find((p) => file.startsWith(p)) ?? dirname(file);

/**
 * The formatters (bytes, times, FLOPs, percentages): one module, a leaf that imports nothing, at the bottom of the
 * order so every layer, the report and the webviews share it.
 */
const FORMATTERS = 'kernels/units.ts';
/** What the webviews may import from outside webview/: the report contract, the channels' protocols, formatters. */
const WEBVIEW_MAY_IMPORT = [/^extension\/report\//, /^extension\/protocol\/(reportView|sidebar|result)\.ts$/, /^kernels\/units\.ts$/];

function violations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    if (e.from.startsWith('webview/')) {
      const own = e.to.startsWith('webview/');
      if (!own && !WEBVIEW_MAY_IMPORT.some((re) => re.test(e.to))) out.push(`${e.from} -> ${e.to}`);
      // Protocols as types only: each side validates what it receives with its own code.
      else if (e.to.startsWith('extension/protocol/') && !e.typeOnly) out.push(`${e.from} -> ${e.to} (not import type)`);
      continue;
    }
    if (e.to.startsWith('webview/')) {
      out.push(`${e.from} -> ${e.to}`);
      continue;
    }
    // The report is a self-contained contract: its own wire types, filled by the engine (engine/reportWire.ts).
    if (e.from.startsWith('extension/report/') && !e.to.startsWith('extension/report/') && e.to !== FORMATTERS) {
      out.push(`${e.from} -> ${e.to}`);
      continue;
    }
    const a = layerOf(e.from);
    const b = layerOf(e.to);
    if (a < 0 || b < 0) continue;
    // Up the order, or sideways into another folder of the same layer.
    if (b > a || (b === a && folderOf(e.from) !== folderOf(e.to))) out.push(`${e.from} -> ${e.to}`);
  }
  return out.sort();
}

/** Strongly connected components with more than one file (Tarjan), each sorted. */
function circles(files: readonly string[], edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

test('the import graph is read: every source file, relative imports resolved', () => {
  const { files, edges } = graph();
  assert.ok(files.length > 50 && files.includes('extension/cli/main.ts'), `${files.length} files`);
  assert.ok(edges.some((e) => e.from === 'extension/cli/main.ts' && e.to === 'kernels/device.ts'));
  assert.ok(edges.some((e) => e.typeOnly));
});

test('no import runs up the layer order; webviews import only the report contract, protocols and formatters', () => {
  assert.deepEqual(violations(graph().edges), []);
});

test('charts do not import each other (shared colours and tooltips live in their own modules)', () => {
  // A chart is webview/report/<name>Chart.ts with, for the flame chart, its parts in webview/report/flame/.
  const chartOf = (f: string) => /^webview\/report\/(\w+)Chart\.ts$/.exec(f)?.[1] ?? (f.startsWith('webview/report/flame/') ? 'flame' : undefined);
  const { edges } = graph();
  assert.ok(edges.some((e) => e.from === 'webview/report/flameChart.ts' && e.to.startsWith('webview/report/flame/')));
  assert.deepEqual(
    edges.filter((e) => chartOf(e.from) && chartOf(e.to) && chartOf(e.from) !== chartOf(e.to)).map((e) => `${e.from} -> ${e.to}`),
    [],
  );
});

test('the webview bundles hold the report contract and the formatters, no GPU or padding code', async () => {
  // Loaded at run time from node_modules (not bundled into the test); bundles as scripts/build.mjs does, in memory.
  const esbuild = createRequire(__filename)('esbuild') as typeof Esbuild;
  for (const name of ['report', 'sidebar']) {
    const { metafile } = await esbuild.build({
      entryPoints: [join(root, 'webview', name, 'main.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'browser',
      format: 'iife',
      absWorkingDir: root,
      outdir: join(root, 'dist'), // needed to bundle the CSS; nothing is written
      logLevel: 'silent',
    });
    const inputs = Object.keys(metafile.inputs).filter((f) => !f.startsWith('webview/') && !f.includes('node_modules/'));
    assert.deepEqual(inputs.filter((f) => !f.startsWith('extension/report/') && f !== FORMATTERS), [], `webview-${name}`);
    if (name === 'report') assert.ok(inputs.includes('extension/report/flame-model.ts'), inputs.join(', '));
  }
});

test('the formatter module is a leaf', () => {
  assert.deepEqual(graph().edges.filter((e) => e.from === FORMATTERS), []);
});

test('no import circle', () => {
  const { files, edges } = graph();
  assert.deepEqual(circles(files, edges), []);
});

test('the checks catch what they are for', () => {
  const e = (from: string, to: string): Edge => ({ from, to, typeOnly: false });
  assert.deepEqual(violations([e('extension/padding/x.ts', 'extension/cli/args.ts')]), ['extension/padding/x.ts -> extension/cli/args.ts']);
  assert.deepEqual(violations([e('kernels/a.ts', 'extension/model/b.ts')]), ['kernels/a.ts -> extension/model/b.ts']);
  assert.deepEqual(violations([e('extension/cli/a.ts', 'extension/webview-host/b.ts')]), ['extension/cli/a.ts -> extension/webview-host/b.ts']);
  assert.deepEqual(violations([e('webview/report/a.ts', 'kernels/problem.ts'), e('webview/report/a.ts', 'extension/report/schema.ts')]), [
    'webview/report/a.ts -> kernels/problem.ts',
  ]);
  assert.deepEqual(violations([e('extension/vscode/a.ts', 'kernels/device.ts')]), []);
  assert.deepEqual(violations([e('webview/report/a.ts', 'extension/protocol/reportView.ts'), { ...e('webview/report/b.ts', 'extension/protocol/reportView.ts'), typeOnly: true }]), [
    'webview/report/a.ts -> extension/protocol/reportView.ts (not import type)',
  ]);
  assert.deepEqual(violations([e('extension/protocol/worker.ts', 'extension/engine/profile.ts')]), ['extension/protocol/worker.ts -> extension/engine/profile.ts']);
  assert.deepEqual(violations([e('extension/report/a.ts', 'kernels/runner.ts'), e('extension/report/a.ts', 'extension/padding/types.ts'), e('extension/report/a.ts', 'kernels/units.ts')]), [
    'extension/report/a.ts -> extension/padding/types.ts',
    'extension/report/a.ts -> kernels/runner.ts',
  ]);
  assert.deepEqual(circles(['a', 'b', 'c'], [e('a', 'b'), e('b', 'a'), e('b', 'c')]), [['a', 'b']]);
});
