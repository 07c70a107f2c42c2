import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, fundedMilestone, projectInProgress, uid, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('project and milestone lifecycles over HTTP', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  const projectEvent = (id: string, body: object) => svc.http.post(`/v1/projects/${id}/events`, body);
  const milestoneEvent = (id: string, body: object) => svc.http.post(`/v1/milestones/${id}/events`, body);

  it('runs a freelancer request through accept, funding and full release, then completes with feedback', async () => {
    const p = await projectInProgress(svc.http);
    await deposit(svc.http, p.employer, '3000');
    const requested = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'REQUEST',
      actor: p.freelancer,
      amount: '3000',
      description: 'Backend',
    });
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({
      state: 'requested',
      allowedEvents: ['ACCEPT_REQUEST', 'REJECT_REQUEST', 'DELETE_REQUEST'],
    });
    expect((await milestoneEvent(requested.body.id, { type: 'ACCEPT_REQUEST', actor: p.employer })).body.state).toBe(
      'funding',
    );
    expect((await waitSettled(svc.http, requested.body.id)).state).toBe('in_progress');

    const asked = await milestoneEvent(requested.body.id, { type: 'REQUEST_RELEASE', actor: p.freelancer });
    expect(asked.body.flags).toEqual({ releaseRequested: true, cancelRequested: false });
    await milestoneEvent(requested.body.id, { type: 'RELEASE', actor: p.employer });
    expect(await waitSettled(svc.http, requested.body.id)).toMatchObject({
      state: 'released',
      flags: { releaseRequested: false },
    });

    const completed = await projectEvent(p.projectId, { type: 'COMPLETE', actor: p.employer });
    expect(completed.body).toMatchObject({
      state: 'completed',
      milestones: { pending: 0, releasedTotal: '3000' },
      allowedEvents: ['LEAVE_FEEDBACK'],
    });
    await projectEvent(p.projectId, { type: 'LEAVE_FEEDBACK', actor: p.employer, rating: 5, comment: 'Great' });
    const both = await projectEvent(p.projectId, { type: 'LEAVE_FEEDBACK', actor: p.freelancer, rating: 4 });
    expect(both.body.feedback).toEqual([
      { role: 'employer', actor: p.employer, rating: 5, comment: 'Great' },
      { role: 'freelancer', actor: p.freelancer, rating: 4, comment: null },
    ]);
    const twice = await projectEvent(p.projectId, { type: 'LEAVE_FEEDBACK', actor: p.freelancer, rating: 1 });
    expect(twice.status).toBe(422);
    expect(twice.body.error.code).toBe('guard_failed');
  });

  it('refuses COMPLETE while a milestone is pending and CANCEL_PROJECT after money was released', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '200');
    expect((await projectEvent(p.projectId, { type: 'COMPLETE', actor: p.employer })).body.error.code).toBe(
      'guard_failed',
    );
    expect((await projectEvent(p.projectId, { type: 'CANCEL_PROJECT', actor: p.employer })).body.error.code).toBe(
      'guard_failed',
    );
    await milestoneEvent(m.id, { type: 'RELEASE', actor: p.employer, amount: '50' });
    await waitSettled(svc.http, m.id);
    await milestoneEvent(m.id, { type: 'CANCEL', actor: p.freelancer });
    expect((await waitSettled(svc.http, m.id)).state).toBe('cancelled');
    expect((await projectEvent(p.projectId, { type: 'CANCEL_PROJECT', actor: p.employer })).body.error.code).toBe(
      'guard_failed',
    );
    const incomplete = await projectEvent(p.projectId, { type: 'MARK_INCOMPLETE', actor: p.employer });
    expect(incomplete.body).toMatchObject({ state: 'incomplete', milestones: { pending: 0, releasedTotal: '50' } });
  });

  it('cancels a project with nothing pending or released, and then refuses new milestones', async () => {
    const p = await projectInProgress(svc.http);
    const requested = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'REQUEST',
      actor: p.freelancer,
      amount: '10',
      description: 'x',
    });
    expect((await milestoneEvent(requested.body.id, { type: 'DELETE_REQUEST', actor: p.freelancer })).body.state).toBe(
      'deleted',
    );
    expect((await projectEvent(p.projectId, { type: 'CANCEL_PROJECT', actor: p.employer })).body.state).toBe(
      'cancelled',
    );
    const late = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '10',
      description: 'late',
    });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'invalid_transition', state: 'cancelled' });
  });

  it('refuses to accept a milestone request once the project is completed', async () => {
    const p = await projectInProgress(svc.http);
    const requested = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'REQUEST',
      actor: p.freelancer,
      amount: '10',
      description: 'x',
    });
    expect((await projectEvent(p.projectId, { type: 'COMPLETE', actor: p.employer })).body.state).toBe('completed');
    const accept = await milestoneEvent(requested.body.id, { type: 'ACCEPT_REQUEST', actor: p.employer });
    expect(accept.status).toBe(409);
    expect((await svc.http.get(`/v1/milestones/${requested.body.id}`)).body).toMatchObject({
      state: 'requested',
      seq: 1,
    });
    expect((await milestoneEvent(requested.body.id, { type: 'REJECT_REQUEST', actor: p.employer })).body.state).toBe(
      'rejected',
    );
  });

  it('lets the freelancer reject an award, after which the project can be awarded again', async () => {
    const employer = uid('emp');
    const created = await svc.http.post('/v1/projects', { employerId: employer, title: 'T', currency: 'USD' });
    await projectEvent(created.body.id, { type: 'AWARD', actor: employer, freelancerId: 'first' });
    const rejected = await projectEvent(created.body.id, { type: 'REJECT_AWARD', actor: 'first' });
    expect(rejected.body).toMatchObject({ state: 'open', freelancerId: null });
    const self = await projectEvent(created.body.id, { type: 'AWARD', actor: employer, freelancerId: employer });
    expect(self.body.error.code).toBe('guard_failed');
    expect(
      (await projectEvent(created.body.id, { type: 'AWARD', actor: employer, freelancerId: 'second' })).body
        .freelancerId,
    ).toBe('second');
    const history = (await svc.http.get(`/v1/projects/${created.body.id}/history`)).body.items;
    expect(history.map((h: { type: string; actor: string }) => `${h.type}/${h.actor}`)).toEqual([
      `AWARD/${employer}`,
      'REJECT_AWARD/first',
      `AWARD/${employer}`,
    ]);
  });

  it('handles cancel requests: flag, rejection, then the freelancer cancels', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '90');
    const asked = await milestoneEvent(m.id, { type: 'REQUEST_CANCEL', actor: p.employer, reason: 'Scope changed' });
    expect(asked.body).toMatchObject({ flags: { cancelRequested: true }, cancelReason: 'Scope changed' });
    expect(
      (await milestoneEvent(m.id, { type: 'REJECT_CANCEL', actor: p.freelancer })).body.flags.cancelRequested,
    ).toBe(false);
    await milestoneEvent(m.id, { type: 'CANCEL', actor: p.freelancer });
    expect((await waitSettled(svc.http, m.id)).state).toBe('cancelled');
    expect((await svc.http.get(`/v1/accounts/${p.employer}`)).body.balances).toEqual([
      { currency: 'USD', currencyExponent: 2, available: '90', held: '0' },
    ]);
    await eventually(async () => {
      const inbox = (await svc.http.get(`/v1/users/${p.freelancer}/notifications`)).body.items.map(
        (n: { type: string }) => n.type,
      );
      expect(inbox).toEqual(
        expect.arrayContaining(['project.awarded', 'milestone.funded', 'milestone.cancel_requested']),
      );
    });
  });

  it('lists milestones by project, state and party with cursor pagination', async () => {
    const p = await projectInProgress(svc.http);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
        type: 'REQUEST',
        actor: p.freelancer,
        amount: '1',
        description: `r${i}`,
      });
      ids.push(r.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await svc.http.get(
        `/v1/milestones?projectId=${p.projectId}&state=requested&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((m) => m.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect((await svc.http.get(`/v1/milestones?party=${p.employer}&limit=200`)).body.items).toHaveLength(5);
    expect((await svc.http.get(`/v1/milestones?projectId=${p.projectId}&state=released`)).body.items).toEqual([]);
    expect((await svc.http.get('/v1/milestones?limit=0')).status).toBe(400);
  });

  it('marks notifications read and filters unread', async () => {
    const p = await projectInProgress(svc.http);
    const items = await eventually(async () => {
      const inbox = await svc.http.get(`/v1/users/${p.freelancer}/notifications?unread=true`);
      expect(inbox.body.items).toHaveLength(1);
      return inbox.body.items as { id: string }[];
    });
    const read = await svc.http.post(`/v1/users/${p.freelancer}/notifications/read`, { ids: items.map((i) => i.id) });
    expect(read.body).toEqual({ marked: 1 });
    expect((await svc.http.get(`/v1/users/${p.freelancer}/notifications?unread=true`)).body.items).toEqual([]);
    const all = (await svc.http.get(`/v1/users/${p.freelancer}/notifications`)).body.items;
    expect(all[0].readAt).not.toBeNull();
  });

  it('returns the milestone as it is when ?wait=settled times out', async () => {
    const p = await projectInProgress(svc.http);
    // Created without workers able to finish it in time: a zero timeout answers immediately.
    const created = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '1',
      description: 'x',
    });
    const res = await svc.http.get(`/v1/milestones/${created.body.id}?wait=settled&timeoutMs=0`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(created.body.id);
    expect((await svc.http.get(`/v1/milestones/${created.body.id}?wait=settled&timeoutMs=30001`)).status).toBe(400);
    await waitSettled(svc.http, created.body.id);
  });
});
