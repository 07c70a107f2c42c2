import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { payoutProviders } from '../../src/payouts/providers.js';
import { handOverPayout } from '../../workers/payout-handover.js';
import { eventually } from '../support/eventually.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// The payout worker and the sandbox provider (docs/money.md "Payouts"): a requested payout is moved to
// processing, handed to the provider keyed by its id, and the provider's asynchronous outcome is applied once.
const destination = { kind: 'bank_account', reference: 'NL91ABNA0417164300' };

async function requestPayout(svc: TestService, amount = '4000') {
  const owner = uid('own');
  await deposit(svc.http, owner, '10000');
  const res = await svc.http.post(`/v1/accounts/${owner}/payouts`, {
    currency: 'USD',
    amount,
    destination,
    actor: owner,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { owner, payout: res.body as { id: string; state: string; provider: string } };
}

async function moneyOf(svc: TestService, owner: string, payoutId: string) {
  const accounts = await svc.db('accounts').where({ owner_id: owner }).orderBy('id').select('id', 'balance');
  const transfers = await svc.db('transfers').where({ instance_id: payoutId }).orderBy('seq').select('kind', 'amount');
  const sandbox = await svc.db('sandbox_payouts').where({ payout_id: payoutId }).select('outcome', 'calls');
  return { accounts, transfers, sandbox };
}

async function waitForState(svc: TestService, id: string, state: string) {
  return eventually(async () => {
    const res = await svc.http.get(`/v1/payouts/${id}`);
    expect(res.body.state).toBe(state);
    return res.body;
  }, 20_000);
}

describe('payout worker with the sandbox provider', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ PAYOUT_PROVIDER: 'sandbox', PAYOUT_SANDBOX_CONFIRM_MS: '300' });
  });
  afterAll(async () => {
    await assertLedgerInvariants(svc.db);
    await svc?.stop();
  });

  it('hands a requested payout over, waits for the confirmation and pays it out once', async () => {
    const { owner, payout } = await requestPayout(svc);
    expect(payout).toMatchObject({ state: 'requested', provider: 'sandbox' });
    expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances[0]).toMatchObject({
      available: '6000',
      held: '4000',
    });
    const paid = await waitForState(svc, payout.id, 'paid');
    expect(paid.reference).toBe(`sbx_${payout.id}`);
    const history = (await svc.http.get(`/v1/payouts/${payout.id}/history`)).body.items;
    expect(history.map((h: { type: string; to: string }) => `${h.type}→${h.to}`)).toEqual([
      'REQUEST→requested',
      'PROCESS→processing',
      'PROVIDER_PAID→paid',
    ]);
    const money = await moneyOf(svc, owner, payout.id);
    expect(money.transfers).toEqual([
      { kind: 'payout_hold', amount: 4000n },
      { kind: 'payout', amount: 4000n },
    ]);
    // Asked at least twice (accepted, then confirmed after the delay), one payment.
    expect(money.sandbox).toHaveLength(1);
    expect(money.sandbox[0]).toMatchObject({ outcome: 'paid' });
    expect(money.sandbox[0]!.calls).toBeGreaterThanOrEqual(2);
    expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances[0]).toMatchObject({
      available: '6000',
      held: '0',
    });
  });
});

describe('payout worker: failures and timeouts', () => {
  let svc: TestService;
  beforeAll(async () => {
    // Every payout fails; the accepting call answers after 1.5 s, well past the worker's 300 ms timeout.
    svc = await startTestService({
      PAYOUT_PROVIDER: 'sandbox',
      PAYOUT_SANDBOX_CONFIRM_MS: '0',
      PAYOUT_SANDBOX_FAILURE_RATE: '1',
      PAYOUT_SANDBOX_LATENCY_MS: '1500',
      PAYOUT_PROVIDER_TIMEOUT_MS: '300',
    });
  });
  afterAll(async () => {
    await assertLedgerInvariants(svc.db);
    await svc?.stop();
  });

  it('retries a call that timed out, finds the provider’s first answer, and returns a failed payout’s money', async () => {
    const { owner, payout } = await requestPayout(svc);
    const failed = await waitForState(svc, payout.id, 'failed');
    expect(failed.failureReason).toBe('declined by the sandbox provider');
    const money = await moneyOf(svc, owner, payout.id);
    expect(money.transfers).toEqual([
      { kind: 'payout_hold', amount: 4000n },
      { kind: 'payout_return', amount: 4000n },
    ]);
    // The first call timed out after recording the payout; the retry answered from that record.
    expect(money.sandbox).toEqual([{ outcome: 'failed', calls: 2 }]);
    expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances[0]).toMatchObject({
      available: '10000',
      held: '0',
    });
  });
});

