import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/knex.js';
import { cli } from '../support/cli.js';
import { databaseUrl } from '../support/databases.js';
import { milestoneInDispute } from '../support/dispute-cases.js';
import { eventually } from '../support/eventually.js';
import { rewriteLedger } from '../support/ledger-rewrite.js';
import { fundedMilestone, projectInProgress, waitSettled, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue 17 item 3: `cli reconcile` checks the double-entry invariants per currency and reports the day's money;
// the same checks are the escrow_reconcile_differences gauge. A clean ledger exits 0; each kind of tampering
// (a balance changed, a forged transfer that keeps every balance consistent, a rewritten transfer) exits 1
// naming what differs, and the ledger is repaired through the guards' rewrite door afterwards.

interface Report {
  date: string;
  ok: boolean;
  checks: string[];
  currencies: { currency: string; day: Record<string, string>; balances: Record<string, string> }[];
  differences: { check: string; currency: string; subject: string; expected: string; actual: string }[];
}

/**
 * A balanced transfer nobody's machine asked for: both balances move with it, so every account still agrees with
 * its transfers and only the checks that compare the ledger with the machines can notice.
 */
async function forgeTransfer(db: Db, t: { id: string; from: string; to: string; amount: number; kind: string }) {
  await db.raw(
    `WITH moved AS (
       INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, kind,
                              debit_balance_after, credit_balance_after)
       SELECT ?, d.id, c.id, ?, 'USD', ?, d.balance - ?, c.balance + ?
         FROM accounts d, accounts c WHERE d.id = ? AND c.id = ?
     )
     UPDATE accounts SET balance = balance + CASE WHEN id = ? THEN -?::bigint ELSE ?::bigint END WHERE id IN (?, ?)`,
    [t.id, t.amount, t.kind, t.amount, t.amount, t.from, t.to, t.from, t.amount, t.amount, t.from, t.to],
  );
}

/** Takes a forged transfer back; itself a rewrite of the ledger, so only through the documented door. */
async function removeForged(db: Db, t: { id: string; from: string; to: string; amount: number }) {
  await rewriteLedger(db, `remove the forged transfer ${t.id}`, async (trx) => {
    await trx('transfers').where({ id: t.id }).del();
    await trx.raw(
      'UPDATE accounts SET balance = balance + CASE WHEN id = ? THEN ?::bigint ELSE -?::bigint END WHERE id IN (?, ?)',
      [t.from, t.amount, t.amount, t.from, t.to],
    );
  });
}

describe('reconciliation', () => {
  let svc: TestService;
  let p: Parties;
  let releasedId = '';
  let disputedId = '';

  const reconcile = async (...args: string[]) => {
    const result = await cli(['reconcile', ...args], { DATABASE_URL: databaseUrl(svc.databaseName) });
    return { ...result, report: args.includes('--json') ? (JSON.parse(result.stdout) as Report) : null };
  };
  const freelancerAccount = () => `available:USD:${p.freelancer}`;

  beforeAll(async () => {
    svc = await startTestService({ PLATFORM_FEE_BPS: '1000', RECONCILE_METRIC_TTL_MS: '1000' });
    p = await projectInProgress(svc.http);
    releasedId = (await fundedMilestone(svc.http, p, '600')).id as string;
    await svc.http.post(`/v1/milestones/${releasedId}/events`, { type: 'RELEASE', actor: p.employer, amount: '250' });
    await waitSettled(svc.http, releasedId);
    disputedId = await milestoneInDispute(svc.http, p, 'arbitration', { amount: '1000', fee: '500' });
    // bob takes 100 out (paid by support) and asks for 50 more (still open: held).
    const payout = (amount: string) =>
      svc.http.post(`/v1/accounts/${p.freelancer}/payouts`, {
        currency: 'USD',
        amount,
        destination: { kind: 'bank_account', reference: 'DE89370400440532013000' },
        actor: p.freelancer,
      });
    const paid = await payout('100');
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    const support = await svc.clientWith(['support']);
    const marked = await support.post(`/v1/payouts/${paid.body.id as string}/events`, {
      type: 'MARK_PAID',
      actor: 'agent-ann',
      reference: 'BANK-REF-1',
    });
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    expect((await payout('50')).status).toBe(201);
  });

  afterAll(async () => {
    await svc?.stop();
  });

  it('passes on a clean ledger, with the day’s figures and balances per currency', async () => {
    const { code, report } = await reconcile('--json');
    expect(code).toBe(0);
    expect(report!.ok).toBe(true);
    expect(report!.checks).toEqual([
      'sum_zero',
      'balance_matches_transfers',
      'running_balance',
      'escrow_matches_state',
      'fee_hold_matches_dispute',
      'payout_holds_match_open_payouts',
    ]);
    const usd = report!.currencies.find((c) => c.currency === 'USD')!;
    // Deposits: 600 + 1000 for the milestones and two arbitration fees of 500; the platform took 10 % of 250;
    // bob's 225 less the 100 paid out and the 50 held for his open payout.
    expect(usd.day).toEqual({ deposits: '2600', payoutsPaid: '100', feesEarned: '25', adjustments: '0' });
    expect(usd.balances).toEqual({
      usersAvailable: '75',
      escrowHeld: '1350',
      feeHolds: '1000',
      payoutHolds: '50',
      fees: '25',
      adjustments: '0',
      external: '-2500',
      total: '0',
    });
  });

  it('prints a table and a verdict for a person', async () => {
    const { code, stdout } = await reconcile();
    expect(code).toBe(0);
    expect(stdout).toMatch(/^currency +deposits +payouts paid/m);
    expect(stdout).toMatch(/^USD +26\.00 +1\.00 +0\.25 /m);
    expect(stdout).toContain('All 6 checks hold');
  });

  it('reports another day’s flows with --date, and refuses a day that is not one', async () => {
    const { report } = await reconcile('--json', '--date', '2001-02-03');
    expect(report!.currencies.find((c) => c.currency === 'USD')!.day.deposits).toBe('0');
    expect((await reconcile('--date', '2001-02-30')).code).not.toBe(0);
  });

  it('exits 1 naming the account when a balance was changed', async () => {
    await svc.db.raw('UPDATE accounts SET balance = balance + 5 WHERE id = ?', [freelancerAccount()]);
    try {
      const { code, report } = await reconcile('--json');
      expect(code).toBe(1);
      expect(report!.differences.map((d) => [d.check, d.subject, d.expected, d.actual])).toEqual([
        ['sum_zero', 'USD', '0', '5'],
        ['balance_matches_transfers', freelancerAccount(), '75', '80'],
        ['running_balance', freelancerAccount(), '75', '80'],
      ]);
      const { stdout } = await reconcile();
      expect(stdout).toContain('3 difference(s):');
      expect(stdout).toContain(`balance_matches_transfers  ${freelancerAccount()}: expected 75, found 80`);
    } finally {
      await svc.db.raw('UPDATE accounts SET balance = balance - 5 WHERE id = ?', [freelancerAccount()]);
    }
    expect((await reconcile()).code).toBe(0);
  });

  it('exits 1 naming the milestone when a forged transfer empties escrow with every balance consistent', async () => {
    const forged = { id: 'forged', from: `escrow:USD:${releasedId}`, to: freelancerAccount(), amount: 100 };
    await forgeTransfer(svc.db, { ...forged, kind: 'release' });
    const { code, report } = await reconcile('--json');
    expect(code).toBe(1);
    expect(report!.differences.map((d) => [d.check, d.subject, d.expected, d.actual])).toEqual([
      ['escrow_matches_state', releasedId, '350', '250'],
    ]);
    await removeForged(svc.db, forged);
    expect((await reconcile()).code).toBe(0);
  });

  it('exits 1 naming the owner when a payout hold and the open payouts disagree', async () => {
    // A forged return from the hold to bob: every balance agrees with its transfers, the payout machine still
    // says 50 is on its way.
    const forged = { id: 'forged-hold', from: `payout-hold:USD:${p.freelancer}`, to: freelancerAccount(), amount: 20 };
    await forgeTransfer(svc.db, { ...forged, kind: 'payout_return' });
    const { code, report } = await reconcile('--json');
    expect(code).toBe(1);
    expect(report!.differences.map((d) => [d.check, d.subject, d.expected, d.actual])).toEqual([
      ['payout_holds_match_open_payouts', p.freelancer, '50', '30'],
    ]);
    await removeForged(svc.db, forged);
    expect((await reconcile()).code).toBe(0);
  });

  it('exits 1 when a transfer’s amount was rewritten behind the guards’ back', async () => {
    const fee = (await svc
      .db('transfers')
      .where({ instance_id: disputedId, kind: 'arbitration_fee_hold' })
      .first()) as {
      id: string;
      debit_account_id: string;
      credit_account_id: string;
    };
    const payer: { balance: bigint } = await svc.db('accounts').where({ id: fee.debit_account_id }).first('balance');
    await rewriteLedger(svc.db, 'inflate a fee hold', (trx) =>
      trx('transfers').where({ id: fee.id }).update({ amount: 520 }),
    );
    try {
      const { code, report } = await reconcile('--json');
      expect(code).toBe(1);
      expect(report!.differences.map((d) => [d.check, d.subject, d.expected, d.actual])).toEqual(
        [
          ['balance_matches_transfers', fee.debit_account_id, String(payer.balance - 20n), String(payer.balance)],
          ['balance_matches_transfers', fee.credit_account_id, '520', '500'],
        ].sort((a, b) => a[1]!.localeCompare(b[1]!)),
      );
    } finally {
      await rewriteLedger(svc.db, 'restore the fee hold', (trx) =>
        trx('transfers').where({ id: fee.id }).update({ amount: 500 }),
      );
    }
    expect((await reconcile()).code).toBe(0);
  });

  it('exposes the same checks as escrow_reconcile_differences, refreshed after its TTL', async () => {
    const gauge = async (check: string) => {
      const text = (await svc.http.get<string>('/metrics')).body;
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`escrow_reconcile_differences{currency="USD",check="${check}"}`));
      return line?.split(' ').pop();
    };
    await eventually(async () => expect(await gauge('sum_zero')).toBe('0'));
    expect(await gauge('escrow_matches_state')).toBe('0');
    const metrics = (await svc.http.get<string>('/metrics')).body;
    const checkedAt = Number(/^escrow_reconcile_checked_at_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(Date.now() / 1000 - checkedAt).toBeLessThan(60);
    await svc.db.raw('UPDATE accounts SET balance = balance + 7 WHERE id = ?', [freelancerAccount()]);
    try {
      await eventually(async () => expect(await gauge('balance_matches_transfers')).toBe('1'));
      expect(await gauge('sum_zero')).toBe('1');
    } finally {
      await svc.db.raw('UPDATE accounts SET balance = balance - 7 WHERE id = ?', [freelancerAccount()]);
    }
    await eventually(async () => expect(await gauge('sum_zero')).toBe('0'));
  });

  it('reports what applied adjustments moved that day and the adjustments account, and stays clean', async () => {
    const before = (await reconcile('--json')).report!.currencies.find((c) => c.currency === 'USD')!;
    const approver = await svc.clientWith(['support']);
    for (const amount of ['400', '-150']) {
      const proposed = await svc.http.post('/v1/adjustments', {
        ownerId: p.freelancer,
        currency: 'USD',
        amount,
        reason: 'reconciliation test',
        actor: 'agent-ann',
      });
      const applied = await approver.post(`/v1/adjustments/${proposed.body.id as string}/events`, {
        type: 'APPROVE',
        actor: 'agent-bob',
      });
      expect(applied.body.state, JSON.stringify(applied.body)).toBe('applied');
    }
    const { code, report } = await reconcile('--json');
    expect(code).toBe(0);
    const usd = report!.currencies.find((c) => c.currency === 'USD')!;
    expect(usd.day.adjustments).toBe(String(BigInt(before.day.adjustments!) + 550n));
    expect(usd.balances.adjustments).toBe(String(BigInt(before.balances.adjustments!) - 250n));
    expect(usd.balances.usersAvailable).toBe(String(BigInt(before.balances.usersAvailable!) + 250n));
    expect(usd.balances.total).toBe('0');
  });
});
