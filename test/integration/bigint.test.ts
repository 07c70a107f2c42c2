import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, projectInProgress, uid, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

const MAX = '9223372036854775807'; // 2^63 - 1, the largest bigint Postgres holds

describe('money at the bigint edge', () => {
  let svc: TestService;
  beforeAll(async () => {
    // Deposits up to what the ledger holds (DEPOSIT_MAX is a lower sanity bound by default).
    svc = await startTestService({ DEPOSIT_MAX: MAX });
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('round-trips 2^63-1 through API → machine → database → settlement job exactly', async () => {
    const p = await projectInProgress(svc.http, 'JPY');
    await deposit(svc.http, p.employer, MAX, 'JPY');
    const created = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: MAX,
      description: 'big',
    });
    expect(created.body.amount).toBe(MAX);
    const funded = await waitSettled(svc.http, created.body.id);
    expect(funded).toMatchObject({ state: 'in_progress', remainingAmount: MAX });
    expect((await svc.http.get(`/v1/accounts/${p.employer}`)).body.balances).toEqual([
      { currency: 'JPY', currencyExponent: 0, available: '0', held: MAX },
    ]);

    await svc.http.post(`/v1/milestones/${created.body.id}/events`, {
      type: 'RELEASE',
      actor: p.employer,
      amount: '1',
    });
    const afterOne = await waitSettled(svc.http, created.body.id);
    expect(afterOne).toMatchObject({ releasedAmount: '1', remainingAmount: '9223372036854775806' });
    await svc.http.post(`/v1/milestones/${created.body.id}/events`, { type: 'RELEASE', actor: p.employer });
    expect(await waitSettled(svc.http, created.body.id)).toMatchObject({
      state: 'released',
      releasedAmount: MAX,
      remainingAmount: '0',
    });
    expect((await svc.http.get(`/v1/accounts/${p.freelancer}`)).body.balances).toEqual([
      { currency: 'JPY', currencyExponent: 0, available: MAX, held: '0' },
    ]);
    expect((await svc.http.get(`/v1/projects/${p.projectId}`)).body.milestones.releasedTotal).toBe(MAX);
  });

  it('refuses a deposit that would overflow a balance with 422 naming the cause, and moves nothing', async () => {
    const owner = uid('rich');
    await deposit(svc.http, owner, MAX, 'CHF');
    const res = await svc.http.post(`/v1/accounts/${owner}/deposits`, { currency: 'CHF', amount: '1' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'guard_failed',
      rule: 'balance_limit',
      details: { currency: 'CHF', max: MAX },
    });
    expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances).toEqual([
      { currency: 'CHF', currencyExponent: 2, available: MAX, held: '0' },
    ]);
  });
});
