import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

// node-postgres returns int8 as a string; money and sequence ids are bigint columns, so turn them into
// bigint once, here, and nowhere else (STYLE §11). 20 = int8.
pg.types.setTypeParser(20, (text: string) => BigInt(text));

export type Db = Knex;

export function createDb(databaseUrl: string, poolMax: number): Db {
  return knexFactory({
    client: 'pg',
    connection: databaseUrl,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
  });
}
