import type { Knex } from 'knex';

// The relay now writes in-app notifications and webhook deliveries itself instead of queueing a BullMQ job per
// row. Rows an older relay had already queued, but whose jobs had not run at the upgrade, would otherwise wait
// for workers that no longer exist: hand them back to the relay. (An old worker still finishing one is harmless:
// both ways ignore a row whose outbox id was already written.)
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    UPDATE outbox SET relayed_at = NULL
    WHERE processed_at IS NULL AND relayed_at IS NOT NULL AND topic IN ('notification', 'transition')
  `);
}

// Nothing to undo: an older relay queues rows whose relayed_at is null, which is what this leaves.
export async function down(): Promise<void> {}
