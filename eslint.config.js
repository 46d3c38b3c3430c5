// ESLint (flat config): `npm run lint` runs it together with `prettier --check`.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Every Node built-in under each name it can be imported by: `fs`, `fs/promises`, `node:fs`, `node:test`, … */
const nodeBuiltins = [...new Set(builtinModules.flatMap((name) => (name.startsWith('node:') ? [name] : [name, `node:${name}`])))];

/**
 * Modules the workflow bundle must not load: they do I/O or need Node, so they cannot run in (or
 * would not be deterministic in) Temporal's workflow sandbox. Their types stay importable
 * (`import type`), which is how a workflow proxies its activities.
 */
const workflowForbiddenModules = [
  {
    group: ['**/activities', '**/activities/**', '**/activities.js'],
    message: 'Activities run outside the workflow sandbox: proxy them with proxyActivities and import only their types (`import type`).',
  },
  {
    group: ['**/db', '**/db/**', '**/schema.js', '**/system.js'],
    message: 'The database (a schema, an embedded system) is I/O: workflow code reaches it only through activities (`import type` is fine).',
  },
  {
    group: ['**/worker.js', '**/client.js', '**/intake.js', '**/projection-read.js', '**/workers/**'],
    message: 'Workers and Temporal clients run outside the workflow sandbox (`import type` is fine).',
  },
  {
    group: ['postgres', 'drizzle-orm', 'drizzle-orm/**', 'express', 'express/**', 'pino', 'pino/**', 'pino-*'],
    message: 'I/O libraries cannot run in the workflow sandbox (`import type` is fine).',
  },
  {
    group: [
      '@temporalio/client',
      '@temporalio/client/**',
      '@temporalio/worker',
      '@temporalio/worker/**',
      '@temporalio/activity',
      '@temporalio/activity/**',
      '@temporalio/testing',
      '@temporalio/testing/**',
    ],
    message: 'Workflow code uses @temporalio/workflow only; client, worker and activity packages need Node (`import type` is fine).',
  },
];

export default tseslint.config(
  {
    // Generated or bundled output, and what is not ours.
    ignores: ['.data/', '.tools/', 'dist/', 'node_modules/', 'test-results/', 'coverage/', 'db/*/migrations/', 'patches/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,mts,cts,js,mjs,cjs}'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      // `_name` marks a parameter or binding that is there on purpose (a signature, a skipped tuple element).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A `let` assigned once but read earlier by a callback (a loop that a closure wakes) cannot be a `const`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests read untyped JSON (HTTP bodies, CLI output, the OpenAPI document): `any` is the honest type
    // there, and typing some 80 spots of it would only add casts. Product code keeps the rule.
    files: ['test/**/*.ts', 'src/**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The operators' dashboard: a plain browser script served as is.
    files: ['src/api/dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { ...globals.browser, Chart: 'readonly' },
    },
  },
  {
    // Code that runs in Temporal's workflow sandbox: the workflow bundle's root (src/workflows/index.ts
    // and the interceptor module tracing-interceptors.ts, see src/workflows/bundle.ts), every
    // slice's workflow code (the order workflow's modules, the quote and webhook delivery
    // workflows) and the contracts they share, the benchmark baseline workflow and the replay
    // test's deliberately changed workflow, plus the modules the bundle imports from outside the
    // slices (the pure domain core, the span attribute helper, the search attribute keys). The
    // sandbox makes timers, Date and Math.random deterministic itself; what it cannot make safe
    // is a module that needs Node or does I/O, so only imports are restricted.
    files: [
      'src/workflows/**/*.ts',
      'src/order/workflow/**/*.ts',
      'src/pricing/quote-workflow.ts',
      'src/webhooks/workflow*.ts',
      'src/*/contract.ts',
      'src/domain/**/*.ts',
      'src/platform/tracing/attributes.ts',
      'src/platform/temporal/search-attributes.ts',
      'bench/baseline/workflow.ts',
      'test/fixtures/*workflow*.ts',
    ],
    ignores: [
      // Tests beside the code run in vitest, never in the bundle.
      '**/*.test.ts',
      // Not in the bundle: they build it (webpack, node:fs).
      'src/workflows/bundle.ts',
      'src/workflows/build-bundle.ts',
    ],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Node built-ins are not available in the workflow sandbox.', allowTypeImports: true })),
          patterns: workflowForbiddenModules.map((pattern) => ({ ...pattern, allowTypeImports: true })),
        },
      ],
    },
  },
  // Last: turns off the rules that would fight prettier's formatting.
  prettier,
);
