// Lint (npm run lint, part of npm test): typescript-eslint with type information, so promise and `any` mistakes
// are caught (STYLE §12: every promise is awaited), plus a size limit on product functions. Formatting is
// Prettier's (eslint-config-prettier turns off the rules that would fight it); import direction between layers is
// dependency-cruiser's (.dependency-cruiser.cjs).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'bench/results/', 'test-artifacts/', 'src/console/assets/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Product code: functions a reader can hold in their head (tests are lists of cases and may run longer).
    files: ['src/**/*.ts', 'machines/**/*.ts', 'workers/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Tests and benchmarks read the live service's JSON answers without declaring their types: the assertions are
    // what checks their shape, against the real API, so these rules would only ask for casts that prove nothing.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The console's browser scripts (ES modules, and its layout worker: a classic script) and the API reference's,
    // without type information from the project.
    files: ['src/console/assets/**/*.js', 'src/api/docs-assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      // The page's modules, and its layout worker (a classic script: importScripts).
      globals: { ...globals.browser, ...globals.worker },
    },
  },
  {
    files: ['eslint.config.js', '.dependency-cruiser.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: globals.node,
    },
  },
  prettier,
);
