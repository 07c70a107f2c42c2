import type { Knex } from 'knex';
import type pg from 'pg';

/** Knex-style `?` placeholders as Postgres `$1, $2, …`, once, for a statement that uses no `?` operator. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * Runs a named prepared statement on a connection of the knex pool, outside any transaction (the statement is
 * its own). Postgres then parses and plans it once per connection instead of once per call, which matters
 * for the hot path's statements; knex has no named statements, so this goes to node-postgres directly.
 * A connection that failed is marked by knex's own error listener and destroyed on release, as for knex queries.
 */
export async function queryPrepared<Row>(db: Knex, name: string, text: string, values: unknown[]): Promise<Row[]> {
  const connection = (await db.client.acquireConnection()) as pg.Client;
  try {
    const result = await connection.query<Row & pg.QueryResultRow>({ name, text, values });
    return result.rows;
  } finally {
    await db.client.releaseConnection(connection);
  }
}
