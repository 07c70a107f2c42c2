import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { fundedMilestone, projectInProgress, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('concurrent events on one milestone', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('lets exactly one of 20 concurrent RELEASE/CANCEL win and moves the money once', async () => {
    const p = await projectInProgress(svc.http);
    const milestone = await fundedMilestone(svc.http, p, '10000');

    const attempts = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? svc.http.post(`/v1/milestones/${milestone.id}/events`, { type: 'RELEASE', actor: p.employer })
        : svc.http.post(`/v1/milestones/${milestone.id}/events`, { type: 'CANCEL', actor: p.freelancer }),
    );
    const results = await Promise.all(attempts);
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status !== 200);
    expect(winners).toHaveLength(1);
    for (const l of losers) {
      expect(l.status).toBe(409);
      expect(l.body.error.code).toBe('invalid_transition');
    }

    const final = await waitSettled(svc.http, milestone.id);
    const wonByRelease = winners[0]!.body.state === 'releasing';
    expect(final.state).toBe(wonByRelease ? 'released' : 'cancelled');

    const employer = (await svc.http.get(`/v1/accounts/${p.employer}`)).body.balances[0];
    const freelancer = (await svc.http.get(`/v1/accounts/${p.freelancer}`)).body.balances;
    if (wonByRelease) {
      expect(employer).toEqual({ currency: 'USD', currencyExponent: 2, available: '0', held: '0' });
      expect(freelancer).toEqual([{ currency: 'USD', currencyExponent: 2, available: '10000', held: '0' }]);
    } else {
      expect(employer).toEqual({ currency: 'USD', currencyExponent: 2, available: '10000', held: '0' });
      expect(freelancer).toEqual([]);
    }
    const history = (await svc.http.get(`/v1/milestones/${milestone.id}/history`)).body.items;
    expect(history.map((h: { type: string }) => h.type)).toEqual([
      'CREATE',
      'SETTLED',
      wonByRelease ? 'RELEASE' : 'CANCEL',
      'SETTLED',
    ]);
    const transfers = await svc.db('transfers').where({ instance_id: milestone.id });
    expect(transfers).toHaveLength(2);
  });

  it('serialises concurrent events with If-Match so only one writer at a seq succeeds', async () => {
    const p = await projectInProgress(svc.http);
    const milestone = await fundedMilestone(svc.http, p, '500');
    const seq = String(milestone.seq);
    const results = await Promise.all([
      svc.http.post(
        `/v1/milestones/${milestone.id}/events`,
        { type: 'REQUEST_RELEASE', actor: p.freelancer },
        { 'if-match': `"${seq}"` },
      ),
      svc.http.post(
        `/v1/milestones/${milestone.id}/events`,
        { type: 'REQUEST_CANCEL', actor: p.employer, reason: 'scope' },
        { 'if-match': `"${seq}"` },
      ),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe('version_conflict');
  });

  it('keeps the project counters exact under concurrent milestone creation', async () => {
    const p = await projectInProgress(svc.http);
    await svc.http.post(`/v1/accounts/${p.employer}/deposits`, { currency: 'USD', amount: '1000' });
    const created = await Promise.all(
      Array.from({ length: 10 }, () =>
        svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
          type: 'CREATE',
          actor: p.employer,
          amount: '100',
          description: 'part',
        }),
      ),
    );
    expect(created.map((c) => c.status)).toEqual(Array(10).fill(201));
    for (const c of created) expect((await waitSettled(svc.http, c.body.id)).state).toBe('in_progress');
    const project = (await svc.http.get(`/v1/projects/${p.projectId}`)).body;
    expect(project.milestones).toEqual({ pending: 10, releasedTotal: '0' });
    expect(project.seq).toBe(2 + 10);
  });
});
