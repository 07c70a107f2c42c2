import type { Knex } from 'knex';
import type pg from 'pg';

/** Knex-style `?` placeholders as Postgres `$1, $2, …`, once, for a statement that uses no `?` operator. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * A statement prepared before a schema change fails on its connection from then on ("cached plan must not
 * change result type", 0A000, after a selected column changes type); a dropped one is gone (26000). Both are
 * the connection's state, not the statement's: such a connection is replaced (see queryPrepared). Other
 * "feature not supported" errors share 0A000 and are not this.
 */
export function isStaleStatement(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === '26000' ||
    (code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type'))
  );
}

type Connection = pg.Client & { __knex__disposed?: unknown };

/**
 * What this module uses of knex's client (typed `any` by knex): its pool size, raw connection hand-out, and its
 * config object, which a transaction's client shares with the pool's (knex copies the reference).
 */
export interface PoolClient {
  config: object;
  pool?: { max?: number };
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

/** How many pooled connections may hold a stale prepared statement at once: the pool's size. */
export function poolSize(db: Knex): number {
  return Number((db.client as PoolClient).pool?.max ?? 10);
}

/** Each name stands for one text on every connection; two texts under one name would run the wrong statement. */
const texts = new Map<string, string>();

/** The knex instances (by their clients' shared config) that must not name statements: see unnamedStatementsOnly. */
const unnamed = new WeakSet<object>();

/**
 * From now on this database's statements go unnamed: parsed and planned on every call, but valid on any server
 * connection, as a transaction-mode pooler without prepared-statement support (PgBouncer < 1.21) requires:
 * there, a transaction may run on another server connection than the one a statement was prepared on.
 */
export function unnamedStatementsOnly(db: Knex): void {
  unnamed.add((db.client as PoolClient).config);
}

/**
 * Runs a named prepared statement: Postgres parses and plans it once per connection instead of once per call.
 * Parsing and planning were 40 % of Postgres's CPU under the benchmark's load, where knex's statements (all
 * unnamed) and large CTEs are planned anew every time (bench/README.md); knex has no named statements, so
 * this goes to node-postgres directly, on a pooled connection or on the transaction's own.
 *
 * A connection that failed is marked by knex's own error listener and destroyed on release. One whose prepared
 * statement went stale is marked the same way here; outside a transaction the call then runs again on another
 * (after a schema change every pooled connection may be stale once: up to the pool's size plus one tries), and
 * inside one the error ends the transaction, which inTransaction runs again on another connection.
 */
async function queryPrepared<Row>(db: Knex, name: string, text: string, values: unknown[]): Promise<Row[]> {
  const known = texts.get(name);
  if (known === undefined) texts.set(name, text);
  else if (known !== text) throw new Error(`prepared statement ${name} used with two texts`);
  const inTransaction = (db as Knex.Transaction).isTransaction === true;
  const tries = inTransaction ? 1 : poolSize(db) + 1;
  const client = db.client as PoolClient;
  const query = unnamed.has(client.config) ? { text, values } : { name, text, values };
  for (let attempt = 1; ; attempt++) {
    const connection = (await client.acquireConnection()) as Connection;
    try {
      const result = await connection.query<Row & pg.QueryResultRow>(query);
      return result.rows;
    } catch (error) {
      if (!isStaleStatement(error)) throw error;
      connection.__knex__disposed = error;
      if (attempt >= tries) throw error;
    } finally {
      await client.releaseConnection(connection);
    }
  }
}

/** A statement with a fixed name and text, written with knex-style `?` placeholders. */
export function preparedStatement<Row>(name: string, sql: string): (db: Knex, values: unknown[]) => Promise<Row[]> {
  const text = numberedPlaceholders(sql);
  return (db, values) => queryPrepared<Row>(db, name, text, values);
}
