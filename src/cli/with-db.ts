import type { Config } from '../config.js';
import { createDb, type Db } from '../db/knex.js';
import { ensureDatabase, migrateLatest } from '../db/migrate.js';

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
