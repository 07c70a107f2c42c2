import type { Knex } from 'knex';

// Durable timers (a delayed `raise` of a machine becomes a row here, armed in the event's transaction) and
// fee-hold accounts (arbitration fees held per milestone and payer until the dispute's outcome).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE timers (
      id           bigserial PRIMARY KEY,
      instance_id  text NOT NULL REFERENCES instances (id),
      timer_key    text NOT NULL,
      event        jsonb NOT NULL,
      armed_seq    integer NOT NULL,
      fire_at      timestamptz NOT NULL,
      status       text NOT NULL DEFAULT 'armed' CHECK (status IN ('armed', 'fired', 'cancelled', 'ignored')),
      enqueued_at  timestamptz,
      ended_at     timestamptz,
      created_at   timestamptz NOT NULL DEFAULT now()
    );
    -- At most one armed timer per instance and key: re-arming the same key replaces the old one.
    CREATE UNIQUE INDEX timers_one_armed_idx ON timers (instance_id, timer_key) WHERE status = 'armed';
    CREATE INDEX timers_unenqueued_idx ON timers (id) WHERE status = 'armed' AND enqueued_at IS NULL;
    CREATE INDEX timers_due_idx ON timers (fire_at) WHERE status = 'armed';

    ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
    ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check CHECK (kind IN ('available', 'escrow', 'fee_hold', 'fees', 'external'));
    ALTER TABLE accounts DROP CONSTRAINT accounts_escrow_has_milestone;
    ALTER TABLE accounts ADD CONSTRAINT accounts_milestone_accounts CHECK ((kind IN ('escrow', 'fee_hold')) = (milestone_id IS NOT NULL));
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts DROP CONSTRAINT accounts_milestone_accounts;
    ALTER TABLE accounts ADD CONSTRAINT accounts_escrow_has_milestone CHECK ((kind = 'escrow') = (milestone_id IS NOT NULL));
    ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
    ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check CHECK (kind IN ('available', 'escrow', 'fees', 'external'));
    DROP TABLE timers;
  `);
}
