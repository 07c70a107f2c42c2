// A long statement for one account, written in a few statements rather than `count` API calls: deposits from
// the currency's external account, every fourth entry a fee to the platform, each transfer with the balances it
// leaves (as src/ledger/transfer.ts records them) and the accounts' balances set to match, so the ledger's
// invariants hold afterwards and `cli reconcile` passes. Times are one millisecond apart, ending now; the owner
// should be new (its entries are stamped before now, and would interleave with any it had).
import type { Knex } from 'knex';
import { availableAccount, externalAccount, feesAccount } from '../src/ledger/accounts.js';

export interface SeededStatement {
  accountId: string;
  entries: number;
  /** The account's balance after the last entry. */
  balance: bigint;
}

export async function seedStatement(
  db: Knex,
  ownerId: string,
  count: number,
  currency = 'USD',
): Promise<SeededStatement> {
  const user = availableAccount(ownerId, currency);
  const external = externalAccount(currency);
  const fees = feesAccount(currency);
  await db('accounts')
    .insert([user, external, fees].map((a) => ({ id: a.id, owner_id: a.ownerId, currency, kind: a.kind })))
    .onConflict('id')
    .ignore();
  await db.raw(
    `WITH legs AS (
       SELECT i,
              CASE WHEN i % 4 = 0 THEN :user ELSE :external END AS debit,
              CASE WHEN i % 4 = 0 THEN :fees ELSE :user END AS credit,
              CASE WHEN i % 4 = 0 THEN 1 + i % 50 ELSE 100 + i % 997 END::bigint AS amount,
              CASE WHEN i % 4 = 0 THEN 'platform_fee' ELSE 'deposit' END AS kind
         FROM generate_series(1, :count::int) AS i
     ), start AS (
       SELECT sum(balance) FILTER (WHERE id = :user) AS u, sum(balance) FILTER (WHERE id = :external) AS e,
              sum(balance) FILTER (WHERE id = :fees) AS f
         FROM accounts WHERE id IN (:user, :external, :fees)
     ), running AS (
       SELECT legs.*,
              start.u + sum(CASE WHEN credit = :user THEN amount ELSE -amount END) OVER w AS user_after,
              start.e + sum(CASE WHEN debit = :external THEN -amount ELSE 0 END) OVER w AS external_after,
              start.f + sum(CASE WHEN credit = :fees THEN amount ELSE 0 END) OVER w AS fees_after
         FROM legs CROSS JOIN start WINDOW w AS (ORDER BY i ROWS UNBOUNDED PRECEDING)
     )
     INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, kind, created_at,
                            debit_balance_after, credit_balance_after)
     SELECT 'seed-' || :user || '-' || i, debit, credit, amount, :currency, kind,
            now() - make_interval(secs => (:count::int - i) / 1000.0),
            CASE WHEN debit = :user THEN user_after ELSE external_after END,
            CASE WHEN credit = :user THEN user_after ELSE fees_after END
       FROM running ORDER BY i`,
    { user: user.id, external: external.id, fees: fees.id, count, currency },
  );
  // Every account's balance as its transfers leave it (these and any it had before).
  await db.raw(
    `UPDATE accounts a SET balance = coalesce((SELECT sum(amount) FROM transfers WHERE credit_account_id = a.id), 0)
                                   - coalesce((SELECT sum(amount) FROM transfers WHERE debit_account_id = a.id), 0)
      WHERE a.id = ANY(?)`,
    [[user.id, external.id, fees.id]],
  );
  const row: { balance: bigint } = await db('accounts').where({ id: user.id }).first('balance');
  return { accountId: user.id, entries: count, balance: row.balance };
}
