import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, fundedMilestone, projectInProgress, waitSettled, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue 17 item 6: the database guards the ledger, not only the code (migrations/20261208000000_ledger_guards.ts).
// Each forbidden write is sent as raw SQL, the way a mistaken script or a hand-typed statement would, and the
// database refuses it; the normal flows (deposit, fund, release) still work beside the guards.

const RESTRICT_VIOLATION = '23001';
const FOREIGN_KEY_VIOLATION = '23503';
const CHECK_VIOLATION = '23514';

describe('the database guards the ledger', () => {
  let svc: TestService;
  let p: Parties;
  let milestoneId = '';

  /** The error a statement fails with (it must fail). */
  const refusal = async (sql: string, bindings: readonly string[] = []) => {
    const error = await svc.db.raw(sql, bindings).then(
      () => null,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error, `${sql} must be refused`).not.toBeNull();
    return error!;
  };

  beforeAll(async () => {
    svc = await startTestService();
    p = await projectInProgress(svc.http);
    milestoneId = (await fundedMilestone(svc.http, p, '1000')).id as string;
    const released = await svc.http.post(`/v1/milestones/${milestoneId}/events`, {
      type: 'RELEASE',
      actor: p.employer,
      amount: '400',
    });
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    await waitSettled(svc.http, milestoneId);
  });

  afterAll(async () => {
    await svc?.stop();
  });

  it.each([
    ['UPDATE history', `UPDATE history SET actor = 'mallory' WHERE instance_id = ?`, 'history is append-only: UPDATE'],
    ['DELETE history', 'DELETE FROM history WHERE instance_id = ?', 'history is append-only: DELETE'],
    ['UPDATE transfers', 'UPDATE transfers SET amount = amount * 10 WHERE instance_id = ?', 'transfers is append-only'],
    ['DELETE transfers', 'DELETE FROM transfers WHERE instance_id = ?', 'transfers is append-only: DELETE'],
  ])('refuses %s with a message that says why', async (_name, sql, message) => {
    const error = await refusal(sql, [milestoneId]);
    expect(error.code).toBe(RESTRICT_VIOLATION);
    expect(error.message).toContain(message);
  });

  // CASCADE would take the tables that reference the named one along; each of the three refuses on its own.
  it.each(['history', 'transfers', 'accounts'])('refuses TRUNCATE %s, even with CASCADE', async (table) => {
    const error = await refusal(`TRUNCATE ${table} CASCADE`);
    expect(error.code).toBe(RESTRICT_VIOLATION);
    expect(error.message).toMatch(/(is append-only|accounts keep what they are): TRUNCATE refused/);
  });

  it('refuses a transfer between accounts of different currencies', async () => {
    await deposit(svc.http, p.employer, '500', 'EUR');
    const error = await refusal(
      `INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, kind,
                              debit_balance_after, credit_balance_after)
       VALUES ('forged-1', ?, ?, 100, 'USD', 'forged', 0, 0)`,
      [`available:EUR:${p.employer}`, `available:USD:${p.freelancer}`],
    );
    expect(error.code).toBe(FOREIGN_KEY_VIOLATION);
    expect(error.message).toContain('transfers_debit_same_currency');
  });

  it('refuses a transfer whose currency is neither account’s', async () => {
    const error = await refusal(
      `INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, kind,
                              debit_balance_after, credit_balance_after)
       VALUES ('forged-2', ?, ?, 100, 'EUR', 'forged', 0, 0)`,
      [`available:USD:${p.employer}`, `available:USD:${p.freelancer}`],
    );
    expect(error.code).toBe(FOREIGN_KEY_VIOLATION);
  });

  it('refuses a negative balance on any account but external', async () => {
    const error = await refusal(`UPDATE accounts SET balance = -1 WHERE id = ?`, [`available:USD:${p.freelancer}`]);
    expect(error.code).toBe(CHECK_VIOLATION);
    expect(error.message).toContain('accounts_no_negative_balance');
    const external: { balance: bigint } = await svc.db('accounts').where({ id: 'external:USD' }).first('balance');
    expect(external.balance < 0n).toBe(true);
  });

  it.each([
    ['kind', `UPDATE accounts SET kind = 'external' WHERE id = ?`],
    ['currency', `UPDATE accounts SET currency = 'EUR' WHERE id = ?`],
    ['owner', `UPDATE accounts SET owner_id = 'mallory' WHERE id = ?`],
    ['removal', 'DELETE FROM accounts WHERE id = ?'],
  ])('refuses changing an account’s %s', async (_name, sql) => {
    const error = await refusal(sql, [`available:USD:${p.freelancer}`]);
    expect(error.code).toBe(RESTRICT_VIOLATION);
    expect(error.message).toContain('accounts keep what they are');
  });

  it('lets a transaction that sets escrow.ledger_rewrite through, and only that transaction', async () => {
    let seen = '';
    const rollBack = new Error('roll back: the test only looks');
    await svc.db
      .transaction(async (trx) => {
        await trx.raw(`SET LOCAL escrow.ledger_rewrite = 'guard test'`);
        await trx.raw(`UPDATE history SET actor = 'rewritten' WHERE instance_id = ? AND seq = 1`, [milestoneId]);
        const row: { actor: string } = await trx('history').where({ instance_id: milestoneId, seq: 1 }).first('actor');
        seen = row.actor;
        throw rollBack;
      })
      .catch((e: unknown) => {
        if (e !== rollBack) throw e;
      });
    expect(seen).toBe('rewritten');
    const after: { actor: string } = await svc.db('history').where({ instance_id: milestoneId, seq: 1 }).first('actor');
    expect(after.actor).toBe(p.employer);
    expect((await refusal(`UPDATE history SET actor = 'x' WHERE instance_id = ?`, [milestoneId])).code).toBe(
      RESTRICT_VIOLATION,
    );
  });

  it('an empty escrow.ledger_rewrite is no permission', async () => {
    const error = await svc.db
      .transaction(async (trx) => {
        await trx.raw(`SET LOCAL escrow.ledger_rewrite = ''`);
        await trx.raw('DELETE FROM transfers WHERE instance_id = ?', [milestoneId]);
      })
      .then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
    expect(error?.code).toBe(RESTRICT_VIOLATION);
  });

  it('still moves money the normal way: deposit, fund, release, and the invariants hold', async () => {
    const second = await fundedMilestone(svc.http, p, '300');
    const released = await svc.http.post(`/v1/milestones/${second.id as string}/events`, {
      type: 'RELEASE',
      actor: p.employer,
    });
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    expect((await waitSettled(svc.http, second.id as string)).state).toBe('released');
    const account = await svc.http.get(`/v1/accounts/${p.freelancer}`);
    expect(account.body.balances).toEqual([expect.objectContaining({ currency: 'USD', available: '700' })]);
    await assertLedgerInvariants(svc.db);
  });
});
