import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { fundedMilestone, projectInProgress, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Time travel for test deployments (ALLOW_TIME_TRAVEL): an admin fires an instance's armed timers now, through
// the timers worker's own transaction, so a dispute deadline days away passes in a request.
describe('POST /v1/admin/instances/:id/fire-timers', () => {
  let svc: TestService;
  let off: TestService;
  beforeAll(async () => {
    // The configured deadlines are days long: nothing fires on its own during this test.
    svc = await startTestService({ ALLOW_TIME_TRAVEL: '1', DISPUTE_FREELANCER_RESPONSE_MS: String(3 * 86_400_000) });
    off = await startTestService({}, { workers: false });
  });
  afterAll(async () => {
    await svc?.stop();
    await off?.stop();
  });

  const fire = (id: string, body: object = {}) => svc.http.post(`/v1/admin/instances/${id}/fire-timers`, body);

  it('fires a days-away deadline now, as the timer worker would, once, recording the admin client', async () => {
    const p = await projectInProgress(svc.http);
    const { id } = await fundedMilestone(svc.http, p, '100');
    const opened = await svc.http.post(`/v1/milestones/${id}/events`, {
      type: 'OPEN_DISPUTE',
      actor: p.employer,
      reason: 'Nothing delivered',
      offer: '100',
    });
    expect(opened.body.state).toEqual({ disputed: 'awaiting_response' });

    const fired = await fire(id, { event: 'RESPONSE_TIMEOUT' });
    expect(fired.status, JSON.stringify(fired.body)).toBe(200);
    expect(fired.body).toEqual({
      instanceId: id,
      timers: [{ timerId: expect.any(String), event: 'RESPONSE_TIMEOUT', outcome: 'fired' }],
    });
    // The filer's offer is settled, as when the deadline passes on its own.
    expect((await waitSettled(svc.http, id)).state).toBe('resolved');
    const history = (await svc.http.get(`/v1/milestones/${id}/history`)).body.items;
    const timeout = history.find((h: { type: string }) => h.type === 'RESPONSE_TIMEOUT');
    expect(timeout).toMatchObject({
      role: 'system',
      from: { disputed: 'awaiting_response' },
      to: 'resolving',
      payload: { timerId: fired.body.timers[0].timerId },
      client: { id: expect.stringMatching(/^cli_/) },
    });
    const timer = await svc.db('timers').where({ id: fired.body.timers[0].timerId }).first('status');
    expect(timer.status).toBe('fired');

    const seq = (await svc.http.get(`/v1/milestones/${id}`)).body.seq;
    expect((await fire(id)).body.timers).toEqual([]);
    expect((await svc.http.get(`/v1/milestones/${id}`)).body.seq).toBe(seq);
    await assertLedgerInvariants(svc.db);
  });

  it('fires only the named event, and nothing for an instance without armed timers', async () => {
    const p = await projectInProgress(svc.http);
    const { id } = await fundedMilestone(svc.http, p, '100');
    expect((await fire(id, { event: 'RESPONSE_TIMEOUT' })).body.timers).toEqual([]);
    expect((await fire(p.projectId)).body).toEqual({ instanceId: p.projectId, timers: [] });
    expect((await fire('no-such-instance')).status).toBe(404);
    const bad = await fire(id, { event: 'release; drop' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
  });

  it('needs the admin scope', async () => {
    const reader = await svc.clientWith(['read', 'events:write', 'support']);
    const res = await reader.post('/v1/admin/instances/anything/fire-timers', {});
    expect(res.status).toBe(403);
  });

  it('is absent unless ALLOW_TIME_TRAVEL is on, and a production deployment refuses to start with it', async () => {
    const res = await off.http.post('/v1/admin/instances/anything/fire-timers', {});
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found', details: { timeTravel: 'off' } });
    expect(() => loadConfig({ ...process.env, ALLOW_TIME_TRAVEL: '1', NODE_ENV: 'production' })).toThrow(
      /ALLOW_TIME_TRAVEL: must be off when NODE_ENV=production/,
    );
    expect(loadConfig({ ...process.env, ALLOW_TIME_TRAVEL: 'true', NODE_ENV: 'test' }).ALLOW_TIME_TRAVEL).toBe(true);
    expect(loadConfig({ ...process.env, ALLOW_TIME_TRAVEL: undefined }).ALLOW_TIME_TRAVEL).toBe(false);
  });
});
