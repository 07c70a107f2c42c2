import { expect } from 'vitest';
import { pinnedMachine } from '../../machines/registry.js';
import type { Db } from '../../src/db/knex.js';
import type { PersistedSnapshot } from '../../src/engine/instance-row.js';
import { restoreSnapshot } from '../../src/engine/snapshot.js';
import { reconcile } from '../../src/reconcile/reconcile.js';

/**
 * docs/concepts.md ledger invariants, checked against the database itself:
 * per currency all balances sum to zero; no user balance is negative; each milestone's escrow balance equals
 * funded − released − returned, and equals what its state says is held; every transfer made by a
 * settlement belongs to exactly one history event; and `cli reconcile` finds no difference.
 */
/** The machine says, by its `holds_funds` tag, whether escrow should hold what remains of the milestone. */
function holdsFunds(row: { version: number; snapshot: PersistedSnapshot }): boolean {
  const def = pinnedMachine('milestone', row.version);
  return restoreSnapshot(def, row.snapshot).hasTag('holds_funds');
}

export async function assertLedgerInvariants(db: Db): Promise<void> {
  const sums = await db('accounts').groupBy('currency').select('currency', db.raw('sum(balance)::text AS total'));
  for (const s of sums) expect(s.total, `ledger sum for ${s.currency}`).toBe('0');

  const negative = await db('accounts')
    .whereNotIn('kind', ['external', 'adjustments'])
    .andWhere('balance', '<', 0)
    .select('id');
  expect(negative, 'accounts with a negative balance').toEqual([]);

  // Every milestone, with or without an escrow account: a milestone that claims to hold money must have it.
  const milestones = await db('instances as i')
    .where('i.machine', 'milestone')
    .leftJoin('accounts as a', function () {
      this.on('a.milestone_id', 'i.id').andOnVal('a.kind', '=', 'escrow');
    })
    .select(
      'i.id',
      'i.state',
      'i.version',
      'i.snapshot',
      'a.id as account',
      db.raw(`
      coalesce(a.balance, 0) AS balance,
      coalesce((SELECT sum(amount) FROM transfers WHERE credit_account_id = a.id), 0)::text AS credited,
      coalesce((SELECT sum(amount) FROM transfers WHERE debit_account_id = a.id), 0)::text AS debited`),
    );
  for (const m of milestones) {
    const balance = BigInt(m.balance);
    expect(BigInt(m.credited) - BigInt(m.debited), `escrow of ${m.id} = funded - released - returned`).toBe(balance);
    const c = m.snapshot.context as { amount: string; releasedAmount: string };
    const expected = holdsFunds(m) ? BigInt(c.amount) - BigInt(c.releasedAmount) : 0n;
    expect(balance, `escrow of ${m.id} in state ${m.state}`).toBe(expected);
  }

  // Arbitration fee holds: a paid fee stays held until the dispute settles, then it is refunded or kept.
  const holds = await db('accounts as a')
    .where('a.kind', 'fee_hold')
    .join('instances as i', 'i.id', 'a.milestone_id')
    .select('a.id', 'a.balance', 'i.state', 'i.snapshot');
  for (const h of holds) {
    const dispute = h.snapshot.context.dispute as { feesPaid: string[] } | null;
    const payer = String(h.id).split(':').pop() ?? '';
    const held =
      h.state !== 'resolved' && dispute?.feesPaid.includes(payer)
        ? BigInt(h.snapshot.context.disputeRules.arbitrationFee)
        : 0n;
    expect(h.balance, `fee hold ${h.id} in state ${h.state}`).toBe(held);
  }

  // Payout holds: each owner's hold account holds exactly the amounts of their payouts not yet paid or returned.
  const payoutHolds = await db.raw<{ rows: { owner: string; currency: string; held: string; open: string }[] }>(`
    WITH open AS (
      SELECT employer_id AS owner, input->>'currency' AS currency, sum((snapshot->'context'->>'amount')::bigint) AS amount
      FROM instances WHERE machine = 'payout' AND state IN ('requested', 'processing') GROUP BY 1, 2
    ), held AS (
      SELECT owner_id AS owner, currency::text AS currency, balance FROM accounts WHERE kind = 'payout_hold'
    )
    SELECT coalesce(h.owner, o.owner) AS owner, coalesce(h.currency, o.currency) AS currency,
           coalesce(h.balance, 0)::text AS held, coalesce(o.amount, 0)::text AS open
    FROM held h FULL JOIN open o ON o.owner = h.owner AND o.currency = h.currency`);
  for (const h of payoutHolds.rows) expect(h.held, `payout hold of ${h.owner} in ${h.currency}`).toBe(h.open);

  const orphans = await db('transfers as t')
    .whereNotNull('t.instance_id')
    .leftJoin('history as h', function () {
      this.on('h.instance_id', 't.instance_id').andOn('h.seq', 't.seq');
    })
    .whereNull('h.seq')
    .select('t.id');
  expect(orphans, 'settlement transfers without a history event').toEqual([]);

  // And the product's own reconciliation (`cli reconcile`) agrees: every test file that checks these invariants,
  // the chaos runs included, leaves data it reconciles clean.
  const report = await reconcile(db, { date: new Date().toISOString().slice(0, 10), pageSize: 500 });
  expect(report.differences, 'cli reconcile differences').toEqual([]);
}
