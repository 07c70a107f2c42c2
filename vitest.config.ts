import { configDefaults, defineConfig } from 'vitest/config';

// Tests that need neither Postgres, Redis, the HTTP service nor the workers: machines and pure modules
// (`npm run test:unit`, seconds). Everything else under test/ is an integration test and gets a migrated template
// database from the global setup. A unit file that reaches for the database fails loudly (no template database),
// so a misfiled test cannot pass unseen. test/ledger holds both kinds: only the pure planner is a unit test.
const UNIT = [
  'test/machines/**/*.test.ts',
  'test/replay/**/*.test.ts',
  'test/ledger/plan-transfers.test.ts',
  'test/engine/**/*.test.ts',
  'test/db/**/*.test.ts',
  'test/api/**/*.test.ts',
];

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
          exclude: [...configDefaults.exclude, ...UNIT],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        // A generated path file (`cli paths … --format vitest --out milestone.test.mjs`) saved in the project root
        // runs with `npx vitest run milestone.test.mjs` against the deployment it names; npm test leaves it out.
        extends: true,
        test: { name: 'generated', include: ['*.test.mjs'], testTimeout: 120_000 },
      },
    ],
  },
});
