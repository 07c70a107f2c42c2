import type { Knex } from 'knex';
import type { Db } from './knex.js';

// Postgres asks the client to retry these: serialization failure and deadlock (graphile-worker keeps the
// same table). Anything else propagates, so the transaction ends the way the code says (STYLE §12).
const RETRYABLE_CODES = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

export async function inTransaction<T>(db: Db, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= MAX_ATTEMPTS || code === undefined || !RETRYABLE_CODES.has(code)) throw error;
    }
  }
}
