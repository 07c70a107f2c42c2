import type { Knex } from 'knex';

// outbox.request_id: the API request that caused the row, carried into the job so one id traces a request
// through the workers' logs. timers.reminded_at: when the "deadline in 24 h" notice for an armed timer went out.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE outbox ADD COLUMN request_id text;
    ALTER TABLE timers ADD COLUMN reminded_at timestamptz;
    CREATE INDEX timers_unreminded_idx ON timers (fire_at) WHERE status = 'armed' AND reminded_at IS NULL;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX timers_unreminded_idx;
    ALTER TABLE timers DROP COLUMN reminded_at;
    ALTER TABLE outbox DROP COLUMN request_id;
  `);
}
