import type { Knex } from 'knex';

// Room on every instances page for the next version of its rows: an event rewrites its instance row, and with
// free space on the same page Postgres does it as a HOT update, leaving the table's six indexes untouched.
// At the default (100) only 42 % of updates were HOT under the benchmark's load, at 70 most are (README
// "Benchmarks"). Pages written from now on keep the room; existing ones gain it when next rewritten.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE instances SET (fillfactor = 70)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE instances RESET (fillfactor)');
}
