import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDb } from '../../src/db/knex.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { databaseUrl, dropDatabase, withAdmin } from './databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string;
  }
}

// One migrated template per run (named per run, so two runs on one machine never drop each other's);
// test files clone it instead of migrating each time.
const templateDb = `escrow_tpl_${randomBytes(4).toString('hex')}`;

export async function setup(project: TestProject): Promise<void> {
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${pg.escapeIdentifier(templateDb)}`));
  const db = createDb(databaseUrl(templateDb), 2);
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
  project.provide('templateDb', templateDb);
}

export async function teardown(): Promise<void> {
  await withAdmin((admin) => dropDatabase(admin, templateDb));
}
