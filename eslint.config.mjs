import tseslint from 'typescript-eslint';

// The layer boundaries while editing (test/unit/repo/eslint.test.ts proves each rule fires; the whole order and the
// absence of import circles are checked on the import graph by test/unit/repo/imports.test.ts).
const VSCODE = { name: 'vscode', message: 'pure modules must not import vscode: the CLI, the worker and the tests use them too' };
const CLI = {
  group: ['**/cli', '**/cli/*'],
  message: 'nothing at or below engine/ imports cli/: the CLI parses arguments into requests and calls the engine, never the reverse',
};
const ABOVE_ENGINE = {
  group: ['**/hints/*', '**/vscode/*', '**/webview-host/*', '**/webview/**', '**/extension'],
  message: 'this layer must not import the layers above it (hints, vscode, webview-host, webview, extension.ts)',
};
const ENGINE = { group: ['**/engine/*'], message: 'modules below engine/ must not import it: the engine calls them' };
const PROTOCOL = { group: ['**/protocol/*'], message: 'modules below protocol/ (kernels, model, padding, report) must not import the channels' };
const PADDING_PURE = {
  group: ['**/engine/*', '**/cli/*'],
  message: 'padding/ is pure: its arithmetic knows nothing of the engine or the CLI (engine/padding.ts runs the use case)',
};
const WEBVIEW = 'the webview imports only the report contract (extension/report/), the channel protocols as types, and the formatters (kernels/units)';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-test/**', 'node_modules/**', '.e2e/**', '.gpu/**', 'test/e2e/node_modules/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The use-case layer and the CLI: no VS Code API (the CLI and the worker run them outside the editor).
    files: ['extension/engine/**/*.ts', 'extension/cli/**/*.ts', 'extension/hints/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [VSCODE] }] },
  },
  {
    files: ['extension/engine/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [VSCODE], patterns: [CLI, ABOVE_ENGINE] }] },
  },
  {
    // The channels sit just below the engine: they import the report contract and types of the layers below.
    files: ['extension/protocol/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [VSCODE], patterns: [CLI, ENGINE, ABOVE_ENGINE] }] },
  },
  {
    files: ['kernels/**/*.ts', 'extension/model/**/*.ts', 'extension/report/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [VSCODE], patterns: [CLI, ENGINE, PROTOCOL, ABOVE_ENGINE] }] },
  },
  {
    files: ['extension/padding/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [VSCODE], patterns: [PADDING_PURE, PROTOCOL, ABOVE_ENGINE] }] },
  },
  {
    // The browser bundles: the report contract, protocols (types only: each side validates with its own code) and
    // the formatters; everything else they need lives in webview/.
    files: ['webview/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: WEBVIEW }],
          patterns: [
            { regex: '(^|/)extension/(?!report/|protocol/)', message: WEBVIEW },
            { regex: '(^|/)kernels/(?!units$)', message: WEBVIEW },
            { regex: '(^|/)extension/protocol/', allowTypeImports: true, message: `${WEBVIEW} (protocols: import type)` },
          ],
        },
      ],
    },
  },
);
