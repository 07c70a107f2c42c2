import type { Knex } from 'knex';
import type { Db } from './knex.js';
import { isStaleStatement, poolSize } from './prepared.js';

// Postgres asks the client to retry these: serialization failure and deadlock (graphile-worker keeps the
// same table). Anything else propagates, so the transaction ends the way the code says (STYLE §12).
const RETRYABLE_CODES = new Set(['40001', '40P01']);
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
      const code = String((error as { code?: unknown }).code);
      const retry =
        (RETRYABLE_CODES.has(code) && attempt < MAX_ATTEMPTS) || (isStaleStatement(error) && attempt < staleAttempts);
      if (!retry) throw error;
    }
  }
}
