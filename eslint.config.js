// ESLint flat config: recommended + typescript-eslint's recommended rules for src, test, bench and docs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'training/', 'models/', '.scratch/', '.dependency-cruiser.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        queueMicrotask: 'readonly',
        NodeJS: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Functions a reader can hold in mind, at limits the code meets: a closure that grows into a hidden state
    // machine (a long factory with a dozen mutable flags) fails lint instead of review.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      complexity: ['error', 30],
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-depth': ['error', 6],
      'max-params': ['error', 7],
    },
  },
  {
    // The dashboard page: plain browser JavaScript, with uPlot loaded by a script tag.
    files: ['src/monitor/page/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        document: 'readonly',
        window: 'readonly',
        location: 'readonly',
        WebSocket: 'readonly',
        URLSearchParams: 'readonly',
        requestAnimationFrame: 'readonly',
        uPlot: 'readonly',
      },
    },
  },
);
