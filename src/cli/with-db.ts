import type { Config } from '../config.js';
import { createDb, type Db } from '../db/knex.js';
import { ensureDatabase, migrateLatest } from '../db/migrate.js';
import { readerFor } from '../db/open-reader.js';
import type { ReadMeta } from '../db/reader.js';
import { createLogger } from '../logger.js';

/** Runs a CLI command against the configured database (created and migrated if needed), then closes it. */
export async function withDb<T>(config: Config, work: (db: Db, config: Config) => Promise<T>): Promise<T> {
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, 4, undefined, config.DATABASE_PREPARED_STATEMENTS);
  try {
    await migrateLatest(db);
    return await work(db, config);
  } finally {
    await db.destroy();
  }
}

/**
 * Like withDb, for a command that only reads and tolerates a little lag (verify, history): it reads from
 * DATABASE_READ_URL's replica when it answers and is within READ_REPLICA_MAX_LAG_MS, checked once for the whole run.
 */
export async function withReadDb<T>(
  config: Config,
  work: (db: Db, config: Config, meta: ReadMeta) => Promise<T>,
): Promise<T> {
  return withDb(config, async (primary) => {
    // Silent: a replica that cannot be reached is said once, in the command's own words (cli-run.ts), not as the
    // pool's connection errors on the console.
    const reader = readerFor(primary, config, 4, createLogger('silent'));
    try {
      await reader.replica?.check();
      const { db, ...meta } = reader.route();
      return await work(db, config, meta);
    } finally {
      await reader.close();
    }
  });
}
