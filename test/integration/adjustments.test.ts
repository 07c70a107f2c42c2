import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Four-eyes adjustments: docs/api.md "Adjustments" end to end over HTTP, every route and error code.
describe('adjustments', () => {
  let svc: TestService;
  /** Support staff's two API clients: one proposes, the other decides. */
  let proposer: HttpClient;
  let approver: HttpClient;
  beforeAll(async () => {
    svc = await startTestService();
    proposer = await svc.clientWith(['support', 'read']);
    approver = await svc.clientWith(['support', 'read']);
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  const propose = (owner: string, amount: string, extra: Record<string, unknown> = {}) =>
    proposer.post('/v1/adjustments', {
      ownerId: owner,
      currency: 'USD',
      amount,
      reason: 'Refund of a duplicate fee',
      actor: 'agent-ann',
      ...extra,
    });
  const decide = (client: HttpClient, id: string, type: string, actor = 'agent-bob', extra = {}) =>
    client.post(`/v1/adjustments/${id}/events`, { type, actor, ...extra });
  const available = async (owner: string) => {
    const res = await svc.http.get(`/v1/accounts/${owner}`);
    return res.body.balances.find((b: { currency: string }) => b.currency === 'USD')?.available ?? '0';
  };
  const adjustmentsBalance = async () =>
    String((await svc.db('accounts').where({ id: 'adjustments:USD' }).first())?.balance ?? 0n);

  it('proposes (201, nothing moves) and shows who proposed, through which client', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '1000');
    const res = await propose(owner, '2500');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const proposerId = (await svc.db('history').where({ instance_id: res.body.id, seq: 1 }).first()).client_id;
    expect(res.body).toMatchObject({
      ownerId: owner,
      currency: 'USD',
      currencyExponent: 2,
      amount: '2500',
      reason: 'Refund of a duplicate fee',
      state: 'proposed',
      seq: 1,
      machine: { name: 'adjustment', version: 1 },
      deadlines: [],
      proposedBy: { actor: 'agent-ann', client: proposerId },
      decidedBy: null,
    });
    expect(proposerId).toMatch(/\S/);
    expect([...res.body.allowedEvents].sort()).toEqual(['APPROVE', 'REJECT']);
    expect(await available(owner)).toBe('1000');
    expect((await svc.http.get(`/v1/adjustments/${res.body.id}`)).body).toEqual(res.body);
  });

  it('APPROVE of a positive adjustment by another actor and client credits available from adjustments', async () => {
    const owner = uid('own');
    const { body } = await propose(owner, '2500');
    const before = BigInt(await adjustmentsBalance());
    const res = await decide(approver, body.id, 'APPROVE');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ state: 'applied', seq: 2, allowedEvents: [], decidedBy: { actor: 'agent-bob' } });
    expect(await available(owner)).toBe('2500');
    expect(BigInt(await adjustmentsBalance())).toBe(before - 2500n);
    const transfers = await svc.db('transfers').where({ instance_id: body.id });
    expect(transfers.map((t) => [t.kind, t.debit_account_id, t.credit_account_id, String(t.amount), t.seq])).toEqual([
      ['adjustment', 'adjustments:USD', `available:USD:${owner}`, '2500', 2],
    ]);
  });

  it('APPROVE of a negative adjustment debits available into adjustments; shown in the statement', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '1000');
    const { body } = await propose(owner, '-400');
    expect(body.amount).toBe('-400');
    expect((await decide(approver, body.id, 'APPROVE')).status).toBe(200);
    expect(await available(owner)).toBe('600');
    const statement = await svc.http.get(`/v1/accounts/${owner}/statement?currency=USD`);
    expect(statement.status).toBe(200);
    expect(statement.body.entries.at(-1)).toMatchObject({
      kind: 'adjustment',
      amount: '-400',
      balanceAfter: '600',
      instanceId: body.id,
      seq: 2,
    });
  });

  it('refuses a negative adjustment larger than available at approval: 422 insufficient_funds, nothing changes', async () => {
    const owner = uid('own');
    await deposit(svc.http, owner, '300');
    const { body } = await propose(owner, '-301');
    const before = await adjustmentsBalance();
    const res = await decide(approver, body.id, 'APPROVE');
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'guard_failed',
      rule: 'insufficient_funds',
      details: { required: '301', available: '300' },
    });
    expect(await available(owner)).toBe('300');
    expect(await adjustmentsBalance()).toBe(before);
    expect((await svc.http.get(`/v1/adjustments/${body.id}`)).body).toMatchObject({ state: 'proposed', seq: 1 });
    expect(await svc.db('history').where({ instance_id: body.id })).toHaveLength(1);
  });

  it('REJECT by another actor and client moves nothing', async () => {
    const owner = uid('own');
    const { body } = await propose(owner, '700');
    const res = await decide(approver, body.id, 'REJECT', 'agent-bob', { reason: 'no duplicate found' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ state: 'rejected', rejectionReason: 'no duplicate found', allowedEvents: [] });
    expect(await available(owner)).toBe('0');
    expect(await svc.db('transfers').where({ instance_id: body.id })).toHaveLength(0);
  });

  it('four eyes: 403 for the proposing actor, and for another actor through the proposing client', async () => {
    const owner = uid('own');
    const { body } = await propose(owner, '900');
    const sameActor = await decide(approver, body.id, 'APPROVE', 'agent-ann');
    expect(sameActor.status).toBe(403);
    expect(sameActor.body.error).toMatchObject({ code: 'forbidden', rule: 'four_eyes_actor' });
    const sameClient = await decide(proposer, body.id, 'APPROVE', 'agent-bob');
    expect(sameClient.status).toBe(403);
    expect(sameClient.body.error).toMatchObject({ code: 'forbidden', rule: 'four_eyes_client' });
    const rejectSameClient = await decide(proposer, body.id, 'REJECT', 'agent-bob');
    expect(rejectSameClient.status).toBe(403);
    expect((await svc.http.get(`/v1/adjustments/${body.id}`)).body).toMatchObject({ state: 'proposed', seq: 1 });
    expect(await available(owner)).toBe('0');
  });

  it('403 without the support scope (propose and decide), and for the owner proposing for themselves', async () => {
    const owner = uid('own');
    const writer = await svc.clientWith(['events:write', 'read']);
    const noScope = await writer.post('/v1/adjustments', {
      ownerId: owner,
      currency: 'USD',
      amount: '1',
      reason: 'r',
      actor: 'agent-ann',
    });
    expect(noScope.status).toBe(403);
    expect(noScope.body.error).toMatchObject({ code: 'forbidden', requiredScope: 'support' });
    const self = await propose(owner, '100', { actor: owner });
    expect(self.status).toBe(403);
    const { body } = await propose(owner, '100');
    const decideNoScope = await decide(writer, body.id, 'APPROVE');
    expect(decideNoScope.status).toBe(403);
    expect(decideNoScope.body.error).toMatchObject({ code: 'forbidden', requiredScope: 'support' });
    expect(await svc.db('instances').where({ machine: 'adjustment', employer_id: owner })).toHaveLength(1);
  });

  it('400 for a bad amount, a zero amount, a missing or blank reason, an unknown field or currency', async () => {
    const owner = uid('own');
    for (const [amount, extra] of [
      ['12.5', {}],
      ['0', {}],
      ['-0', {}],
      ['--5', {}],
      ['+5', {}],
      ['99999999999999999999', {}],
      ['100', { reason: undefined }],
      ['100', { reason: '   ' }],
      ['100', { extra: 1 }],
      ['100', { currency: 'XXY' }],
    ] as const) {
      const res = await propose(owner, amount, extra);
      expect(res.status, `${amount} ${JSON.stringify(extra)}`).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect(await svc.db('instances').where({ machine: 'adjustment', employer_id: owner })).toHaveLength(0);
  });

  it('404 for an unknown adjustment; 409 when approved twice; 409 for a repeated id with another body', async () => {
    expect((await svc.http.get('/v1/adjustments/adj_nothing')).status).toBe(404);
    expect((await decide(approver, 'adj_nothing', 'APPROVE')).status).toBe(404);
    expect((await svc.http.get('/v1/adjustments/adj_nothing/history')).status).toBe(404);
    const owner = uid('own');
    const id = uid('adj');
    expect((await propose(owner, '50', { id })).status).toBe(201);
    expect((await propose(owner, '50', { id })).status).toBe(200);
    expect((await propose(owner, '51', { id })).status).toBe(409);
    expect((await decide(approver, id, 'APPROVE')).status).toBe(200);
    const twice = await decide(approver, id, 'APPROVE', 'agent-cy');
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({ code: 'invalid_transition', state: 'applied', allowedEvents: [] });
    expect(await available(owner)).toBe('50');
  });

  it('lists adjustments by owner and state, keyset paged', async () => {
    const owner = uid('own');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await propose(owner, '10')).body.id);
    await decide(approver, ids[1]!, 'APPROVE');
    const page1 = await svc.http.get(`/v1/adjustments?ownerId=${owner}&limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((a: { id: string }) => a.id)).toEqual(ids.slice(0, 2));
    const page2 = await svc.http.get(`/v1/adjustments?ownerId=${owner}&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toMatchObject({ nextCursor: null });
    expect(page2.body.items.map((a: { id: string }) => a.id)).toEqual([ids[2]]);
    const applied = await svc.http.get(`/v1/adjustments?ownerId=${owner}&state=applied`);
    expect(applied.body.items.map((a: { id: string }) => a.id)).toEqual([ids[1]]);
    const all = await svc.http.get('/v1/adjustments?state=proposed&limit=100');
    expect(all.body.items.map((a: { id: string }) => a.id)).toEqual(expect.arrayContaining([ids[0], ids[2]]));
    for (const bad of ['state=paid', 'limit=0', 'cursor=zz', 'ownerId=a%01b']) {
      expect((await svc.http.get(`/v1/adjustments?${bad}`)).status, bad).toBe(400);
    }
  });

  it('keeps a history with actors and clients, and replays to the stored snapshot', async () => {
    const owner = uid('own');
    const { body } = await propose(owner, '1200');
    await decide(approver, body.id, 'APPROVE');
    const history = await svc.http.get(`/v1/adjustments/${body.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.items).toMatchObject([
      { seq: 1, type: 'PROPOSE', actor: 'agent-ann', from: 'draft', to: 'proposed', transfers: [] },
      { seq: 2, type: 'APPROVE', actor: 'agent-bob', from: 'proposed', to: 'applied', transfers: [{ amount: '1200' }] },
    ]);
    const replay = await approver.get(`/v1/adjustments/${body.id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ matchesStored: true, firstDivergence: null, final: { state: 'applied' } });
  });
});
