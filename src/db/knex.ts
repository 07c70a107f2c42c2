import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { unnamedStatementsOnly } from './prepared.js';

// node-postgres returns int8 as a string; money and sequence ids are bigint columns, so turn them into
// bigint once, here, and nowhere else (STYLE §11). 20 = int8.
pg.types.setTypeParser(20, (text: string) => BigInt(text));

export type Db = Knex;

/** `preparedStatements` false: see DATABASE_PREPARED_STATEMENTS and unnamedStatementsOnly. */
export function createDb(databaseUrl: string, poolMax: number, log?: Logger, preparedStatements = true): Db {
  const db = knexFactory({
    client: 'pg',
    connection: databaseUrl,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
    // Knex writes its warnings (lost connections, acquire failures) to the console unless given a logger.
    ...(log && {
      log: {
        warn: (message: unknown) => log.warn({ knex: message }, 'knex warning'),
        error: (message: unknown) => log.error({ knex: message }, 'knex error'),
        deprecate: (message: unknown) => log.warn({ knex: message }, 'knex deprecation'),
        debug: (message: unknown) => log.debug({ knex: message }, 'knex debug'),
      },
    }),
  });
  if (!preparedStatements) unnamedStatementsOnly(db);
  return db;
}
