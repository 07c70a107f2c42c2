import type { Knex } from 'knex';

// Room on every instances page for the next version of its rows: an event rewrites its instance row, and with
// free space on the same page Postgres does it as a HOT update, leaving the table's six indexes untouched. That
// is possible for events that keep the indexed columns (state, parties) as they are: flags, offers, a partial
// release settling back to in_progress. Under the engine mix 42 % of updates were HOT at the default (100) and
// 78 % at 70 (bench/README.md). Pages written from now on keep the room; existing ones gain it when rewritten.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE instances SET (fillfactor = 70)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE instances RESET (fillfactor)');
}
