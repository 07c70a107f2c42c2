import type { Knex } from 'knex';

// The database guards the ledger, not only the code (docs/money.md "The database guards"): it refuses UPDATE and
// DELETE on history and transfers, and a transfer between different currencies:
//
// - history and transfers are append-only: a trigger refuses every UPDATE, DELETE and TRUNCATE of them. A
//   mistake in code, a hand-typed statement in psql or a careless script fails with a message that says why,
//   instead of silently rewriting what happened or making money out of nothing.
// - accounts keep what they are: only `balance` may change; their id, owner, currency, kind and milestone never
//   do, and an account is never deleted (changing `kind` to 'external' would otherwise lift the no-negative-
//   balance CHECK, changing `currency` would move money between currencies).
// - a transfer's two accounts share its currency: composite foreign keys on (account id, currency) against a
//   UNIQUE (id, currency) of accounts. They replace the single-column keys, so an insert still makes one index
//   lookup per account.
// - balances never go below zero except on external accounts: the CHECK accounts_no_negative_balance of the
//   core migration (already there, kept).
//
// Rewriting history on purpose. A later migration that must change or remove rows of these tables (a data
// repair, a column backfill) sets, in its own transaction:
//
//     SET LOCAL escrow.ledger_rewrite = '<why, e.g. the migration name>';
//
// The triggers let a transaction with a non-empty escrow.ledger_rewrite through; the migration's own comment
// says what it rewrites and why. SET LOCAL ends with the transaction, so the door never stays open on a
// connection the pool hands out again, and an empty value is no permission. This is a guard against mistakes, not against a hostile database user:
// whoever may SET a setting may also DROP a trigger. A deployment that wants the service itself unable to
// rewrite the ledger also revokes UPDATE, DELETE and TRUNCATE on history and transfers from the service's role
// and runs migrations as another role (docs/money.md "The database guards").
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- current_setting(…, true): NULL rather than an error where the setting was never defined.
    CREATE FUNCTION ledger_rewrite_allowed() RETURNS boolean
      LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('escrow.ledger_rewrite', true), '') <> '' $$;

    -- Row triggers refuse UPDATE and DELETE, a statement trigger refuses TRUNCATE (row triggers never see it).
    CREATE FUNCTION refuse_ledger_rewrite() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF ledger_rewrite_allowed() THEN
          RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'restrict_violation',
                HINT = 'Rows of the ledger are never changed or removed; a migration that must rewrite them sets escrow.ledger_rewrite in its transaction (migrations/20261208000000_ledger_guards.ts).';
      END
    $$;

    CREATE FUNCTION refuse_account_change() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        -- Named in SET but unchanged (SET kind = kind) is no change. Nested: NEW is unassigned for TRUNCATE.
        IF TG_OP = 'UPDATE' THEN
          IF (NEW.id, NEW.owner_id, NEW.currency, NEW.kind, NEW.milestone_id)
              IS NOT DISTINCT FROM (OLD.id, OLD.owner_id, OLD.currency, OLD.kind, OLD.milestone_id) THEN
            RETURN NEW;
          END IF;
        END IF;
        IF ledger_rewrite_allowed() THEN
          RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        RAISE EXCEPTION 'accounts keep what they are: % refused (only balance changes, and no account is removed)', TG_OP
          USING ERRCODE = 'restrict_violation',
                HINT = 'A migration that must rewrite accounts sets escrow.ledger_rewrite in its transaction (migrations/20261208000000_ledger_guards.ts).';
      END
    $$;

    CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
      FOR EACH ROW EXECUTE FUNCTION refuse_ledger_rewrite();
    CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_rewrite();
    CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON transfers
      FOR EACH ROW EXECUTE FUNCTION refuse_ledger_rewrite();
    CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_rewrite();
    -- UPDATE OF the identity columns only: a balance update (every transfer) does not fire it at all.
    CREATE TRIGGER accounts_keep_identity BEFORE UPDATE OF id, owner_id, currency, kind, milestone_id OR DELETE ON accounts
      FOR EACH ROW EXECUTE FUNCTION refuse_account_change();
    CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_account_change();

    ALTER TABLE accounts ADD CONSTRAINT accounts_id_currency_key UNIQUE (id, currency);
    ALTER TABLE transfers
      DROP CONSTRAINT transfers_debit_account_id_fkey,
      DROP CONSTRAINT transfers_credit_account_id_fkey,
      ADD CONSTRAINT transfers_debit_same_currency
        FOREIGN KEY (debit_account_id, currency) REFERENCES accounts (id, currency),
      ADD CONSTRAINT transfers_credit_same_currency
        FOREIGN KEY (credit_account_id, currency) REFERENCES accounts (id, currency);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE transfers
      DROP CONSTRAINT transfers_debit_same_currency,
      DROP CONSTRAINT transfers_credit_same_currency,
      ADD CONSTRAINT transfers_debit_account_id_fkey FOREIGN KEY (debit_account_id) REFERENCES accounts (id),
      ADD CONSTRAINT transfers_credit_account_id_fkey FOREIGN KEY (credit_account_id) REFERENCES accounts (id);
    ALTER TABLE accounts DROP CONSTRAINT accounts_id_currency_key;
    DROP TRIGGER accounts_no_truncate ON accounts;
    DROP TRIGGER accounts_keep_identity ON accounts;
    DROP TRIGGER transfers_no_truncate ON transfers;
    DROP TRIGGER transfers_append_only ON transfers;
    DROP TRIGGER history_no_truncate ON history;
    DROP TRIGGER history_append_only ON history;
    DROP FUNCTION refuse_account_change();
    DROP FUNCTION refuse_ledger_rewrite();
    DROP FUNCTION ledger_rewrite_allowed();
  `);
}
