/**
 * The layer rules in eslint.config.mjs fire: ESLint's own API lints small snippets placed (virtually) in each folder,
 * one import that breaks a boundary and one that keeps it. (The whole tree is linted by `npm run lint`.)
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import type * as Eslint from 'eslint';

const root = resolve(__dirname, '../../..');
let eslint: Eslint.ESLint;

/** Rule ids and messages ESLint reports for `code` as if it were the file `filePath`. */
async function lint(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: resolve(root, filePath) });
  return r.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const use = (names: string) => `\nexport const used = [${names}];\n`;

describe('ESLint layer rules', () => {
  before(() => {
    // Loaded at run time from node_modules (not bundled into the test), with the project's flat config.
    const { ESLint } = createRequire(__filename)('eslint') as typeof Eslint;
    eslint = new ESLint({ cwd: root });
  });

  test('padding/ is pure: no vscode, no engine/ or cli/', async () => {
    assert.match((await lint('extension/padding/x.ts', `import * as vscode from 'vscode';${use('vscode')}`)).join(), /no-restricted-imports: .*must not import vscode/);
    assert.match((await lint('extension/padding/x.ts', `import { analysePadding } from '../engine/padding';${use('analysePadding')}`)).join(), /padding\/ is pure/);
    assert.match((await lint('extension/padding/x.ts', `import { writeOutput } from '../cli/outputs';${use('writeOutput')}`)).join(), /padding\/ is pure/);
    assert.deepEqual(await lint('extension/padding/x.ts', `import { formatBytes } from '../../kernels/units';\nimport { planPadding } from './analysis';${use('formatBytes, planPadding')}`), []);
  });

  test('nothing below engine/ imports cli/ (nor the engine itself)', async () => {
    const cli = /nothing at or below engine\/ imports cli\//;
    for (const [file, from] of [
      ['kernels/x.ts', '../extension/cli/args'],
      ['extension/model/x.ts', '../cli/args'],
      ['extension/report/x.ts', '../cli/args'],
      ['extension/protocol/x.ts', '../cli/args'],
      ['extension/engine/x.ts', '../cli/args'],
    ]) {
      assert.match((await lint(file, `import { parseArgs } from '${from}';${use('parseArgs')}`)).join(), cli, file);
    }
    assert.deepEqual(await lint('extension/cli/x.ts', `import { analysePadding } from '../engine/padding';${use('analysePadding')}`), []);
    assert.match((await lint('extension/report/x.ts', `import { profile } from '../engine/profile';${use('profile')}`)).join(), /must not import it: the engine calls them/);
    assert.match((await lint('extension/model/x.ts', `import type { ToWorker } from '../protocol/worker';\nexport type T = ToWorker;\n`)).join(), /must not import the channels/);
  });

  test('the webview imports only the report contract, protocols as types, and the formatters', async () => {
    const ok = [
      "import { formatMs } from '../../kernels/units';",
      "import { buildFlameModel } from '../../extension/report/flame-model';",
      "import type { ToReportView } from '../../extension/protocol/reportView';",
      "import { select } from 'd3';",
      "import { h } from './dom';",
    ].join('\n');
    assert.deepEqual(await lint('webview/report/x.ts', `${ok}\nexport type T = ToReportView;${use('formatMs, buildFlameModel, select, h')}`), []);
    assert.deepEqual(await lint('webview/report/flame/x.ts', `import { formatMs } from '../../../kernels/units';${use('formatMs')}`), []);
    const refused = /@typescript-eslint\/no-restricted-imports: .*the webview imports only the report contract/;
    for (const line of [
      "import { attentionFlops } from '../../kernels/problem';",
      "import type { PaddingAnalysis } from '../../extension/padding/types';",
      "import { isFromWorker } from '../../extension/protocol/worker';",
      "import { profile } from '../../../extension/engine/profile';",
      "import * as vscode from 'vscode';",
    ]) {
      assert.match((await lint('webview/report/x.ts', `${line}\nexport const x = 1;\n`)).join(), refused, line);
    }
  });
});
