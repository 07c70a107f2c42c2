import type { Knex } from 'knex';

// An event's in-app notifications are now written in the event's own statement instead of through an outbox row
// the relay turned into an inbox row (docs/decisions/0014-notifications-in-the-event.md). Such a row has no
// outbox id, so it carries what the outbox row used to: the event it tells of (instance_id, seq) and the request
// and client that caused it (request_id, client_id), for the audit trail (docs/audit.md). Rows from before this
// version keep them on their outbox row and are left as they are: no rewrite of the table, so no long lock while
// a deployment rolls over. Deadline reminders and rows a previous version's API still writes go through the
// outbox and the relay as before.
//
// Workers of the previous version that are already running keep working (every process migrates on start, so
// the first new one migrates under them): the unique constraint their ON CONFLICT names stays, and the new
// columns are nullable, as their INSERT does not set them. A previous-version process started after this
// migration refuses to start (knex finds a migration it does not know), as after any migration.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE notifications ALTER COLUMN outbox_id DROP NOT NULL,
      ADD COLUMN seq integer, ADD COLUMN request_id text, ADD COLUMN client_id text;
  `);
}

// Going back needs an outbox id on every row: the inbox rows written in their event's statement have none, and
// are deleted (the users lose those notifications, not their money or history).
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DELETE FROM notifications WHERE outbox_id IS NULL;
    ALTER TABLE notifications ALTER COLUMN outbox_id SET NOT NULL,
      DROP COLUMN seq, DROP COLUMN request_id, DROP COLUMN client_id;
  `);
}
