import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationSource } from '../../migrations/index.js';
import { createDb, type Db } from '../../src/db/knex.js';
import { availableAccount, externalAccount, feesAccount } from '../../src/ledger/accounts.js';
import { databaseUrl, dropDatabase, withAdmin } from '../support/databases.js';

// migrations/20261208100000_statement_running_balances.ts numbers the transfers that exist and backfills the
// balance each left on its two accounts, through the ledger guards' rewrite door. Transfers written the old way
// (no n, no balances, created_at the transaction's start) get running balances that end at each account's
// balance, in the order the statement shows them.

const STATEMENTS = '20261208100000_statement_running_balances';

/** The project's migrations up to, not including, `name`. */
function migrationsBefore(name: string): Knex.MigrationSource<unknown> {
  return {
    getMigrations: async () => {
      const all = await migrationSource.getMigrations([]);
      return all.slice(
        0,
        all.findIndex((m) => migrationSource.getMigrationName(m) === name),
      );
    },
    getMigrationName: (m) => migrationSource.getMigrationName(m as never),
    getMigration: (m) => migrationSource.getMigration(m as never),
  };
}

describe('the running-balance migration', () => {
  const name = `escrow_t_mig_${randomBytes(5).toString('hex')}`;
  let db: Db;
  const alice = availableAccount('alice', 'USD');
  const bob = availableAccount('bob', 'USD');
  const world = externalAccount('USD');
  const fees = feesAccount('USD');

  beforeAll(async () => {
    await withAdmin((admin) => admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
    db = createDb(databaseUrl(name), 2);
    await db.migrate.latest({ migrationSource: migrationsBefore(STATEMENTS) });
    await db('accounts').insert(
      [alice, bob, world, fees].map((a) => ({ id: a.id, owner_id: a.ownerId, currency: 'USD', kind: a.kind })),
    );
    // Old-style rows; two share a created_at, as two transfers of one transaction did.
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const rows = [
      ['t1', world, alice, 1000n, at(1)],
      ['t2', alice, bob, 300n, at(2)],
      ['t3', alice, fees, 30n, at(2)],
      ['t4', world, bob, 50n, at(3)],
      ['t5', bob, alice, 100n, at(4)],
    ] as const;
    for (const [id, debit, credit, amount, createdAt] of rows) {
      await db('transfers').insert({
        id,
        debit_account_id: debit.id,
        credit_account_id: credit.id,
        amount,
        currency: 'USD',
        kind: 'test',
        created_at: createdAt,
      });
      await db.raw('UPDATE accounts SET balance = balance - ?::bigint WHERE id = ?', [amount.toString(), debit.id]);
      await db.raw('UPDATE accounts SET balance = balance + ?::bigint WHERE id = ?', [amount.toString(), credit.id]);
    }
    await db.migrate.latest({ migrationSource });
  });

  afterAll(async () => {
    await db?.destroy();
    await withAdmin((admin) => dropDatabase(admin, name));
  });

  it('records what each old transfer left on both accounts, in insertion order', async () => {
    const rows: { id: string; n: string; debit_balance_after: bigint; credit_balance_after: bigint }[] = await db(
      'transfers',
    )
      .orderBy('n')
      .select('id', 'n', 'debit_balance_after', 'credit_balance_after');
    expect(rows.map((r) => [r.id, r.debit_balance_after, r.credit_balance_after])).toEqual([
      ['t1', -1000n, 1000n],
      ['t2', 700n, 300n],
      ['t3', 670n, 30n],
      ['t4', -1050n, 350n],
      ['t5', 250n, 770n],
    ]);
  });

  it('ends each account’s running balance at its balance', async () => {
    const accounts: { id: string; balance: bigint }[] = await db('accounts').select('id', 'balance');
    const statement = await db('accounts as a')
      .select('a.id', 'a.balance')
      .select(
        db.raw(`(SELECT CASE WHEN t.debit_account_id = a.id THEN t.debit_balance_after ELSE t.credit_balance_after END
                   FROM transfers t WHERE a.id IN (t.debit_account_id, t.credit_account_id)
                  ORDER BY t.created_at DESC, t.n DESC LIMIT 1) AS last_after`),
      );
    expect(accounts).toHaveLength(4);
    for (const a of statement as { id: string; balance: bigint; last_after: bigint }[])
      expect(a.last_after, a.id).toBe(a.balance);
  });

  it('leaves the ledger guards closed after it', async () => {
    await expect(db('transfers').where({ id: 't1' }).update({ kind: 'changed' })).rejects.toThrow(
      /transfers is append-only/,
    );
  });
});
