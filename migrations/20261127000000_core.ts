import type { Knex } from 'knex';

// Core schema: machine instances with their history and outbox, the double-entry ledger, API clients and
// idempotency keys. Money columns are bigint minor units; the CHECKs make the money rules hold in the
// database itself, not only in code.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Names this database's life: outbox ids restart when a database is re-created, so job ids in a shared
    -- Redis carry this id too, and a new database never collides with an old one's kept jobs.
    CREATE TABLE deployment (
      id          text PRIMARY KEY DEFAULT gen_random_uuid()::text,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO deployment DEFAULT VALUES;

    CREATE TABLE api_clients (
      id          text PRIMARY KEY,
      name        text NOT NULL,
      token_hash  text NOT NULL UNIQUE,
      scopes      text[] NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE instances (
      n              bigserial NOT NULL UNIQUE,
      id             text PRIMARY KEY,
      machine        text NOT NULL,
      version        integer NOT NULL CHECK (version > 0),
      seq            integer NOT NULL CHECK (seq >= 0),
      state          text NOT NULL,
      snapshot       jsonb NOT NULL,
      input          jsonb NOT NULL,
      project_id     text REFERENCES instances (id),
      employer_id    text NOT NULL,
      freelancer_id  text,
      created_at     timestamptz NOT NULL DEFAULT now(),
      updated_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX instances_project_idx ON instances (project_id, n) WHERE project_id IS NOT NULL;
    CREATE INDEX instances_machine_state_idx ON instances (machine, state, n);
    CREATE INDEX instances_employer_idx ON instances (employer_id, n);
    CREATE INDEX instances_freelancer_idx ON instances (freelancer_id, n) WHERE freelancer_id IS NOT NULL;

    CREATE TABLE history (
      instance_id      text NOT NULL REFERENCES instances (id),
      seq              integer NOT NULL CHECK (seq > 0),
      type             text NOT NULL,
      actor            text NOT NULL,
      role             text NOT NULL,
      payload          jsonb NOT NULL,
      from_state       jsonb NOT NULL,
      to_state         jsonb NOT NULL,
      machine_version  integer NOT NULL,
      at               timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (instance_id, seq)
    );

    -- Effects that must happen after commit (settlement commands, notifications). The relay stamps
    -- relayed_at once the job is in BullMQ; the consuming worker stamps processed_at in the same
    -- transaction as its effect, which is what makes a redelivered job a no-op.
    CREATE TABLE outbox (
      id            bigserial PRIMARY KEY,
      instance_id   text NOT NULL REFERENCES instances (id),
      seq           integer NOT NULL,
      topic         text NOT NULL,
      payload       jsonb NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now(),
      relayed_at    timestamptz,
      processed_at  timestamptz
    );
    CREATE INDEX outbox_unrelayed_idx ON outbox (id) WHERE relayed_at IS NULL;
    CREATE INDEX outbox_unprocessed_idx ON outbox (instance_id) WHERE processed_at IS NULL;

    CREATE TABLE accounts (
      id            text PRIMARY KEY,
      owner_id      text NOT NULL,
      currency      char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      kind          text NOT NULL CHECK (kind IN ('available', 'escrow', 'fees', 'external')),
      milestone_id  text REFERENCES instances (id),
      balance       bigint NOT NULL DEFAULT 0,
      created_at    timestamptz NOT NULL DEFAULT now(),
      -- Only the external account (money entering and leaving the system) may go negative.
      CONSTRAINT accounts_no_negative_balance CHECK (kind = 'external' OR balance >= 0),
      CONSTRAINT accounts_escrow_has_milestone CHECK ((kind = 'escrow') = (milestone_id IS NOT NULL))
    );
    CREATE INDEX accounts_owner_idx ON accounts (owner_id, currency);

    CREATE TABLE transfers (
      id                 text PRIMARY KEY,
      debit_account_id   text NOT NULL REFERENCES accounts (id),
      credit_account_id  text NOT NULL REFERENCES accounts (id),
      amount             bigint NOT NULL CHECK (amount > 0),
      currency           char(3) NOT NULL,
      kind               text NOT NULL,
      instance_id        text REFERENCES instances (id),
      seq                integer,
      created_at         timestamptz NOT NULL DEFAULT now(),
      CHECK (debit_account_id <> credit_account_id),
      -- A settlement transfer always belongs to exactly one history event.
      FOREIGN KEY (instance_id, seq) REFERENCES history (instance_id, seq)
    );
    CREATE INDEX transfers_instance_idx ON transfers (instance_id, seq) WHERE instance_id IS NOT NULL;

    -- In-app inbox; one row per notification outbox row (outbox_id UNIQUE makes a redelivery a no-op).
    CREATE TABLE notifications (
      id           bigserial PRIMARY KEY,
      outbox_id    bigint NOT NULL UNIQUE REFERENCES outbox (id),
      user_id      text NOT NULL,
      type         text NOT NULL,
      instance_id  text NOT NULL REFERENCES instances (id),
      message      text NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      read_at      timestamptz
    );
    CREATE INDEX notifications_user_idx ON notifications (user_id, id);
    CREATE INDEX notifications_unread_idx ON notifications (user_id, id) WHERE read_at IS NULL;

    CREATE TABLE idempotency_keys (
      client_id     text NOT NULL REFERENCES api_clients (id),
      key           text NOT NULL,
      request_hash  text NOT NULL,
      status        integer NOT NULL,
      -- The exact response text, so a replay returns the original body byte for byte (jsonb reorders keys).
      body          text NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (client_id, key)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE idempotency_keys, notifications, transfers, accounts, outbox, history, instances, api_clients, deployment;
  `);
}
