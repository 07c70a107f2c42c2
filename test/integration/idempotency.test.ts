import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { fundedMilestone, projectInProgress, uid, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('Idempotency-Key', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('returns the original status and body for a retried deposit and moves the money once', async () => {
    const owner = uid('own');
    const key = { 'idempotency-key': uid('dep') };
    const first = await svc.http.post(`/v1/accounts/${owner}/deposits`, { currency: 'EUR', amount: '500' }, key);
    const again = await svc.http.post(`/v1/accounts/${owner}/deposits`, { currency: 'EUR', amount: '500' }, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances).toEqual([
      { currency: 'EUR', currencyExponent: 2, available: '500', held: '0' },
    ]);
  });

  it('returns the original reply for a retried event even after the instance moved on', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '800');
    const key = { 'idempotency-key': uid('rel') };
    const first = await svc.http.post(
      `/v1/milestones/${m.id}/events`,
      { type: 'RELEASE', actor: p.employer, amount: '300' },
      key,
    );
    expect(first.status).toBe(200);
    await waitSettled(svc.http, m.id);
    const again = await svc.http.post(
      `/v1/milestones/${m.id}/events`,
      { type: 'RELEASE', actor: p.employer, amount: '300' },
      key,
    );
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await svc.http.get(`/v1/milestones/${m.id}`)).body.releasedAmount).toBe('300');
    const releases = (await svc.http.get(`/v1/milestones/${m.id}/history`)).body.items.filter(
      (h: { type: string }) => h.type === 'RELEASE',
    );
    expect(releases).toHaveLength(1);
  });

  it('does the work once when the same key arrives concurrently', async () => {
    const owner = uid('own');
    const key = { 'idempotency-key': uid('par') };
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        svc.http.post(`/v1/accounts/${owner}/deposits`, { currency: 'EUR', amount: '10' }, key),
      ),
    );
    expect(new Set(replies.map((r) => r.body.transferId)).size).toBe(1);
    expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances[0].available).toBe('10');
  });

  it('refuses the same key with a different body (422) and changes nothing', async () => {
    const owner = uid('own');
    const key = { 'idempotency-key': uid('k') };
    await svc.http.post(`/v1/accounts/${owner}/deposits`, { currency: 'EUR', amount: '10' }, key);
    const reuse = await svc.http.post(`/v1/accounts/${owner}/deposits`, { currency: 'EUR', amount: '11' }, key);
    expect(reuse.status).toBe(422);
    expect(reuse.body.error.code).toBe('idempotency_key_reuse');
    expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances[0].available).toBe('10');
  });

  it('does not record refusals: a retry after the cause is fixed runs', async () => {
    const p = await projectInProgress(svc.http);
    const key = { 'idempotency-key': uid('k') };
    const body = { type: 'COMPLETE', actor: p.employer };
    const m = await fundedMilestone(svc.http, p, '10');
    const refused = await svc.http.post(`/v1/projects/${p.projectId}/events`, body, key);
    expect(refused.status).toBe(422);
    await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer });
    await waitSettled(svc.http, m.id);
    const done = await svc.http.post(`/v1/projects/${p.projectId}/events`, body, key);
    expect(done.status).toBe(200);
    expect(done.body.state).toBe('completed');
  });

  it('refuses keys longer than 200 characters', async () => {
    const res = await svc.http.post(
      `/v1/accounts/${uid('o')}/deposits`,
      { currency: 'EUR', amount: '1' },
      { 'idempotency-key': 'k'.repeat(201) },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });
});
