import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import type { HttpClient } from '../support/http-client.js';
import { deposit, uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Payouts with the manual provider (the default): docs/api.md "Payouts" end to end over HTTP.
describe('payouts (manual provider)', () => {
  let svc: TestService;
  let support: HttpClient;
  beforeAll(async () => {
    svc = await startTestService();
    support = await svc.clientWith(['support', 'read']);
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  const destination = { kind: 'bank_account', reference: 'DE89370400440532013000' };
  const request = (owner: string, amount: string, extra: Record<string, unknown> = {}) =>
    svc.http.post(`/v1/accounts/${owner}/payouts`, { currency: 'USD', amount, destination, actor: owner, ...extra });
  const balance = async (owner: string) => {
    const res = await svc.http.get(`/v1/accounts/${owner}`);
    return res.body.balances.find((b: { currency: string }) => b.currency === 'USD');
  };

  it('holds the money at once: available goes down, held goes up, state requested', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '10000');
    const res = await request(owner, '2500');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      ownerId: owner,
      currency: 'USD',
      currencyExponent: 2,
      amount: '2500',
      destination,
      state: 'requested',
      seq: 1,
      machine: { name: 'payout', version: 1 },
      deadlines: [],
    });
    expect([...res.body.allowedEvents].sort()).toEqual(['CANCEL', 'MARK_FAILED', 'MARK_PAID']);
    expect(await balance(owner)).toMatchObject({ available: '7500', held: '2500' });
    const got = await svc.http.get(`/v1/payouts/${res.body.id}`);
    expect(got.body).toEqual(res.body);
  });

  it('refuses more than available with 422 insufficient_funds and changes nothing', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '1000');
    const id = uid('po');
    const res = await request(owner, '1001', { id });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'guard_failed',
      rule: 'insufficient_funds',
      details: { required: '1001', available: '1000' },
    });
    expect(await balance(owner)).toMatchObject({ available: '1000', held: '0' });
    expect((await svc.http.get(`/v1/payouts/${id}`)).status).toBe(404);
    expect(await svc.db('instances').where({ id }).first()).toBeUndefined();
  });

  it('refuses a payout whose actor is not the owner (403) and changes nothing', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '1000');
    const res = await request(owner, '500', { actor: uid('someone') });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(await balance(owner)).toMatchObject({ available: '1000', held: '0' });
  });

  it('refuses bad bodies with 400: bad money, unknown currency, missing destination, unknown field', async () => {
    const owner = uid('own');
    for (const body of [
      { currency: 'USD', amount: '12.5', destination, actor: owner },
      { currency: 'USD', amount: '0', destination, actor: owner },
      { currency: 'XXY', amount: '100', destination, actor: owner },
      { currency: 'USD', amount: '100', actor: owner },
      { currency: 'USD', amount: '100', destination: { kind: 'bank_account' }, actor: owner },
      { currency: 'USD', amount: '100', destination, actor: owner, extra: 1 },
    ]) {
      const res = await svc.http.post(`/v1/accounts/${owner}/payouts`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });

  it('repeats a create with the same id and body (200, the original) and refuses another body (409)', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '1000');
    const id = uid('po');
    const first = await request(owner, '300', { id });
    expect(first.status).toBe(201);
    const again = await request(owner, '300', { id });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);
    const other = await request(owner, '400', { id });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('conflict');
    expect(await balance(owner)).toMatchObject({ available: '700', held: '300' });
  });

  it('MARK_PAID by support pays it out: held money goes to the external account, reference kept', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '5000');
    const { body: payout } = await request(owner, '2000');
    const paid = await support.post(`/v1/payouts/${payout.id}/events`, {
      type: 'MARK_PAID',
      actor: 'agent-ann',
      reference: 'BANK-REF-1',
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body).toMatchObject({ state: 'paid', reference: 'BANK-REF-1', seq: 2, allowedEvents: [] });
    expect(await balance(owner)).toMatchObject({ available: '3000', held: '0' });
    const transfers = await svc.db('transfers').where({ instance_id: payout.id }).orderBy('seq');
    expect(transfers.map((t) => [t.kind, t.debit_account_id, t.credit_account_id, String(t.amount)])).toEqual([
      ['payout_hold', `available:USD:${owner}`, `payout-hold:USD:${owner}`, '2000'],
      ['payout', `payout-hold:USD:${owner}`, 'external:USD', '2000'],
    ]);
  });

  it('MARK_FAILED by support returns the money to available', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '5000');
    const { body: payout } = await request(owner, '2000');
    const failed = await support.post(`/v1/payouts/${payout.id}/events`, {
      type: 'MARK_FAILED',
      actor: 'agent-ann',
      reason: 'account closed',
    });
    expect(failed.status, JSON.stringify(failed.body)).toBe(200);
    expect(failed.body).toMatchObject({ state: 'failed', failureReason: 'account closed' });
    expect(await balance(owner)).toMatchObject({ available: '5000', held: '0' });
  });

  it('CANCEL by the owner while requested returns the money; then nothing more is allowed (409)', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '5000');
    const { body: payout } = await request(owner, '1500');
    const cancelled = await svc.http.post(`/v1/payouts/${payout.id}/events`, { type: 'CANCEL', actor: owner });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect(await balance(owner)).toMatchObject({ available: '5000', held: '0' });
    const again = await svc.http.post(`/v1/payouts/${payout.id}/events`, { type: 'CANCEL', actor: owner });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'invalid_transition', state: 'cancelled', allowedEvents: [] });
    const paid = await support.post(`/v1/payouts/${payout.id}/events`, {
      type: 'MARK_PAID',
      actor: 'agent-ann',
      reference: 'late',
    });
    expect(paid.status).toBe(409);
  });

  it('refuses CANCEL by anyone but the owner and MARK_PAID by the owner or without the support scope (403)', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '5000');
    const { body: payout } = await request(owner, '1500');
    const stranger = await svc.http.post(`/v1/payouts/${payout.id}/events`, { type: 'CANCEL', actor: uid('x') });
    expect(stranger.status).toBe(403);
    const ownMark = await svc.http.post(`/v1/payouts/${payout.id}/events`, {
      type: 'MARK_PAID',
      actor: owner,
      reference: 'self',
    });
    expect(ownMark.status).toBe(403);
    const writer = await svc.clientWith(['events:write', 'read']);
    const noScope = await writer.post(`/v1/payouts/${payout.id}/events`, {
      type: 'MARK_PAID',
      actor: 'agent-ann',
      reference: 'r',
    });
    expect(noScope.status).toBe(403);
    expect(noScope.body.error).toMatchObject({ code: 'forbidden', requiredScope: 'support' });
    const system = await svc.http.post(`/v1/payouts/${payout.id}/events`, { type: 'PROCESS', actor: owner });
    expect(system.status).toBe(403);
    expect((await svc.http.get(`/v1/payouts/${payout.id}`)).body).toMatchObject({ state: 'requested', seq: 1 });
  });

  it('refuses a bad MARK_PAID payload (400) and an unknown payout (404)', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '5000');
    const { body: payout } = await request(owner, '1500');
    const bad = await support.post(`/v1/payouts/${payout.id}/events`, { type: 'MARK_PAID', actor: 'agent-ann' });
    expect(bad.status).toBe(400);
    expect((await svc.http.get('/v1/payouts/po_nothing')).status).toBe(404);
    const missing = await support.post('/v1/payouts/po_nothing/events', {
      type: 'MARK_PAID',
      actor: 'agent-ann',
      reference: 'r',
    });
    expect(missing.status).toBe(404);
  });

  it('lists an owner’s payouts by state, keyset paged', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '5000');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await request(owner, '100')).body.id);
    await svc.http.post(`/v1/payouts/${ids[1]}/events`, { type: 'CANCEL', actor: owner });
    const page1 = await svc.http.get(`/v1/accounts/${owner}/payouts?limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((p: { id: string }) => p.id)).toEqual(ids.slice(0, 2));
    const page2 = await svc.http.get(`/v1/accounts/${owner}/payouts?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toMatchObject({ nextCursor: null });
    expect(page2.body.items.map((p: { id: string }) => p.id)).toEqual([ids[2]]);
    const requested = await svc.http.get(`/v1/accounts/${owner}/payouts?state=requested`);
    expect(requested.body.items.map((p: { id: string }) => p.id)).toEqual([ids[0], ids[2]]);
    const cancelled = await svc.http.get(`/v1/accounts/${owner}/payouts?state=cancelled`);
    expect(cancelled.body.items.map((p: { id: string }) => p.id)).toEqual([ids[1]]);
    for (const bad of ['state=disputed', 'limit=0', 'cursor=zz', 'limit=0x5']) {
      const res = await svc.http.get(`/v1/accounts/${owner}/payouts?${bad}`);
      expect(res.status, bad).toBe(400);
    }
  });

  it('keeps a history with actor, client and transfers, and replays to the stored snapshot', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '5000');
    const { body: payout } = await request(owner, '1200');
    await support.post(`/v1/payouts/${payout.id}/events`, { type: 'MARK_PAID', actor: 'agent-ann', reference: 'R' });
    const history = await svc.http.get(`/v1/payouts/${payout.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.items).toMatchObject([
      { seq: 1, type: 'REQUEST', actor: owner, from: 'draft', to: 'requested', transfers: [{ amount: '1200' }] },
      { seq: 2, type: 'MARK_PAID', actor: 'agent-ann', from: 'requested', to: 'paid', transfers: [{ amount: '1200' }] },
    ]);
    const replay = await support.get(`/v1/payouts/${payout.id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ matchesStored: true, firstDivergence: null, final: { state: 'paid' } });
    const toOne = await support.get(`/v1/payouts/${payout.id}/replay?to=1`);
    expect(toOne.body.final.state).toBe('requested');
  });
});
