import type { TestProject } from 'vitest/node';
import { LocalPgBouncer } from './pgbouncer.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set in the `pgbouncer` project only: startTestService then reaches Postgres through this pooler. */
    pooler: { port: number; poolSize: number; preparedStatements: boolean } | undefined;
  }
}

/** Server connections per database: fewer than a test service's pool (10), so its transactions change servers. */
const POOL_SIZE = 4;

let bouncer: LocalPgBouncer | null = null;

// The `pgbouncer` project (vitest.config.ts): a subset of the integration tests, run through a transaction-mode
// PgBouncer of their own that lives as long as the run.
export async function setup(project: TestProject): Promise<void> {
  bouncer = await LocalPgBouncer.start({ poolSize: POOL_SIZE });
  project.provide('pooler', {
    port: bouncer.port,
    poolSize: POOL_SIZE,
    preparedStatements: bouncer.preparedStatements,
  });
}

export async function teardown(): Promise<void> {
  await bouncer?.stop();
}
