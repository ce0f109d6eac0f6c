/** test/unit mirrors the source folders: a test sits in the folder named after the code it tests. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(__dirname, '../../..');
const dirs = (p: string) => readdirSync(join(root, p)).filter((n) => statSync(join(root, p, n)).isDirectory());

test('every test/unit folder is a source folder (extension/<name>, kernels or webview), or repo/ for tree-wide checks', () => {
  const sourceFolders = new Set([...dirs('extension'), 'kernels', 'webview', 'repo']);
  // torch/: the PyTorch bridge's tests, to move to engine/ with the bridge's modules.
  const pending = new Set(['torch']);
  const stray = dirs('test/unit').filter((d) => !sourceFolders.has(d) && !pending.has(d));
  assert.deepEqual(stray, []);
  for (const d of dirs('test/unit')) {
    if (d === 'repo' || pending.has(d)) continue;
    assert.ok(existsSync(join(root, d === 'kernels' || d === 'webview' ? d : `extension/${d}`)), d);
  }
});
