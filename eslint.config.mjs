// ESLint flat config (STYLE.md 7.7 rule 10): typescript-eslint type-checked rules, Prettier owns formatting.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    '**/dist/',
    '**/node_modules/',
    '**/.mailpackr/',
    '**/coverage/',
    'apps/api/src/graphql/graphql.generated.ts',
    'bench/results/',
  ]),

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        // Nest DI reads constructor parameter types from decorator metadata, so an import used
        // only as a decorated parameter type must stay a value import. With these two flags
        // consistent-type-imports leaves files that contain decorators alone.
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
    },
  },

  // The domain is pure and framework-free (STYLE.md 7.7 rule 1, DESIGN.md 8.1).
  {
    files: ['libs/domain/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@nestjs/*',
                'typeorm',
                'typeorm/*',
                'pg',
                'pg/*',
                '@eventstore/*',
                '@electric-sql/*',
                'node:*',
              ],
              message:
                'libs/domain is pure: no framework, database or Node imports. Pass time, ids and IO in from the shell.',
            },
          ],
        },
      ],
    },
  },

  // Tests and test helpers: relaxed where test code legitimately pokes at untyped data.
  {
    files: ['**/*.spec.ts', 'libs/testing/**', 'apps/api/test/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },

  // Plain JavaScript (scripts, CLI launcher, this file): linted without type information.
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
      },
    },
  },

  prettier,
);
