import type { Knex } from 'knex';

// What the support queues and the list API (GET /v1/milestones filters, /v1/projects, /v1/stats) look rows up by.
//
// instances.state holds the top-level state only (`disputed`), but a support queue is a dispute stage
// (`disputed.arbitration`), which lives in the snapshot. An expression index on the snapshot would cost every
// event its HOT update: Postgres (15) lets an update be HOT only when no column an index reads changed, and the
// snapshot changes on every event. A stored generated column `state_path` changes only when the state path
// does, so it blocks nothing the `state` column did not already block, and Postgres derives it from the
// snapshot itself: the engine's write statements stay as they are and the two can never disagree. Adding it
// rewrites the table once (measured in docs/support.md).
//
// Its index is partial, on the rows whose path differs from the top-level state (nested states: the stages of
// a dispute), so it is small and only rows in a nested state pay for it; paths without a dot are the `state`
// column and use instances_machine_state_idx. Queries match the predicate literally (`state_path <> state`).
//
// A parallel state has several keys and no single path; no machine has one (the first key stands for it).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION instance_state_path(value jsonb) RETURNS text
      LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
      DECLARE
        k text;
        v jsonb;
      BEGIN
        IF jsonb_typeof(value) = 'string' THEN
          RETURN value #>> '{}';
        END IF;
        SELECT e.key, e.value INTO k, v FROM jsonb_each(value) AS e LIMIT 1;
        IF k IS NULL THEN
          RETURN NULL;
        END IF;
        RETURN k || coalesce('.' || instance_state_path(v), '');
      END
    $$;
    ALTER TABLE instances
      ADD COLUMN state_path text GENERATED ALWAYS AS (instance_state_path(snapshot -> 'value')) STORED;
    CREATE INDEX instances_nested_state_idx ON instances (machine, state_path, n) WHERE state_path <> state;

    -- Dead webhook deliveries across all subscriptions, oldest first (the console's queue).
    CREATE INDEX webhook_deliveries_dead_idx ON webhook_deliveries (n) WHERE status = 'dead';

    -- Support actions that are not machine events (a re-driven settlement, a retried webhook delivery): who did
    -- what to which case, so the case's timeline shows them beside its history.
    CREATE TABLE support_actions (
      n            bigserial PRIMARY KEY,
      instance_id  text NOT NULL REFERENCES instances (id),
      action       text NOT NULL,
      subject      text,
      outcome      text NOT NULL,
      -- The API client whose token asked for it (its name is read from api_clients).
      client_id    text NOT NULL REFERENCES api_clients (id),
      created_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX support_actions_instance_idx ON support_actions (instance_id, n);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE support_actions;
    DROP INDEX webhook_deliveries_dead_idx;
    DROP INDEX instances_nested_state_idx;
    ALTER TABLE instances DROP COLUMN state_path;
    DROP FUNCTION instance_state_path(jsonb);
  `);
}
