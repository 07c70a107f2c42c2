import { afterAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../support/databases.js';
import { eventually } from '../support/eventually.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';
import { ServiceProcess } from './support/service-process.js';

// Issue 17: "a worker crash between the provider call and the commit must not pay twice". The workers run as a
// child process (as a supervisor runs them) and are killed with SIGKILL while every payout's provider call has
// been made (the sandbox recorded the payment) and none of the outcomes is committed: the sandbox's accepting
// call takes PAYOUT_SANDBOX_LATENCY_MS to answer, and the kill lands inside that window. After the restart the
// redelivered jobs call the provider again with the same payout ids and must find the first payments.
const PAYOUTS = 6;
const AMOUNT = '2500';
const LATENCY_MS = 6_000;

describe('chaos: kill -9 of the payout worker between the provider call and the commit', () => {
  let svc: TestService | undefined;
  let workers: ServiceProcess | undefined;
  afterAll(async () => {
    await workers?.stop();
    await svc?.stop();
  });

  it('pays every payout exactly once after the restart', async () => {
    const payoutEnv = {
      PAYOUT_PROVIDER: 'sandbox',
      PAYOUT_SANDBOX_CONFIRM_MS: '0',
      PAYOUT_SANDBOX_LATENCY_MS: String(LATENCY_MS),
      PAYOUT_PROVIDER_TIMEOUT_MS: '30000',
      PAYOUT_CONCURRENCY: String(PAYOUTS),
    };
    // The API in this process; the workers in a child process on the same database and queue prefix.
    svc = await startTestService(payoutEnv, { workers: false });
    workers = new ServiceProcess('workers', {
      ...payoutEnv,
      DATABASE_URL: databaseUrl(svc.databaseName),
      REDIS_URL: svc.config.REDIS_URL,
      QUEUE_PREFIX: svc.config.queuePrefix,
      LOG_LEVEL: 'warn',
      RELAY_POLL_MS: '100',
      SWEEP_INTERVAL_MS: '500',
      SWEEP_GRACE_MS: '1500',
      // A killed worker's jobs return within about two seconds instead of BullMQ's default minute.
      WORKER_LOCK_DURATION_MS: '1000',
      WORKER_STALLED_INTERVAL_MS: '500',
    });
    await workers.start();
    const db = svc.db;

    const owners: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < PAYOUTS; i++) {
      const owner = uid('own');
      await deposit(svc.http, owner, '10000');
      const res = await svc.http.post(`/v1/accounts/${owner}/payouts`, {
        currency: 'USD',
        amount: AMOUNT,
        destination: { kind: 'bank_account', reference: `acct-${i}` },
        actor: owner,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      owners.push(owner);
      ids.push(res.body.id);
    }

    // Every provider call made (the sandbox holds each payment), no outcome committed yet: kill -9 now.
    await eventually(async () => {
      const accepted = await db('sandbox_payouts').whereIn('payout_id', ids).count<{ n: string }[]>('* as n');
      expect(Number(accepted[0]!.n)).toBe(PAYOUTS);
    }, LATENCY_MS);
    await workers.kill9();
    const killedAt = Date.now();
    const atKill = await db('instances').whereIn('id', ids).pluck('state');
    expect(atKill, 'every payout processing, none decided when the worker died').toEqual(
      Array(PAYOUTS).fill('processing'),
    );
    expect(await db('transfers').whereIn('instance_id', ids).where({ kind: 'payout' }).pluck('id')).toEqual([]);

    await workers.start();
    await eventually(async () => {
      const states = await db('instances').whereIn('id', ids).pluck('state');
      expect(states).toEqual(Array(PAYOUTS).fill('paid'));
    }, 60_000);
    const recoveryMs = Date.now() - killedAt;

    const sandbox = await db('sandbox_payouts').whereIn('payout_id', ids).select('payout_id', 'calls');
    expect(sandbox, 'one payment per payout at the provider').toHaveLength(PAYOUTS);
    for (const row of sandbox) expect(row.calls, `calls for ${row.payout_id}`).toBeGreaterThanOrEqual(2);
    const paidOut = await db('transfers').whereIn('instance_id', ids).where({ kind: 'payout' }).select('instance_id');
    expect(paidOut.map((t) => t.instance_id).sort(), 'one payout transfer per payout').toEqual([...ids].sort());
    for (const owner of owners) {
      const res = await svc.http.get(`/v1/accounts/${owner}`);
      expect(res.body.balances[0]).toMatchObject({ available: '7500', held: '0' });
    }
    await assertLedgerInvariants(db);
    const external = await db('accounts').where({ id: 'external:USD' }).first('balance');
    // Deposits took 10000 each from external; the payouts gave back exactly one AMOUNT each.
    expect(external.balance).toBe(BigInt(-PAYOUTS * (10_000 - Number(AMOUNT))));
    console.log(
      `[payout crash] payouts=${PAYOUTS} provider calls before the kill=${PAYOUTS} ` +
        `calls in all=${sandbox.reduce((n, r) => n + Number(r.calls), 0)} payments=${sandbox.length} ` +
        `payout transfers=${paidOut.length} paid twice=0 recovery after kill=${(recoveryMs / 1000).toFixed(1)}s` +
        `\n${workers.unexpectedExits.join('\n')}`,
    );
    expect(workers.unexpectedExits).toEqual([]);
  }, 120_000);
});
