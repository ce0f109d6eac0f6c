import tseslint from 'typescript-eslint';

const VSCODE = { name: 'vscode', message: 'pure modules must not import vscode' };
const ABOVE_ENGINE = {
  group: ['**/engine/*', '**/cli/*', '**/hints/*', '**/vscode/*', '**/webview-host/*', '**/webview/**', '**/extension'],
  message: 'modules below engine/ must not import the layers above them (engine, cli, hints, vscode, webview-host, webview)',
};

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
    // Pure logic must stay free of the VS Code API so the CLI, the worker and the tests can use it.
    files: ['extension/engine/**/*.ts', 'extension/cli/**/*.ts', 'extension/hints/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [VSCODE] }] },
  },
  {
    // Below the use-case layer (engine/): no vscode, and nothing from the layers that call it. The layer order
    // is checked as a whole, with import circles, by test/unit/repo/imports.test.ts.
    files: ['kernels/**/*.ts', 'extension/model/**/*.ts', 'extension/padding/**/*.ts', 'extension/report/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [VSCODE], patterns: [ABOVE_ENGINE] }] },
  },
);
