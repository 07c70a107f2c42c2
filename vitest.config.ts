import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// Tests that need neither Postgres, Redis, the HTTP service nor the workers: machines and pure modules
// (`npm run test:unit`, seconds). Everything else under test/ is an integration test and gets a migrated template
// database from the global setup. Directories mix both, so pure files outside the pure directories are named;
// test/unit/unit-project.test.ts fails when a file listed here reaches for a database or a service.
export const UNIT = [
  'test/machines/**/*.test.ts',
  'test/replay/**/*.test.ts',
  'test/unit/**/*.test.ts',
  'test/api/request-log.test.ts',
  'test/api/listen-limited.test.ts',
  'test/api/strict-input-units.test.ts',
  'test/db/batcher.test.ts',
  'test/db/id-list-lengths.test.ts',
  'test/engine/availability.test.ts',
  'test/ledger/plan-transfers.test.ts',
  'test/ledger/csv.test.ts',
  'test/ledger/reconcile-compare.test.ts',
];

// The integration subset of docs/scaling.md, again, through a transaction-mode PgBouncer of the run's own
// (test/support/pgbouncer-setup.ts): lifecycle, settlement, disputes with timers, idempotent retries and
// concurrent events on one milestone, a stop that cancels a reconciliation, the start-up warm-up (which must leave no
// session state on the pooler's server connections), with the prepared-statement setting that PgBouncer's version
// needs.
const POOLER_PROJECT: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'pgbouncer',
    include: [
      'test/integration/lifecycle.test.ts',
      'test/integration/settlement.test.ts',
      'test/integration/disputes.test.ts',
      'test/integration/idempotency.test.ts',
      'test/integration/concurrency.test.ts',
      'test/integration/stop-cancels-reconciliation.test.ts',
      'test/integration/warm-up.test.ts',
      'test/pooler/**/*.test.ts',
    ],
    globalSetup: ['test/support/global-setup.ts', 'test/support/pgbouncer-setup.ts'],
  },
};

// A project that only runs when named (`--project pgbouncer`, as npm test does): otherwise `npx vitest run
// test/integration/disputes.test.ts` would run that file twice, once through a PgBouncer.
function namedOnCommandLine(project: string): boolean {
  return process.argv.some(
    (arg, i) => arg === `--project=${project}` || (arg === project && process.argv[i - 1] === '--project'),
  );
}

export default defineConfig({
  test: {
    // Integration files each own a database and a queue prefix, so they may run side by side.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT, 'test/pooler/**'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      ...(namedOnCommandLine('pgbouncer') ? [POOLER_PROJECT] : []),
      {
        // A generated path file (`cli paths … --format vitest --out milestone.test.mjs`) saved in the project root
        // runs with `npx vitest run milestone.test.mjs` against the deployment it names; npm test leaves it out.
        extends: true,
        test: { name: 'generated', include: ['*.test.mjs'], testTimeout: 120_000 },
      },
    ],
  },
});
