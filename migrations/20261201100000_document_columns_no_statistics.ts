import type { Knex } from 'knex';

// Documents the engine stores and hands back but never filters, joins or sorts on: their column statistics
// inform no plan, and building them was most of what ANALYZE cost (sorting thousands of sampled jsonb values
// for a histogram). Without statistics for the jsonb columns alone, ANALYZE outbox took 123 ms instead of 312
// and ANALYZE history 45 instead of 221, on a bench database of 31k and 19k rows (bench/README.md). That
// matters where the workers run ANALYZE every few seconds (workers/planner-statistics.ts), and it spares
// autovacuum's analyses alike. Target 0 keeps no statistics for a column; every other column keeps its own.
const DOCUMENT_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  // request_id: the caller's correlation id, carried along with the command and never looked up by.
  outbox: ['payload', 'request_id'],
  history: ['payload', 'from_state', 'to_state'],
  instances: ['snapshot', 'input'],
  timers: ['event'],
  notifications: ['message'],
  webhook_deliveries: ['body'],
};

/** Sets the statistics target of every document column; -1 is back to default_statistics_target. */
async function setStatisticsTarget(knex: Knex, target: 0 | -1): Promise<void> {
  for (const [table, columns] of Object.entries(DOCUMENT_COLUMNS)) {
    const clauses = columns.map(() => `ALTER COLUMN ?? SET STATISTICS ${target}`).join(', ');
    await knex.raw(`ALTER TABLE ?? ${clauses}`, [table, ...columns]);
  }
}

export async function up(knex: Knex): Promise<void> {
  await setStatisticsTarget(knex, 0);
}

export async function down(knex: Knex): Promise<void> {
  await setStatisticsTarget(knex, -1);
}
