import type { Knex } from 'knex';

// Statements (docs/money.md "Statements": GET /v1/accounts/:ownerId/statement) list an account's transfers with the
// balance each one left. Summing every earlier transfer for each page would cost a page O(account history); so
// each transfer stores what it left on both its accounts, written by the code that already holds both balances
// under lock (src/ledger/transfer.ts), and a page, its opening and its closing balance are index range reads.
//
// - n: the order transfers were applied in. Two transfers of one account are applied one after the other (the
//   account row is locked between), so n rises with them; the ordering key of a statement is (created_at, n).
// - created_at now defaults to clock_timestamp(), the time of the insert, instead of now(), the transaction's
//   start: a transaction that waited for an account's lock would otherwise stamp its transfer earlier than the
//   one it waited for, and a time range would cut the running balances out of order.
// - debit_balance_after / credit_balance_after: the debit and the credit account's balance after this transfer.
// - one index per side on (account, created_at, n): a page, and the balance before a time, is a range read.
//
// Existing rows are numbered in the order they lie in the table (an append-only heap keeps insertion order) and
// their balances are summed in (created_at, n) order: the order the statement shows them in. This backfill is a
// rewrite the guards of 20261208000000_ledger_guards.ts refuse, so it opens them for this transaction only,
// here, and closes them again before the next migration of the same batch runs.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    SELECT set_config('escrow.ledger_rewrite', '20261208100000_statement_running_balances: backfill', true);

    ALTER TABLE transfers
      ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY,
      ADD COLUMN debit_balance_after bigint,
      ADD COLUMN credit_balance_after bigint,
      ALTER COLUMN created_at SET DEFAULT clock_timestamp();

    WITH legs AS (
      SELECT id, true AS debit, debit_account_id AS account, -amount AS delta, created_at, n FROM transfers
      UNION ALL
      SELECT id, false, credit_account_id, amount, created_at, n FROM transfers
    ), running AS (
      SELECT id, debit, sum(delta) OVER (PARTITION BY account ORDER BY created_at, n ROWS UNBOUNDED PRECEDING) AS after
      FROM legs
    )
    UPDATE transfers t SET debit_balance_after = d.after, credit_balance_after = c.after
    FROM running d, running c
    WHERE d.id = t.id AND d.debit AND c.id = t.id AND NOT c.debit;

    ALTER TABLE transfers
      ALTER COLUMN debit_balance_after SET NOT NULL,
      ALTER COLUMN credit_balance_after SET NOT NULL;
    CREATE INDEX transfers_debit_statement_idx ON transfers (debit_account_id, created_at, n);
    CREATE INDEX transfers_credit_statement_idx ON transfers (credit_account_id, created_at, n);

    SELECT set_config('escrow.ledger_rewrite', '', true);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX transfers_credit_statement_idx;
    DROP INDEX transfers_debit_statement_idx;
    ALTER TABLE transfers
      ALTER COLUMN created_at SET DEFAULT now(),
      DROP COLUMN credit_balance_after,
      DROP COLUMN debit_balance_after,
      DROP COLUMN n;
  `);
}
