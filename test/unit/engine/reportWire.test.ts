import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import type * as TypeScript from 'typescript';
import { specJson } from '../../../extension/engine/reportWire';
import { problem } from '../helpers';

const root = resolve(__dirname, '../../..');

/** Type-checks a snippet placed in extension/engine/ against the real sources; returns its own errors with their line (0-based). */
function typeErrors(snippet: string): { line: number; message: string }[] {
  // Loaded at run time from node_modules, not bundled into the test.
  const ts = createRequire(__filename)('typescript') as typeof TypeScript;
  const file = resolve(root, 'extension/engine/__wire_check__.ts');
  // The project's own compiler options (tsconfig.json), so the snippet is checked as `tsc --noEmit -p .` would.
  const config = ts.readConfigFile(resolve(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  options.noUnusedLocals = false; // each snippet uses only some of its imports
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const exists = host.fileExists.bind(host);
  host.readFile = (f) => (resolve(f) === file ? snippet : read(f));
  host.fileExists = (f) => resolve(f) === file || exists(f);
  const program = ts.createProgram([file, resolve(root, 'types/assets.d.ts')], options, host);
  const source = program.getSourceFile(file);
  return ts.getPreEmitDiagnostics(program, source).map((d) => ({
    line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }));
}

describe('report wire types', () => {
  test('specJson states the problem with the derived cost numbers', () => {
    const p = problem({ batch: 2, heads: 8, kvHeads: 2, seqLenQ: 4, seqLenK: 4, causal: true, kvLens: Int32Array.from([3, 4]) });
    const s = specJson(p);
    assert.equal(s.scale, 0.125);
    assert.deepEqual(s.kvLens, [3, 4]);
    assert.equal(s.visiblePairs, 10);
    assert.equal(s.flops, 4 * 2 * 8 * 10 * 64);
    assert.equal(s.scoreMatrixBytes, 2 * 8 * 4 * 4 * 4);
    assert.ok(!('kvLens' in specJson({ ...p, kvLens: undefined })));
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s, 'plain JSON: no typed arrays');
  });

  test('a field added on one side only does not compile (the engine and the report stay in step)', () => {
    const head = [
      "import type { KernelResult } from '../../kernels/runner';",
      "import type { PaddingAnalysis } from '../padding/types';",
      "import type * as Wire from '../report/measurements';",
      "import type * as Section from '../report/padding';",
      "import type { Agree, Check } from './reportWire';",
    ].join('\n');
    const cases = [
      'Check<Agree<KernelResult, Wire.KernelResult>>',
      'Check<Agree<PaddingAnalysis, Section.PaddingAnalysis>>',
      "Check<Agree<KernelResult & { newField: number }, Wire.KernelResult>>",
      "Check<Agree<Omit<PaddingAnalysis, 'causal'>, Section.PaddingAnalysis>>",
      "Check<Agree<Omit<KernelResult, 'peakBytes'> & { peakBytes: string }, Wire.KernelResult>>",
    ];
    const lines = head.split('\n').length;
    const errors = typeErrors(`${head}\n${cases.map((c, i) => `export type T${i} = ${c};`).join('\n')}\n`);
    const failing = errors.map((e) => e.line - lines);
    assert.deepEqual(failing, [2, 3, 4], errors.map((e) => `${e.line}: ${e.message}`).join('\n'));
    assert.ok(errors.every((e) => /does not satisfy the constraint 'true'/.test(e.message)));
  });
});
