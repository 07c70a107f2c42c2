import type { Knex } from 'knex';

// Issue 14 (strict input): Idempotency-Keys are kept for IDEMPOTENCY_KEY_TTL, then deleted by the workers in
// bounded batches, oldest first (workers/idempotency-expiry.ts). Without an index on created_at each batch would
// scan the whole table to find the expired rows; with it a batch reads just the rows it deletes.
// The table is small next to history (keys live a day), so a plain CREATE INDEX in the migration's transaction
// holds its write lock briefly.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX idempotency_keys_created_idx');
}
