import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milestoneInDispute } from '../support/dispute-cases.js';
import { eventually } from '../support/eventually.js';
import type { HttpClient } from '../support/http-client.js';
import { fundedMilestone, projectInProgress, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

type Item = { id: string; state: unknown };
const ids = (body: { items: Item[] }) => body.items.map((m) => m.id);

/** Every page of a list, following nextCursor. */
async function allPages(http: HttpClient, path: string): Promise<{ ids: string[]; pages: number }> {
  const found: string[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: { status: number; body: { items: Item[]; nextCursor: string | null } } = await http.get(
      `${path}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    found.push(...ids(res.body));
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor);
  return { ids: found, pages };
}

describe('list API: filtered milestones and projects, keyset pages, stats', () => {
  let svc: TestService;
  let p: Parties;
  let other: Parties;
  const cases: Record<string, string> = {};

  beforeAll(async () => {
    svc = await startTestService({ ARBITRATION_FEE_DEFAULT: '50' });
    p = await projectInProgress(svc.http);
    other = await projectInProgress(svc.http);
    cases.inProgress = (await fundedMilestone(svc.http, p, '100')).id;
    // The freelancer files: the employer has 14 days to respond. Fee deadlines are 7 days: due sooner.
    cases.awaiting = await milestoneInDispute(svc.http, p, 'awaiting_response');
    cases.negotiation = await milestoneInDispute(svc.http, p, 'negotiation');
    cases.feeDue = await milestoneInDispute(svc.http, p, 'arbitration_pending');
    cases.arbitration = await milestoneInDispute(svc.http, other, 'arbitration');
  });
  afterAll(async () => svc?.stop());

  it('matches a top-level state with every stage under it, or one full path', async () => {
    const disputed = (await svc.http.get(`/v1/milestones?state=disputed&projectId=${p.projectId}`)).body;
    expect(ids(disputed)).toEqual([cases.awaiting, cases.negotiation, cases.feeDue]);
    const negotiation = (await svc.http.get('/v1/milestones?state=disputed.negotiation')).body;
    expect(ids(negotiation)).toEqual([cases.negotiation]);
    expect(negotiation.items[0].state).toEqual({ disputed: 'negotiation' });
    expect(ids((await svc.http.get('/v1/milestones?state=in_progress')).body)).toEqual([cases.inProgress]);
  });

  it('treats disputeStage=awaiting_response as state=disputed.awaiting_response', async () => {
    const byStage = (await svc.http.get('/v1/milestones?disputeStage=awaiting_response')).body;
    const byState = (await svc.http.get('/v1/milestones?state=disputed.awaiting_response')).body;
    expect(ids(byStage)).toEqual([cases.awaiting]);
    expect(byStage).toEqual(byState);
    expect(ids((await svc.http.get('/v1/milestones?disputeStage=arbitration')).body)).toEqual([cases.arbitration]);
  });

  it('keeps milestones with an armed deadline before a time, soonest first', async () => {
    const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const due = (await svc.http.get(`/v1/milestones?deadlineBefore=${inAYear}`)).body;
    // Fee deadline (7 days) before the employer's response deadline (14 days); no deadline, not listed.
    expect(ids(due)).toEqual([cases.feeDue, cases.awaiting]);
    // An offset's unencoded `+` arrives as a space; it still reads as the time it was.
    const offset = inAYear.replace('Z', '+00:00');
    expect(ids((await svc.http.get(`/v1/milestones?deadlineBefore=${offset}`)).body)).toEqual([
      cases.feeDue,
      cases.awaiting,
    ]);
    const inTenDays = new Date(Date.now() + 10 * 86_400_000).toISOString();
    expect(ids((await svc.http.get(`/v1/milestones?deadlineBefore=${inTenDays}`)).body)).toEqual([cases.feeDue]);
    const awaiting = await svc.http.get(`/v1/milestones?disputeStage=awaiting_response&deadlineBefore=${inAYear}`);
    expect(ids(awaiting.body)).toEqual([cases.awaiting]);
    // Pages of one item keep the deadline order across cursors, walking all timers or a project's instances.
    for (const narrowing of ['', `&projectId=${p.projectId}`])
      expect(await allPages(svc.http, `/v1/milestones?deadlineBefore=${inAYear}&limit=1${narrowing}`)).toEqual({
        ids: [cases.feeDue, cases.awaiting],
        pages: 2,
      });
  });

  it('filters by party and project, and by time of the last change', async () => {
    const employers = (await svc.http.get(`/v1/milestones?party=${other.employer}`)).body;
    expect(ids(employers)).toEqual([cases.arbitration]);
    expect(ids((await svc.http.get(`/v1/milestones?party=${other.freelancer}`)).body)).toEqual([cases.arbitration]);
    const since = new Date(Date.now() + 60_000).toISOString();
    expect((await svc.http.get(`/v1/milestones?updatedSince=${encodeURIComponent(since)}`)).body.items).toEqual([]);
    const before = new Date(Date.now() - 3_600_000).toISOString();
    expect(ids((await svc.http.get(`/v1/milestones?updatedSince=${before}&party=${other.employer}`)).body)).toEqual([
      cases.arbitration,
    ]);
  });

  it('pages in creation order with opaque cursors until nextCursor is null', async () => {
    const all = ids((await svc.http.get(`/v1/milestones?projectId=${p.projectId}`)).body);
    expect(all).toHaveLength(4);
    expect(await allPages(svc.http, `/v1/milestones?projectId=${p.projectId}&limit=3`)).toEqual({
      ids: all,
      pages: 2,
    });
    // Parameters given empty, as docs/api.md spells the route, are parameters not given.
    expect(ids((await svc.http.get('/v1/milestones?projectId=&state=&party=&limit=&cursor=')).body)).toHaveLength(5);
    const first = (await svc.http.get(`/v1/milestones?projectId=${p.projectId}&limit=2`)).body;
    expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(first.nextCursor).not.toMatch(/^[0-9]+$/);
  });

  it('refuses malformed limits, cursors, states and times with 400 invalid_request', async () => {
    const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const byNumber = (await svc.http.get('/v1/milestones?limit=1')).body.nextCursor as string;
    const byDeadline = (await svc.http.get(`/v1/milestones?deadlineBefore=${inAYear}&limit=1`)).body
      .nextCursor as string;
    const bad = [
      'limit=0',
      'limit=201',
      'limit=abc',
      'limit=0x10',
      'limit=1.5',
      'limit=-1',
      'cursor=zzz',
      'cursor=12345',
      'cursor=%00',
      `cursor=${Buffer.from('["n","0"]').toString('base64url')}`,
      `cursor=${Buffer.from('{"n":1}').toString('base64url')}`,
      // A cursor of the deadline order is not one of the creation order, and the other way round.
      `cursor=${byDeadline}`,
      `deadlineBefore=${inAYear}&cursor=${byNumber}`,
      'state=DISPUTED',
      'state=disputed.nowhere',
      'state={"disputed":"negotiation"}',
      'disputeStage=paid',
      'deadlineBefore=tomorrow',
      'updatedSince=2026-13-01T00:00:00Z',
      'stuck=yes',
      'state=a&state=b',
    ];
    for (const query of bad) {
      const res = await svc.http.get(`/v1/milestones?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe('invalid_request');
    }
    expect((await svc.http.get('/v1/projects?cursor=abc')).status).toBe(400);
    expect((await svc.http.get('/v1/projects?state=disputed')).status).toBe(400);
  });

  it('lists projects by state and party', async () => {
    const mine = (await svc.http.get(`/v1/projects?party=${p.freelancer}`)).body;
    expect(ids(mine)).toEqual([p.projectId]);
    expect(mine.items[0]).toMatchObject({ id: p.projectId, state: 'in_progress', employerId: p.employer });
    const inProgress = (await svc.http.get('/v1/projects?state=in_progress&limit=1')).body;
    expect(ids(inProgress)).toEqual([p.projectId]);
    expect(await allPages(svc.http, '/v1/projects?state=in_progress&limit=1')).toEqual({
      ids: [p.projectId, other.projectId],
      pages: 2,
    });
    expect((await svc.http.get('/v1/projects?state=open')).body).toEqual({ items: [], nextCursor: null });
  });

  it('counts instances per state path, nested stages instead of their parent', async () => {
    const stats = (await svc.http.get('/v1/stats')).body;
    expect(stats.milestones.byState).toEqual({
      in_progress: 1,
      'disputed.awaiting_response': 1,
      'disputed.negotiation': 1,
      'disputed.arbitration_pending': 1,
      'disputed.arbitration': 1,
    });
    expect(stats.milestones.stuck).toBe(0);
    expect(stats.projects.byState).toEqual({ in_progress: 2 });
    expect(stats.webhookDeliveries).toEqual({ dead: 0 });
    // Counted fresh on a small database: a change shows at once.
    const opened = await svc.http.post(`/v1/milestones/${cases.inProgress}/events`, {
      type: 'OPEN_DISPUTE',
      actor: p.employer,
      reason: 'x',
      offer: '0',
    });
    expect(opened.status).toBe(200);
    const after = (await svc.http.get('/v1/stats')).body.milestones.byState;
    expect(after).toMatchObject({ 'disputed.awaiting_response': 2 });
    expect(after.in_progress).toBeUndefined();
  });

  it('needs the read scope', async () => {
    const writer = await svc.clientWith(['events:write']);
    for (const path of ['/v1/milestones', '/v1/projects', '/v1/stats'])
      expect((await writer.get(path)).status, path).toBe(403);
  });
});

describe('list API: stuck settlements', () => {
  let svc: TestService;
  beforeAll(async () => {
    // No workers: a funding milestone stays in funding, and with a 1 ms threshold it is stuck at once.
    svc = await startTestService({ STUCK_AFTER_MS: '1' }, { workers: false });
  });
  afterAll(async () => svc?.stop());

  it('keeps milestones settling for longer than the threshold, and counts them', async () => {
    const p = await projectInProgress(svc.http);
    const created = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '10',
      description: 'Work',
    });
    expect(created.body.state).toBe('funding');
    const requested = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'REQUEST',
      actor: p.freelancer,
      amount: '10',
      description: 'More work',
    });
    expect(requested.body.state).toBe('requested');
    await eventually(async () =>
      expect(ids((await svc.http.get('/v1/milestones?stuck=true')).body)).toEqual([created.body.id]),
    );
    expect(ids((await svc.http.get('/v1/milestones?stuck=false')).body)).toHaveLength(2);
    expect((await svc.http.get('/v1/stats')).body.milestones).toEqual({
      byState: { funding: 1, requested: 1 },
      stuck: 1,
    });
  });
});