describe('payout worker: deliveries of one job (no worker running)', () => {
  let svc: TestService;
  const deps = () => ({
    db: svc.db,
    log: createLogger('silent'),
    providers: payoutProviders(svc.db, svc.config),
    timeoutMs: 5_000,
  });
  const outboxOf = async (payoutId: string) =>
    String((await svc.db('outbox').where({ instance_id: payoutId, topic: 'payout' }).first('id')).id);
  beforeAll(async () => {
    svc = await startTestService({ PAYOUT_PROVIDER: 'sandbox', PAYOUT_SANDBOX_CONFIRM_MS: '0' }, { workers: false });
  });
  afterAll(async () => {
    await assertLedgerInvariants(svc.db);
    await svc?.stop();
  });

  it('a job delivered twice, one after the other, pays once; the second delivery changes nothing', async () => {
    const { owner, payout } = await requestPayout(svc);
    const outboxId = await outboxOf(payout.id);
    expect(await handOverPayout(deps(), outboxId)).toEqual({ outcome: 'paid', payoutId: payout.id });
    const before = await moneyOf(svc, owner, payout.id);
    expect(await handOverPayout(deps(), outboxId)).toEqual({ outcome: 'done', payoutId: payout.id });
    expect(await moneyOf(svc, owner, payout.id)).toEqual(before);
    expect(before.sandbox).toEqual([{ outcome: 'paid', calls: 1 }]);
    expect((await svc.http.get(`/v1/payouts/${payout.id}`)).body).toMatchObject({ state: 'paid', seq: 3 });
  });

  it('a job delivered twice at once pays once: one delivery applies the outcome, the other finds it done', async () => {
    const { owner, payout } = await requestPayout(svc);
    const outboxId = await outboxOf(payout.id);
    const results = await Promise.all([handOverPayout(deps(), outboxId), handOverPayout(deps(), outboxId)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['done', 'paid']);
    const money = await moneyOf(svc, owner, payout.id);
    expect(money.transfers).toEqual([
      { kind: 'payout_hold', amount: 4000n },
      { kind: 'payout', amount: 4000n },
    ]);
    expect(money.sandbox).toHaveLength(1);
    expect((await svc.http.get(`/v1/payouts/${payout.id}`)).body).toMatchObject({ state: 'paid', seq: 3 });
  });

  it('refuses MARK_PAID on a payout the sandbox provider takes (422 manual_provider_only), nothing changes', async () => {
    const { payout } = await requestPayout(svc);
    const res = await svc.http.post(`/v1/payouts/${payout.id}/events`, {
      type: 'MARK_PAID',
      actor: 'agent-ann',
      reference: 'by hand',
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'guard_failed', rule: 'manual_provider_only' });
    expect((await svc.http.get(`/v1/payouts/${payout.id}`)).body).toMatchObject({ state: 'requested', seq: 1 });
  });

  it('a payout its owner cancelled before any worker took it is never handed over', async () => {
    const { owner, payout } = await requestPayout(svc);
    const cancelled = await svc.http.post(`/v1/payouts/${payout.id}/events`, { type: 'CANCEL', actor: owner });
    expect(cancelled.body.state).toBe('cancelled');
    const outboxId = await outboxOf(payout.id);
    expect(await handOverPayout(deps(), outboxId)).toEqual({ outcome: 'done', payoutId: payout.id });
    expect((await moneyOf(svc, owner, payout.id)).sandbox).toEqual([]);
    const row = await svc.db('outbox').where({ id: outboxId }).first('processed_at');
    expect(row.processed_at).not.toBeNull();
  });
});
