import type { Knex } from 'knex';
import type { Db } from '../../src/db/knex.js';

/**
 * Runs `work` in a transaction the ledger guards let rewrite history, transfers and accounts (the documented
 * escrow.ledger_rewrite setting of migrations/20261208000000_ledger_guards.ts): how a test tampers with the
 * record on purpose to see that verification or reconciliation notices.
 */
export async function rewriteLedger<T>(
  db: Db,
  reason: string,
  work: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw(`SELECT set_config('escrow.ledger_rewrite', ?, true)`, [`test: ${reason}`]);
    return work(trx);
  });
}
