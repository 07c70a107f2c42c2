import type { Knex } from 'knex';

// An event's in-app notifications are now written in the event's own statement instead of through an outbox row
// the relay turned into an inbox row (docs/decisions/0014-notifications-in-the-event.md). Such a row has no
// outbox id; every row now names the event it tells of by (instance_id, seq), which rows written by the relay
// get from their outbox row. Outbox notification rows still pending at the upgrade (and deadline reminders,
// which keep going through the outbox) are written by the relay as before. The outbox id stays unique where there
// is one (a relayed batch written twice adds nothing), through a partial index: rows without one would only fill it.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE notifications ALTER COLUMN outbox_id DROP NOT NULL, ADD COLUMN seq integer;
    UPDATE notifications AS n SET seq = o.seq FROM outbox AS o WHERE o.id = n.outbox_id;
    ALTER TABLE notifications ALTER COLUMN seq SET NOT NULL;
    CREATE UNIQUE INDEX notifications_outbox_idx ON notifications (outbox_id) WHERE outbox_id IS NOT NULL;
    ALTER TABLE notifications DROP CONSTRAINT notifications_outbox_id_key;
  `);
}

// Going back needs an outbox id on every row: the inbox rows written in their event's statement have none, and
// are deleted (the users lose those notifications, not their money or history).
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DELETE FROM notifications WHERE outbox_id IS NULL;
    ALTER TABLE notifications ADD CONSTRAINT notifications_outbox_id_key UNIQUE (outbox_id);
    DROP INDEX notifications_outbox_idx;
    ALTER TABLE notifications ALTER COLUMN outbox_id SET NOT NULL, DROP COLUMN seq;
  `);
}
