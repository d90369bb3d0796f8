import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'coverage', '**/*.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Tests read untyped JSON bodies from real servers; `any` there is honest, not a shortcut.
    files: ['**/*.spec.ts', 'test/**/*.ts', 'harness/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The example website is browser JavaScript checked by TypeScript (examples/website/tsconfig.json),
    // which knows the DOM's names; ESLint's no-undef would not (typescript-eslint turns it off for .ts).
    files: ['examples/website/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
