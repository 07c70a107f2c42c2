import type { Knex } from 'knex';

// One round trip: every table of the public schema gets an empty temporary copy of the same name (columns,
// defaults, CHECKs, indexes and unique keys; no foreign keys, no triggers), dropped with the transaction. LIKE copies a
// serial column's default as nextval() of the real sequence, which a read-only transaction may not call; each such
// default is pointed at a temporary sequence instead (identity columns get temporary sequences of their own).
const SHADOW_TABLES = `
DO $$
DECLARE
  t record;
  d record;
  k integer := 0;
BEGIN
  FOR t IN
    SELECT c.relname FROM pg_class AS c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
  LOOP
    EXECUTE format('CREATE TEMP TABLE %I (LIKE public.%I INCLUDING ALL) ON COMMIT DROP', t.relname, t.relname);
  END LOOP;
  FOR d IN
    SELECT c.relname, a.attname FROM pg_attrdef AS ad
    JOIN pg_class AS c ON c.oid = ad.adrelid
    JOIN pg_attribute AS a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
    WHERE c.relnamespace = pg_my_temp_schema() AND pg_get_expr(ad.adbin, ad.adrelid) LIKE 'nextval(%'
  LOOP
    k := k + 1;
    EXECUTE format('CREATE TEMP SEQUENCE warm_up_seq_%s', k);
    EXECUTE format('ALTER TABLE pg_temp.%I ALTER COLUMN %I SET DEFAULT nextval(%L)', d.relname, d.attname,
                   'pg_temp.warm_up_seq_' || k);
  END LOOP;
END $$`;

/**
 * Shadows the service's tables inside `trx`, then makes `trx` read-only. Unqualified names resolve to the
 * temporary schema first, so every statement of the service run in `trx` reads and writes the empty copies; one
 * that would still write a real table or sequence is refused by Postgres (SQLSTATE 25006), since a read-only
 * transaction may write temporary tables only (a read of a real table is allowed). Nothing outlives the transaction (the caller rolls it back): no
 * session state is left behind, so this is safe through a transaction-mode pooler as well.
 */
export async function shadowSchema(trx: Knex.Transaction): Promise<void> {
  await trx.raw(SHADOW_TABLES);
  await trx.raw('SET LOCAL transaction_read_only = on');
}
