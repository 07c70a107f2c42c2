import type { Knex } from 'knex';

// Issue 14: a milestone's view shows what its escrow account holds (`heldAmount`), read in the same statement as
// the instance, so a list page joins every milestone to its escrow account. The account is found by what it is
// (kind 'escrow' of that milestone), not by rebuilding the ledger's account-id format in SQL. Unique: a milestone
// has one currency, so one escrow account; the index also makes that a rule of the database. Partial, so fee
// holds and users' accounts are not in it; queries repeat its predicate (`kind = 'escrow'`) literally.
// A plain CREATE INDEX blocks writes to accounts while it builds (one scan of the table: a few rows per milestone),
// like the other index migrations here.
export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE UNIQUE INDEX accounts_escrow_milestone_idx ON accounts (milestone_id) WHERE kind = 'escrow'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX accounts_escrow_milestone_idx');
}
