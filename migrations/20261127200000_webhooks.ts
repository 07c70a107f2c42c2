import type { Knex } from 'knex';

// Webhook subscriptions, one delivery per (subscription, applied event), and every attempt to deliver it.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE webhooks (
      n           bigserial NOT NULL UNIQUE,
      id          text PRIMARY KEY,
      url         text NOT NULL,
      events      text[] NOT NULL CHECK (cardinality(events) > 0),
      -- Needed in usable form to sign deliveries; sealed with WEBHOOK_SECRET_KEY when one is configured.
      secret      text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      -- Soft delete: past deliveries and their attempts stay readable for audit.
      deleted_at  timestamptz
    );

    -- The body is stored as the exact bytes sent, so every attempt (and a re-drive) sends the same document
    -- with the same id; only X-Timestamp and X-Signature change per attempt.
    CREATE TABLE webhook_deliveries (
      n                bigserial NOT NULL UNIQUE,
      id               text PRIMARY KEY,
      webhook_id       text NOT NULL REFERENCES webhooks (id),
      outbox_id        bigint NOT NULL REFERENCES outbox (id),
      instance_id      text NOT NULL REFERENCES instances (id),
      machine          text NOT NULL,
      seq              integer NOT NULL,
      type             text NOT NULL,
      body             text NOT NULL,
      status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead', 'cancelled')),
      attempt_count    integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
      -- Attempts left before the delivery is dead; a re-drive refills it.
      attempts_left    integer NOT NULL CHECK (attempts_left >= 0),
      next_attempt_at  timestamptz NOT NULL DEFAULT now(),
      -- Set while one dispatcher is sending it (the HTTP call runs outside any transaction); a crashed
      -- dispatcher's lease expires and the delivery is tried again.
      leased_until     timestamptz,
      delivered_at     timestamptz,
      created_at       timestamptz NOT NULL DEFAULT now(),
      updated_at       timestamptz NOT NULL DEFAULT now(),
      -- One delivery per subscription and event: a fan-out job that runs twice creates nothing new.
      UNIQUE (webhook_id, outbox_id),
      UNIQUE (webhook_id, instance_id, seq)
    );
    -- Per-instance order: a delivery waits while an earlier one of its (webhook, instance) is pending or dead.
    CREATE INDEX webhook_deliveries_open_idx ON webhook_deliveries (webhook_id, instance_id, seq)
      WHERE status IN ('pending', 'dead');
    CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (webhook_id, n);

    CREATE TABLE webhook_attempts (
      delivery_id  text NOT NULL REFERENCES webhook_deliveries (id),
      attempt      integer NOT NULL CHECK (attempt > 0),
      started_at   timestamptz NOT NULL DEFAULT now(),
      finished_at  timestamptz,
      duration_ms  integer,
      status_code  integer,
      error        text,
      -- in_flight until it finishes; abandoned when its dispatcher stopped before recording an outcome.
      outcome      text NOT NULL DEFAULT 'in_flight' CHECK (outcome IN ('in_flight', 'delivered', 'failed', 'abandoned')),
      PRIMARY KEY (delivery_id, attempt)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE webhook_attempts, webhook_deliveries, webhooks;');
}
