import type { Knex } from 'knex';

// Payouts and adjustments (docs/money.md):
// - account kind `payout_hold`: an owner's requested payouts hold the money here (available → payout hold in the
//   request's transaction) until it is paid (→ external) or returned (→ available); it never goes negative.
// - account kind `adjustments`: the platform's side of support's corrections, either direction, so like external it
//   may go negative (its balance is the net of every correction made).
// - sandbox_payouts: what the sandbox payout provider has accepted, one row per payout id. It stands in for the
//   provider's own records (a real provider keeps them on its side): written in a transaction of its own, before
//   and apart from the worker's, so a worker that dies after the call finds the first answer again by payout id.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
    ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check
      CHECK (kind IN ('available', 'escrow', 'fee_hold', 'payout_hold', 'fees', 'adjustments', 'external'));
    ALTER TABLE accounts DROP CONSTRAINT accounts_no_negative_balance;
    ALTER TABLE accounts ADD CONSTRAINT accounts_no_negative_balance
      CHECK (kind IN ('external', 'adjustments') OR balance >= 0);

    CREATE TABLE sandbox_payouts (
      payout_id    text PRIMARY KEY,
      amount       bigint NOT NULL CHECK (amount > 0),
      currency     char(3) NOT NULL,
      outcome      text NOT NULL CHECK (outcome IN ('paid', 'failed')),
      reference    text NOT NULL,
      -- Every call for this payout, the first included: more than one is a retried call, never a second payment.
      calls        integer NOT NULL DEFAULT 1 CHECK (calls > 0),
      accepted_at  timestamptz NOT NULL DEFAULT now(),
      decided_at   timestamptz NOT NULL
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE sandbox_payouts;
    ALTER TABLE accounts DROP CONSTRAINT accounts_no_negative_balance;
    ALTER TABLE accounts ADD CONSTRAINT accounts_no_negative_balance CHECK (kind = 'external' OR balance >= 0);
    ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
    ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check
      CHECK (kind IN ('available', 'escrow', 'fee_hold', 'fees', 'external'));
  `);
}
