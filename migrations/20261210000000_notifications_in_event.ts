import type { Knex } from 'knex';

// An event's in-app notifications are now written in the event's own statement instead of through an outbox row
// the relay turned into an inbox row (docs/decisions/0014-notifications-in-the-event.md). Such a row has no
// outbox id; it names the event it tells of by (instance_id, seq), and rows the relay wrote get their seq from
// their outbox row here. Outbox notification rows still pending at the upgrade (and deadline reminders, which
// keep going through the outbox) are written by the relay as before.
//
// Kept so that workers of the previous version keep working while a deployment rolls over (every process migrates
// on start, so the first new one migrates under the old ones): the unique constraint on outbox_id stays as it is
// (their ON CONFLICT names it; nulls do not collide), and seq stays nullable (their INSERT does not set it).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE notifications ALTER COLUMN outbox_id DROP NOT NULL, ADD COLUMN seq integer;
    UPDATE notifications AS n SET seq = o.seq FROM outbox AS o WHERE o.id = n.outbox_id;
  `);
}

// Going back needs an outbox id on every row: the inbox rows written in their event's statement have none, and
// are deleted (the users lose those notifications, not their money or history).
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DELETE FROM notifications WHERE outbox_id IS NULL;
    ALTER TABLE notifications ALTER COLUMN outbox_id SET NOT NULL, DROP COLUMN seq;
  `);
}
