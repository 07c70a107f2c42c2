import type { Knex } from 'knex';
import type pg from 'pg';

/** Knex-style `?` placeholders as Postgres `$1, $2, …`, once, for a statement that uses no `?` operator. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

// A statement prepared before a schema change fails on that connection from then on ("cached plan must not
// change result type" for `SELECT *` after ADD COLUMN); a dropped one is gone. Both are the connection's state.
const STALE_STATEMENT_CODES = new Set(['0A000', '26000']);

/**
 * Runs a named prepared statement on a connection of the knex pool, outside any transaction (the statement is
 * its own). Postgres then parses and plans it once per connection instead of once per call, which matters
 * for the hot path's statements; knex has no named statements, so this goes to node-postgres directly.
 * A connection that failed is marked by knex's own error listener and destroyed on release, as for knex queries.
 * One whose prepared statement went stale is marked the same way here and the call runs again on another: after
 * a schema change every pooled connection may be stale once, so up to the pool's size plus one tries.
 */
export async function queryPrepared<Row>(db: Knex, name: string, text: string, values: unknown[]): Promise<Row[]> {
  const tries = Number(db.client.pool?.max ?? 10) + 1;
  for (let attempt = 1; ; attempt++) {
    const connection = (await db.client.acquireConnection()) as pg.Client & { __knex__disposed?: unknown };
    try {
      const result = await connection.query<Row & pg.QueryResultRow>({ name, text, values });
      return result.rows;
    } catch (error) {
      if (!STALE_STATEMENT_CODES.has(String((error as { code?: unknown }).code)) || attempt >= tries) throw error;
      connection.__knex__disposed = error;
    } finally {
      await db.client.releaseConnection(connection);
    }
  }
}
