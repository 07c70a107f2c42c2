import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SCOPES, createClient, type Scope } from '../../src/auth/tokens.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/db/knex.js';
import { createLogger } from '../../src/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { inject } from 'vitest';
import { databaseUrl, dropDatabase, withAdmin } from './databases.js';
import { HttpClient } from './http-client.js';
import { deleteQueueKeys } from '../../src/jobs/queues.js';

export interface TestService {
  url: string;
  databaseName: string;
  db: Db;
  config: Config;
  service: RunningService;
  /** A client holding every scope. */
  http: HttpClient;
  /** Makes a client with the given scopes, for scope tests. */
  clientWith(scopes: Scope[]): Promise<HttpClient>;
  /** Stops everything and drops the database; `keepQueueKeys` leaves the Redis keys for a successor. */
  stop(options?: { keepQueueKeys?: boolean }): Promise<void>;
}

export interface TestServiceOptions {
  api: boolean;
  workers: boolean;
  /** Attach to this existing test database instead of cloning a new one; it is then not dropped on stop. */
  database?: string;
  /** Reach Postgres through this local port (a test's proxy) instead of 5432. */
  databasePort?: number;
}

/**
 * Starts the real service (API + workers, real Postgres and Redis) on its own cloned database, on a random
 * port, with a queue prefix nobody else uses. `stop()` closes every connection and drops the database.
 */
export async function startTestService(
  env: Record<string, string> = {},
  options: Partial<TestServiceOptions> = {},
): Promise<TestService> {
  const { api = true, workers = true } = options;
  const name = options.database ?? (await cloneTemplate());
  const url = new URL(databaseUrl(name));
  // In the `pgbouncer` project every service reaches Postgres through the run's pooler (pgbouncer-setup.ts).
  const pooler = inject('pooler');
  const port = options.databasePort ?? pooler?.port;
  if (port) url.port = String(port);
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: url.toString(),
    PORT: '0',
    QUEUE_PREFIX: `test-${name}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RELAY_POLL_MS: '100',
    SETTLEMENT_BACKOFF_MS: '50',
    // No start-up warm-up (seconds per start); test/integration/warm-up.test.ts turns it on.
    WARMUP_MS: '0',
    ...(pooler && { DATABASE_PREPARED_STATEMENTS: String(pooler.preparedStatements) }),
    ...env,
  });
  const service = await startService(config, createLogger(config.LOG_LEVEL), { api, workers });
  const baseUrl = service.url ?? 'http://127.0.0.1:0';
  // Client names are unique: each gets its own.
  const clientWith = async (scopes: Scope[]) =>
    new HttpClient(
      baseUrl,
      (await createClient(service.db, `test-${scopes.join('+')}-${randomBytes(4).toString('hex')}`, scopes)).token,
    );
  const http = await clientWith([...SCOPES]);
  return {
    url: baseUrl,
    databaseName: name,
    db: service.db,
    config,
    service,
    http,
    clientWith,
    async stop({ keepQueueKeys = false } = {}) {
      await service.stop();
      if (!options.database) await withAdmin((admin) => dropDatabase(admin, name));
      // The shared test Redis, not the service's REDIS_URL, which a test may have pointed nowhere (a cluster's
      // nodes are the test's own, up until it stops them).
      const shared = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
      if (!keepQueueKeys) await deleteQueueKeys({ ...config, REDIS_URL: shared });
    },
  };
}

/** A clone of the migrated template: a new database life (new deployment id), dropped by the caller. */
export async function cloneTemplate(): Promise<string> {
  const name = `escrow_t_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) =>
    admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(inject('templateDb'))}`),
  );
  // A clone is a new database life, as a freshly created database would be (see the deployment table).
  const fresh = new pg.Client({ connectionString: databaseUrl(name) });
  await fresh.connect();
  await fresh.query('UPDATE deployment SET id = gen_random_uuid()::text');
  await fresh.end();
  return name;
}
