import tseslint from 'typescript-eslint';

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
    files: ['kernels/**/*.ts', 'extension/model/**/*.ts', 'extension/report/**/*.ts', 'extension/engine/**/*.ts', 'extension/cli/**/*.ts', 'extension/hints/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'pure modules must not import vscode' }] }] },
  },
);
