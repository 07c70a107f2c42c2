import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { uid, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// The README's worked example, step by step, through the real API, workers, Postgres and Redis.
describe('README worked example', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('deposit → project → award → accept → milestone → release half → cancel the rest', async () => {
    const { http } = svc;
    const employer = uid('alice');
    const freelancer = uid('bob');
    const projectId = uid('site');

    const dep = await http.post(`/v1/accounts/${employer}/deposits`, { currency: 'USD', amount: '100000' });
    expect(dep.status).toBe(201);
    expect(dep.body.balance).toBe('100000');

    const project = await http.post('/v1/projects', {
      id: projectId,
      employerId: employer,
      title: 'Website',
      currency: 'USD',
    });
    expect(project.status).toBe(201);
    expect(project.body).toMatchObject({ id: projectId, state: 'open', freelancerId: null, seq: 0 });

    const awarded = await http.post(`/v1/projects/${projectId}/events`, {
      type: 'AWARD',
      actor: employer,
      freelancerId: freelancer,
    });
    expect(awarded.body).toMatchObject({ state: 'awarded', freelancerId: freelancer, seq: 1 });
    const accepted = await http.post(`/v1/projects/${projectId}/events`, { type: 'ACCEPT_AWARD', actor: freelancer });
    expect(accepted.body).toMatchObject({ state: 'in_progress', seq: 2 });

    const created = await http.post(`/v1/projects/${projectId}/milestones`, {
      id: `${projectId}-m1`,
      type: 'CREATE',
      actor: employer,
      amount: '50000',
      description: 'Design',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      state: 'funding',
      amount: '50000',
      employerId: employer,
      freelancerId: freelancer,
    });
    const milestoneId = created.body.id;

    const funded = await waitSettled(http, milestoneId);
    expect(funded).toMatchObject({ state: 'in_progress', remainingAmount: '50000' });
    expect((await http.get(`/v1/accounts/${employer}`)).body.balances).toEqual([
      { currency: 'USD', currencyExponent: 2, available: '50000', held: '50000' },
    ]);
    expect((await http.get(`/v1/projects/${projectId}`)).body.milestones).toEqual({ pending: 1, releasedTotal: '0' });

    const release = await http.post(`/v1/milestones/${milestoneId}/events`, {
      type: 'RELEASE',
      actor: employer,
      amount: '25000',
    });
    expect(release.status).toBe(200);
    expect(release.body.state).toBe('releasing');
    const half = await waitSettled(http, milestoneId);
    expect(half).toMatchObject({ state: 'in_progress', releasedAmount: '25000', remainingAmount: '25000' });

    const cancel = await http.post(`/v1/milestones/${milestoneId}/events`, { type: 'CANCEL', actor: freelancer });
    expect(cancel.status).toBe(200);
    const cancelled = await waitSettled(http, milestoneId);
    expect(cancelled).toMatchObject({ state: 'cancelled', releasedAmount: '25000', allowedEvents: [] });

    expect((await http.get(`/v1/accounts/${employer}`)).body.balances).toEqual([
      { currency: 'USD', currencyExponent: 2, available: '75000', held: '0' },
    ]);
    expect((await http.get(`/v1/accounts/${freelancer}`)).body.balances).toEqual([
      { currency: 'USD', currencyExponent: 2, available: '25000', held: '0' },
    ]);
    expect((await http.get(`/v1/projects/${projectId}`)).body.milestones).toEqual({
      pending: 0,
      releasedTotal: '25000',
    });

    const history = await http.get(`/v1/milestones/${milestoneId}/history`);
    expect(
      history.body.items.map((h: { type: string; from: string; to: string }) => `${h.type}:${h.from}->${h.to}`),
    ).toEqual([
      'CREATE:draft->funding',
      'SETTLED:funding->in_progress',
      'RELEASE:in_progress->releasing',
      'SETTLED:releasing->in_progress',
      'CANCEL:in_progress->cancelling',
      'SETTLED:cancelling->cancelled',
    ]);
    const moved = history.body.items.flatMap((h: { transfers: { kind: string; amount: string }[] }) =>
      h.transfers.map((t) => `${t.kind}:${t.amount}`),
    );
    expect(moved).toEqual(['fund:50000', 'release:25000', 'refund:25000']);
    expect(history.body.items[2]).toMatchObject({
      actor: employer,
      payload: { amount: '25000' },
      machineVersion: created.body.machine.version,
    });
  });
});
