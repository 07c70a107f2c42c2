import { expect } from 'vitest';
import type { Db } from '../../src/db/knex.js';

/**
 * DESIGN.md ledger invariants, checked against the database itself:
 * per currency all balances sum to zero; no user balance is negative; each milestone's escrow balance equals
 * funded − released − returned, and equals what its state says is held; every transfer made by a
 * settlement belongs to exactly one history event.
 */
export async function assertLedgerInvariants(db: Db): Promise<void> {
  const sums = await db('accounts').groupBy('currency').select('currency', db.raw('sum(balance)::text AS total'));
  for (const s of sums) expect(s.total, `ledger sum for ${s.currency}`).toBe('0');

  const negative = await db('accounts').whereNot({ kind: 'external' }).andWhere('balance', '<', 0).select('id');
  expect(negative, 'accounts with a negative balance').toEqual([]);

  const escrows = await db('accounts as a')
    .where('a.kind', 'escrow')
    .join('instances as i', 'i.id', 'a.milestone_id')
    .select('a.id', 'a.balance', 'i.state', 'i.snapshot', db.raw(`
      coalesce((SELECT sum(amount) FROM transfers WHERE credit_account_id = a.id), 0)::text AS credited,
      coalesce((SELECT sum(amount) FROM transfers WHERE debit_account_id = a.id), 0)::text AS debited`));
  for (const e of escrows) {
    expect(BigInt(e.credited) - BigInt(e.debited), `escrow ${e.id} = funded - released - returned`).toBe(e.balance);
    const c = e.snapshot.context as { amount: string; releasedAmount: string };
    const holds = ['in_progress', 'releasing', 'cancelling'].includes(e.state);
    const expected = holds ? BigInt(c.amount) - BigInt(c.releasedAmount) : 0n;
    expect(e.balance, `escrow ${e.id} in state ${e.state}`).toBe(expected);
  }

  const orphans = await db('transfers as t')
    .whereNotNull('t.instance_id')
    .leftJoin('history as h', function () {
      this.on('h.instance_id', 't.instance_id').andOn('h.seq', 't.seq');
    })
    .whereNull('h.seq')
    .select('t.id');
  expect(orphans, 'settlement transfers without a history event').toEqual([]);
}
