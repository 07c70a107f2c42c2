import type { Knex } from 'knex';

// The SQL of an account statement. Each transfer stores the balance it left on both its accounts, and each side
// has an index on (account, created_at, n) (migrations/20261208100000_statement_running_balances.ts), so every
// read here is an index range of each side merged in ledger order: a page costs O(page), however long the
// account's history, and the balance before a time is one index probe per side.

/** Where a statement's entries start and end, in ledger order (created_at, n). */
export interface EntryRange {
  accountId: string;
  /** Entries after this key: (the `from` time, 0) on a first page, the last entry's key on a later one. */
  afterAt: string;
  afterN: string;
  /** Entries before this time (exclusive); 'infinity' when open. */
  before: string;
}

/** One entry as the database returns it: amount signed from the account's side. */
export interface EntryRow {
  id: string;
  created_at: Date;
  /** created_at in UTC with microseconds, as Postgres keeps it: the cursor key (a Date would round it). */
  at_key: string;
  n: bigint;
  kind: string;
  amount: bigint;
  balance_after: bigint;
  instance_id: string | null;
  seq: number | null;
}

const AT_KEY = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The entries of `range` in ledger order, at most `limit` (null: all of them, for a cursor that streams). A
 * transfer never debits and credits one account (a CHECK), so the two sides never repeat an entry.
 */
export function entriesQuery(db: Knex, range: EntryRange, limit: number | null): Knex.Raw<{ rows: EntryRow[] }> {
  const side = (account: string, sign: string, balance: string) => `
    (SELECT id, created_at, n, kind, ${sign}amount AS amount, ${balance} AS balance_after, instance_id, seq
       FROM transfers
      WHERE ${account} = :accountId AND (created_at, n) > (CAST(:afterAt AS timestamptz), CAST(:afterN AS bigint))
        AND created_at < CAST(:before AS timestamptz)
      ORDER BY created_at, n LIMIT :limit)`;
  return db.raw(
    `SELECT id, created_at, ${AT_KEY} AS at_key, n, kind, amount, balance_after, instance_id, seq
       FROM (${side('debit_account_id', '-', 'debit_balance_after')}
             UNION ALL ${side('credit_account_id', '', 'credit_balance_after')}) AS entries
      ORDER BY created_at, n LIMIT :limit`,
    { ...range, limit },
  );
}

/** The account's balance just before `time` (the last entry before it), or 0 when it has none before then. */
export async function balanceBefore(db: Knex, accountId: string, time: string): Promise<bigint> {
  const side = (account: string, balance: string) => `
    (SELECT created_at, n, ${balance} AS balance_after FROM transfers
      WHERE ${account} = :accountId AND created_at < CAST(:time AS timestamptz)
      ORDER BY created_at DESC, n DESC LIMIT 1)`;
  const result: { rows: { balance_after: bigint }[] } = await db.raw(
    `SELECT balance_after FROM (${side('debit_account_id', 'debit_balance_after')}
                               UNION ALL ${side('credit_account_id', 'credit_balance_after')}) AS last
      ORDER BY created_at DESC, n DESC LIMIT 1`,
    { accountId, time },
  );
  return result.rows[0]?.balance_after ?? 0n;
}
