import type { Knex } from 'knex';
import type { Db } from './knex.js';
import { isStaleStatement, poolSize } from './prepared.js';

// Postgres asks the client to retry these: serialization failure and deadlock (graphile-worker keeps the
// same table). Anything else propagates, so the transaction ends the way the code says (STYLE §12).
const RETRYABLE_CODES = new Set(['40001', '40P01']);
// A unique violation on these is two transactions creating the same row at once through an upsert: the ledger
// creates an account with INSERT … ON CONFLICT (id), and accounts(id, currency), a unique key that is not the
// upsert's arbiter, reports the loser's row as a duplicate instead of handing it to ON CONFLICT (Postgres checks
// only arbiter indexes for a concurrent insert). Run again, the transaction finds the account and locks it.
const RETRYABLE_UNIQUE_KEYS = new Set(['accounts_id_currency_key']);
const MAX_ATTEMPTS = 5;

/**
 * Runs `work` in one transaction, again from the start when Postgres asks for a retry. A prepared statement gone
 * stale after a schema change (src/db/prepared.ts) marked its connection for replacement; the work runs again on
 * another, as often as the pool has connections that may be stale.
 */
export async function inTransaction<T>(db: Db, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const staleAttempts = poolSize(db) + 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      const { code, constraint } = error as { code?: unknown; constraint?: unknown };
      const retryable =
        RETRYABLE_CODES.has(String(code)) || (code === '23505' && RETRYABLE_UNIQUE_KEYS.has(String(constraint)));
      const retry = (retryable && attempt < MAX_ATTEMPTS) || (isStaleStatement(error) && attempt < staleAttempts);
      if (!retry) throw error;
    }
  }
}
