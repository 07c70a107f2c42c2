import type { Knex } from 'knex';

// What reconciliation reads from the ledger tables. Each query aggregates in the database and returns only
// totals or the rows that disagree, never a row per transfer, so a reconciliation's memory does not grow with
// the ledger (its time does: the per-account sums read every transfer once).

/** Sum of balances per currency and account kind. */
export interface KindTotal {
  currency: string;
  kind: string;
  accounts: number;
  balance: bigint;
}

export async function balancesByKind(trx: Knex.Transaction): Promise<KindTotal[]> {
  const rows: { currency: string; kind: string; accounts: string; balance: bigint }[] = await trx('accounts')
    .groupBy('currency', 'kind')
    .orderBy(['currency', 'kind'])
    .select('currency', 'kind', trx.raw('count(*)::text AS accounts'), trx.raw('sum(balance)::bigint AS balance'));
  return rows.map((r) => ({ ...r, accounts: Number(r.accounts) }));
}

/** An account whose stored balance differs from what its transfers add up to, or from its last running balance. */
export interface AccountMismatch {
  id: string;
  currency: string;
  balance: bigint;
  /** Credits − debits over every transfer of the account. */
  net: bigint;
  /** The balance its latest transfer recorded it left (0 without transfers). */
  lastAfter: bigint;
}

// Net per account from one pass over transfers (hashed by account); the last running balance from the statement
// indexes, one probe per side and account, newest first.
export async function accountMismatches(trx: Knex.Transaction): Promise<AccountMismatch[]> {
  const result: { rows: { id: string; currency: string; balance: bigint; net: bigint; last_after: bigint }[] } =
    await trx.raw(`
      WITH credited AS (SELECT credit_account_id AS account, sum(amount) AS total FROM transfers GROUP BY 1),
           debited AS (SELECT debit_account_id AS account, sum(amount) AS total FROM transfers GROUP BY 1),
           checked AS (
        SELECT a.id, a.currency, a.balance,
               (coalesce(c.total, 0) - coalesce(d.total, 0))::bigint AS net,
               coalesce((
                 SELECT after FROM (
                   (SELECT created_at, n, credit_balance_after AS after FROM transfers
                     WHERE credit_account_id = a.id ORDER BY created_at DESC, n DESC LIMIT 1)
                   UNION ALL
                   (SELECT created_at, n, debit_balance_after FROM transfers
                     WHERE debit_account_id = a.id ORDER BY created_at DESC, n DESC LIMIT 1)
                 ) AS last ORDER BY created_at DESC, n DESC LIMIT 1), 0) AS last_after
          FROM accounts a
          LEFT JOIN credited c ON c.account = a.id
          LEFT JOIN debited d ON d.account = a.id
      )
      SELECT * FROM checked WHERE balance <> net OR balance <> last_after ORDER BY currency, id`);
  return result.rows.map((r) => ({
    id: r.id,
    currency: r.currency,
    balance: r.balance,
    net: r.net,
    lastAfter: r.last_after,
  }));
}

/** Money that moved in one day, per currency and transfer kind (UTC day). */
export interface DayFlow {
  currency: string;
  kind: string;
  transfers: number;
  amount: bigint;
}

export async function flowsOfDay(trx: Knex.Transaction, day: string): Promise<DayFlow[]> {
  const rows: { currency: string; kind: string; transfers: string; amount: bigint }[] = await trx('transfers')
    .where('created_at', '>=', trx.raw(`(?::date)::timestamp AT TIME ZONE 'UTC'`, [day]))
    .andWhere('created_at', '<', trx.raw(`(?::date + 1)::timestamp AT TIME ZONE 'UTC'`, [day]))
    .groupBy('currency', 'kind')
    .orderBy(['currency', 'kind'])
    .select('currency', 'kind', trx.raw('count(*)::text AS transfers'), trx.raw('sum(amount)::bigint AS amount'));
  return rows.map((r) => ({ ...r, transfers: Number(r.transfers) }));
}

/** An owner's payout hold in one currency beside the amounts of their payouts still requested or processing. */
export interface PayoutHold {
  ownerId: string;
  currency: string;
  held: bigint;
  open: bigint;
}

// Every owner with a hold account or an open payout (a FULL JOIN: an open payout without any hold is a difference
// too). Which payout states hold money is the payout machine's rule (docs/money.md "Payouts").
export async function payoutHolds(trx: Knex.Transaction): Promise<PayoutHold[]> {
  const result: { rows: { owner: string; currency: string; held: bigint; open: bigint }[] } = await trx.raw(`
    WITH open AS (
      SELECT employer_id AS owner, input ->> 'currency' AS currency,
             sum((snapshot -> 'context' ->> 'amount')::bigint) AS amount
        FROM instances WHERE machine = 'payout' AND state IN ('requested', 'processing') GROUP BY 1, 2
    ), held AS (
      SELECT owner_id AS owner, currency::text AS currency, balance FROM accounts WHERE kind = 'payout_hold'
    )
    SELECT coalesce(h.owner, o.owner) AS owner, coalesce(h.currency, o.currency) AS currency,
           coalesce(h.balance, 0)::bigint AS held, coalesce(o.amount, 0)::bigint AS open
      FROM held h FULL JOIN open o ON o.owner = h.owner AND o.currency = h.currency
     ORDER BY 2, 1`);
  return result.rows.map((r) => ({ ownerId: r.owner, currency: r.currency, held: r.held, open: r.open }));
}
