// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', '.test-data/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['views/assets/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    languageOptions: { globals: globals.node },
  },
  {
    files: ['test/**', 'server/**/*-cli.ts', 'jobs/**'],
    rules: { 'no-console': 'off' },
  },
);
