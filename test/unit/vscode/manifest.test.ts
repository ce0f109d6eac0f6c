/** The manifest is the extension's public surface: command titles (the e2e tests type them), views, settings. */
import assert from 'node:assert/strict';
import { KERNEL_NAMES } from '../../../kernels/names';
import { KERNELS } from '../../../kernels/runner';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, KNOWN_KERNELS } from '../../../extension/hints/settings';
import { COMMANDS, REPORTS_VIEW_ID } from '../../../extension/vscode/commandIds';
import { repoPath } from '../model/helpers';

interface Manifest {
  activationEvents: string[];
  extensionKind: string[];
  contributes: {
    commands: { command: string; title: string; category: string }[];
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    views: Record<string, { type?: string; id: string; name: string }[]>;
    configuration: { properties: Record<string, { type: string; default: unknown; minimum?: number; maximum?: number; enum?: string[]; items?: { enum?: string[]; enumDescriptions?: string[] } }> };
  };
}

const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as Manifest;

test('every command the host registers is contributed, under the category, with the titles people type', () => {
  const contributed = new Map(pkg.contributes.commands.map((c) => [c.command, c]));
  assert.deepEqual([...contributed.keys()].sort(), Object.values(COMMANDS).sort());
  for (const c of contributed.values()) assert.equal(c.category, 'Attention Profiler', c.command);
  const title = (id: string) => contributed.get(id)?.title;
  assert.equal(title(COMMANDS.profileConfig), 'Profile Open Model Config');
  assert.equal(title(COMMANDS.profileShape), 'Profile Shape…');
  assert.equal(title(COMMANDS.selectKernels), 'Select Kernels…');
  assert.equal(title(COMMANDS.selectAdapter), 'Select GPU Adapter…');
  assert.equal(title(COMMANDS.showReports), 'Show Reports');
  assert.equal(title(COMMANDS.analyzePadding), 'Analyze Padding Efficiency…');
});

test('activation only on config languages and the views: never "*"', () => {
  assert.ok(!pkg.activationEvents.includes('*'));
  for (const lang of ['json', 'jsonc', 'python', 'yaml', 'shellscript']) assert.ok(pkg.activationEvents.includes(`onLanguage:${lang}`), lang);
  assert.ok(pkg.activationEvents.includes(`onView:${REPORTS_VIEW_ID}`));
  assert.deepEqual(pkg.extensionKind, ['workspace']);
});

test('the Reports side panel is a webview view in its own activity-bar container', () => {
  const [container] = pkg.contributes.viewsContainers.activitybar;
  assert.equal(container.title, 'Attention Profiler');
  const views = pkg.contributes.views[container.id];
  assert.deepEqual(views.map((v) => [v.id, v.type]), [[REPORTS_VIEW_ID, 'webview']]);
  assert.match(readFileSync(repoPath(container.icon), 'utf8'), /currentColor/);
});

test('settings: defaults agree with the host, numbers are bounded', () => {
  const p = pkg.contributes.configuration.properties;
  assert.deepEqual(p['attnprof.kernels'].default, DEFAULT_SETTINGS.kernels);
  assert.deepEqual(p['attnprof.kernels'].items?.enum, [...KNOWN_KERNELS]);
  assert.deepEqual(p['attnprof.kernels'].items?.enum?.slice(0, 4), ['naive', 'flash', 'flash-mma', 'torch:eager']);
  // One list of kernel names: the runner's kernels are kernels/names.ts's, and the setting lists them first.
  assert.deepEqual(KERNELS.filter((k) => !k.internal).map((k) => k.name), [...KERNEL_NAMES]);
  assert.deepEqual(KNOWN_KERNELS.slice(0, KERNEL_NAMES.length), [...KERNEL_NAMES]);
  assert.deepEqual(p['attnprof.kernels'].items?.enumDescriptions?.length, KNOWN_KERNELS.length);
  assert.deepEqual(p['attnprof.dtype'].enum, ['auto', 'f32', 'f16']);
  assert.deepEqual(p['attnprof.torchDtype'].enum, ['auto', 'bf16', 'f16', 'f32']);
  assert.equal(p['attnprof.torchDtype'].default, DEFAULT_SETTINGS.torchDtype);
  assert.deepEqual(p['attnprof.mode'].enum, ['auto', 'fwd', 'train']);
  assert.equal(p['attnprof.mode'].default, DEFAULT_SETTINGS.mode);
  assert.equal(p['attnprof.python'].default, DEFAULT_SETTINGS.python);
  const expect: Record<string, [unknown, number, number]> = {
    'attnprof.iterations': [DEFAULT_SETTINGS.iterations, 1, 10000],
    'attnprof.warmup': [DEFAULT_SETTINGS.warmup, 0, 1000],
    'attnprof.batch': [DEFAULT_SETTINGS.batch, 0, 65536],
    'attnprof.seqLen': [DEFAULT_SETTINGS.seqLen, 0, 1048576],
    'attnprof.maxSeconds': [DEFAULT_SETTINGS.maxSeconds, 0.1, 3600],
  };
  for (const [key, [def, min, max]] of Object.entries(expect)) {
    assert.deepEqual([p[key].default, p[key].minimum, p[key].maximum], [def, min, max], key);
  }
  assert.equal(p['attnprof.dtype'].default, DEFAULT_SETTINGS.dtype);
  assert.equal(p['attnprof.adapter'].default, DEFAULT_SETTINGS.adapter);
  // Both reach the worker as environment variables (extension.ts), read by kernels/device.ts with these defaults.
  assert.equal(p['attnprof.f16Toggle'].default, true);
  assert.equal(p['attnprof.shaderChecks'].default, false);
  assert.equal(p['attnprof.codeLens.enabled'].default, DEFAULT_SETTINGS.codeLensEnabled);
  assert.equal(p['attnprof.padding.lengthsFile'].default, DEFAULT_SETTINGS.paddingLengthsFile);
});
