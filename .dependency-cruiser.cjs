/**
 * Boundaries of the code, checked by `npm run lint` (`depcruise src db`). Type-only imports count
 * like any other import.
 *
 * Slices: one folder per service directly under src/ (SLICES below). Outside a slice, only its
 * public modules may be imported:
 *   - every slice:  contract.ts (task queue, ids, inputs, results, failure types; for the order
 *                   also its signals, updates and queries)
 *   - order:        client.ts (reads and actions on a live order), intake.ts (starting an order),
 *                   schema.ts (the shop database: the order projection that the API and CLI read,
 *                   and the API's own tables)
 *   - mes:          produce-callback.ts (the callback reference the API's MES webhook completes
 *                   a produce attempt with)
 *   - webhooks:     target.ts (the API checks a client's webhook URL when it is registered)
 * Composition roots (ROOTS below) may also import a slice's worker.ts, system.ts, activities.ts,
 * schema.ts and its workflow entry module:
 *   src/workers/, src/activities/, src/workflows/, src/main.ts, src/cluster/, src/api/server.ts,
 *   src/api/app.ts
 * db/ (the connections, db/index.ts) may import every slice's schema.ts.
 * test/, bench/ and scripts/ are not cruised: tests may reach into any module they test.
 *
 * Besides: src/domain is pure (nothing outside src/domain but npm packages; the unit tests
 * beside it excepted); src/platform imports no slice and no composition root or entry point; a
 * slice imports no composition root, nor src/api or src/cli (a slice's worker takes the part of
 * the workers' context it needs, src/platform/temporal/worker.ts); a
 * slice's contract.ts imports nothing else of its own slice; no import cycles.
 */
const SLICES = ['order', 'pricing', 'crm', 'mes', 'shipping', 'webhooks'];

const ROOTS = ['^src/workers/', '^src/activities/', '^src/workflows/', '^src/main\\.ts$', '^src/cluster/', '^src/api/(server|app)\\.ts$'];

const PUBLIC = {
  order: ['contract', 'client', 'intake', 'schema'],
  pricing: ['contract'],
  crm: ['contract'],
  mes: ['contract', 'produce-callback'],
  shipping: ['contract'],
  webhooks: ['contract', 'target'],
};
/** What composition roots may import besides the public modules. */
const FOR_ROOTS = ['worker', 'system', 'activities', 'schema', 'workflow', 'workflow/workflow', 'quote-workflow'];

const modules = (slice, names) => names.map((n) => `^src/${slice}/${n}\\.ts$`);

const sliceRules = SLICES.flatMap((slice) => [
  {
    name: `${slice}-internals`,
    comment: `Outside the ${slice} slice only its public modules (${PUBLIC[slice].join(', ')}) may be imported.`,
    severity: 'error',
    from: { pathNot: [`^src/${slice}/`, '^db/', ...ROOTS] },
    to: { path: `^src/${slice}/`, pathNot: modules(slice, PUBLIC[slice]) },
  },
  {
    name: `${slice}-internals-from-roots`,
    comment: `Composition roots import of the ${slice} slice its public modules, worker, system, activities, schema and workflow.`,
    severity: 'error',
    from: { path: ROOTS, pathNot: `^src/${slice}/` },
    to: { path: `^src/${slice}/`, pathNot: modules(slice, [...PUBLIC[slice], ...FOR_ROOTS]) },
  },
  {
    name: `${slice}-internals-from-db`,
    comment: `db/ imports of the ${slice} slice its schema (and public modules) only.`,
    severity: 'error',
    from: { path: '^db/' },
    to: { path: `^src/${slice}/`, pathNot: modules(slice, [...PUBLIC[slice], 'schema']) },
  },
]);

module.exports = {
  forbidden: [
    ...sliceRules,
    {
      name: 'contract-imports-internals',
      comment: "A slice's contract is what others see of it: it imports no other module of its own slice.",
      severity: 'error',
      from: { path: `^src/(${SLICES.join('|')})/contract\\.ts$` },
      to: { path: '^src/$1/', pathNot: '^src/$1/contract\\.ts$' },
    },
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports nothing of the project outside src/domain (npm packages that are pure are fine).',
      severity: 'error',
      from: { path: '^src/domain/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(src|db|test|bench|scripts)/', pathNot: '^src/domain/' },
    },
    {
      name: 'domain-no-node',
      comment: 'src/domain runs in the workflow sandbox too: no Node built-ins.',
      severity: 'error',
      from: { path: '^src/domain/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'platform-below-slices',
      comment: 'src/platform is shared plumbing: it imports no slice, composition root or entry point.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: [`^src/(${SLICES.join('|')}|api|cli|workers|activities|workflows|cluster)/`, '^src/main\\.ts$'] },
    },
    {
      name: 'slices-below-roots',
      comment: 'A slice is put together with the others by the composition roots above it: it imports none of them, nor the HTTP edge or the CLI.',
      severity: 'error',
      from: { path: `^src/(${SLICES.join('|')})/` },
      to: { path: ['^src/(api|cli|workers|activities|workflows|cluster)/', '^src/main\\.ts$'] },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)node_modules/', '^db/[^/]+/migrations/'] },
    enhancedResolveOptions: { extensions: ['.ts', '.mts', '.js', '.mjs'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
