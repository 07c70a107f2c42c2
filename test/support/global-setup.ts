import pg from 'pg';
import { createDb } from '../../src/db/knex.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { TEMPLATE_DB, databaseUrl, dropDatabase, withAdmin } from './databases.js';

/** Migrates the template database once per run; test files clone it instead of migrating each time. */
export async function setup(): Promise<void> {
  await withAdmin(async (admin) => {
    await dropDatabase(admin, TEMPLATE_DB);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(TEMPLATE_DB)}`);
  });
  const db = createDb(databaseUrl(TEMPLATE_DB), 2);
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
}

export async function teardown(): Promise<void> {
  await withAdmin((admin) => dropDatabase(admin, TEMPLATE_DB));
}
