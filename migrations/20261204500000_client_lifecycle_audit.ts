import type { Knex } from 'knex';

// Issue 15: every action has an accountable author.
// - api_clients gain a lifecycle: expiry, revocation, rotation (rotated_at), last use; names become unique so a
//   name in a history entry or a log names one credential. Clients with a name used before are renamed
//   "<name>#<id>" (all but the oldest), since nothing here may guess which of them the operator meant.
//   `n` orders the GET /v1/clients pages.
// - history and outbox record the API client whose request caused the row (null for timers, settlement and
//   rows written before this migration). No foreign key: clients are revoked, never deleted, and a key check on
//   every history and outbox insert would cost the event hot path for a rule the code already keeps.
// - admin_sessions: the /admin login cookie holds a random session id; only its hash is stored here.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE api_clients
      ADD COLUMN n            bigserial NOT NULL,
      ADD COLUMN expires_at   timestamptz,
      ADD COLUMN revoked_at   timestamptz,
      ADD COLUMN rotated_at   timestamptz,
      ADD COLUMN last_used_at timestamptz;
    UPDATE api_clients AS c SET name = c.name || '#' || c.id
    WHERE EXISTS (
      SELECT 1 FROM api_clients AS o
      WHERE o.name = c.name AND (o.created_at, o.id) < (c.created_at, c.id));
    ALTER TABLE api_clients ADD CONSTRAINT api_clients_name_key UNIQUE (name);
    ALTER TABLE api_clients ADD CONSTRAINT api_clients_n_key UNIQUE (n);

    ALTER TABLE history ADD COLUMN client_id text;
    ALTER TABLE outbox ADD COLUMN client_id text;

    CREATE TABLE admin_sessions (
      id_hash     text PRIMARY KEY,
      client_id   text NOT NULL REFERENCES api_clients (id),
      created_at  timestamptz NOT NULL DEFAULT now(),
      expires_at  timestamptz NOT NULL
    );
    CREATE INDEX admin_sessions_expiry_idx ON admin_sessions (expires_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE admin_sessions;
    ALTER TABLE outbox DROP COLUMN client_id;
    ALTER TABLE history DROP COLUMN client_id;
    ALTER TABLE api_clients DROP CONSTRAINT api_clients_n_key, DROP CONSTRAINT api_clients_name_key,
      DROP COLUMN last_used_at, DROP COLUMN rotated_at, DROP COLUMN revoked_at, DROP COLUMN expires_at, DROP COLUMN n;
  `);
}
