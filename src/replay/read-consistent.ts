import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

/**
 * Runs reads in one REPEATABLE READ, READ ONLY transaction: the instance row and its history come from the
 * same database snapshot, so an event committed between the two reads cannot pass for a divergence, and the
 * database itself refuses any write replay might attempt by mistake.
 */
export async function readConsistent<T>(db: Db, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return work(trx);
  });
}
