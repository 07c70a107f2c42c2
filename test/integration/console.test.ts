import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundedMilestone, projectInProgress } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('support console endpoints', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({}, { workers: true });
  });
  afterAll(async () => svc?.stop());

  it('serves the page and its assets without a token, with a strict content security policy', async () => {
    const page = await fetch(`${svc.url}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<label for="search-input">');
    expect(html).not.toMatch(/<script(?![^>]*src=)/); // no inline script
    const js = await fetch(`${svc.url}/console/console.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${svc.url}/console/nope.js`)).status).toBe(404);
  });

  it('finds instances by milestone id, project id and user id', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '25');
    const byId = (await svc.http.get(`/v1/console/search?q=${m.id}`)).body;
    expect(byId.items).toEqual([
      expect.objectContaining({ id: m.id, machine: 'milestone', match: 'id', state: 'in_progress' }),
    ]);
    const byProject = (await svc.http.get(`/v1/console/search?q=${p.projectId}`)).body.items;
    expect(byProject.map((h: { id: string; match: string }) => `${h.id}/${h.match}`)).toEqual([
      `${p.projectId}/id`,
      `${m.id}/project`,
    ]);
    const byUser = (await svc.http.get(`/v1/console/search?q=${p.freelancer}`)).body.items;
    expect(byUser.map((h: { id: string }) => h.id).sort()).toEqual([p.projectId, m.id].sort());
    expect((await svc.http.get('/v1/console/search?q=nobody-at-all')).body).toEqual({ items: [], truncated: false });
    expect((await svc.http.get('/v1/console/search?q=')).status).toBe(400);
  });

  it('caps search results at CONSOLE_SEARCH_LIMIT and says so', async () => {
    const p = await projectInProgress(svc.http);
    for (let i = 0; i < 3; i++)
      await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
        type: 'REQUEST',
        actor: p.freelancer,
        amount: '1',
        description: 'x',
      });
    const limited = await startTestService(
      { CONSOLE_SEARCH_LIMIT: '2' },
      { workers: false, database: svc.databaseName },
    );
    try {
      const res = (await limited.http.get(`/v1/console/search?q=${p.projectId}`)).body;
      expect(res.items).toHaveLength(2);
      expect(res.truncated).toBe(true);
    } finally {
      await limited.stop({ keepQueueKeys: true });
    }
  });

  it('describes registered machine versions for the page to lay out, and serves the layout engine', async () => {
    const res = await svc.http.get('/v1/console/diagrams/milestone/2');
    expect(res.status).toBe(200);
    expect(res.body.states).toEqual(expect.arrayContaining(['draft', 'funding', 'disputed.negotiation', 'released']));
    expect(res.body.nodes).toContainEqual(
      expect.objectContaining({ id: 'disputed.negotiation', label: 'Negotiation', parent: 'disputed' }),
    );
    expect(res.body.edges).toContainEqual(
      expect.objectContaining({ from: 'in_progress', to: 'releasing', events: ['RELEASE'], kind: 'event' }),
    );
    expect(res.body.elk.layoutOptions['elk.algorithm']).toBe('layered');
    const engine = await fetch(`${svc.url}${res.body.layoutEngine}`);
    expect(engine.status).toBe(200);
    expect(engine.headers.get('content-type')).toMatch(/javascript/);
    expect(engine.headers.get('cache-control')).toContain('immutable');
    expect((await svc.http.get('/v1/console/diagrams/milestone/999')).body.error.code).toBe('not_found');
    expect((await svc.http.get('/v1/console/diagrams/lamp/1')).status).toBe(400);
    for (const name of ['payout', 'adjustment']) {
      const owned = await svc.http.get(`/v1/console/diagrams/${name}/1`);
      expect(owned.status, name).toBe(200);
      expect(owned.body.states, name).toContain('draft');
    }
  });

  it('tells the page who its token is, and lists dead deliveries and support actions', async () => {
    const reader = await svc.clientWith(['read']);
    expect((await reader.get('/v1/console/me')).body).toEqual({
      id: expect.any(String),
      name: expect.stringMatching(/^test-read-/),
      scopes: ['read'],
    });
    expect((await reader.get('/v1/console/deliveries?status=dead')).body).toEqual({ items: [], nextCursor: null });
    for (const bad of ['status=pending', 'status=dead&limit=0', 'status=dead&cursor=abc'])
      expect((await reader.get(`/v1/console/deliveries?${bad}`)).status, bad).toBe(400);
    expect((await reader.get('/v1/console/actions?instanceId=nobody')).body).toEqual({ items: [] });
  });

  it('re-drives a milestone only with the support scope, and records who asked', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '25');
    const reader = await svc.clientWith(['read', 'events:write']);
    expect((await reader.post(`/v1/milestones/${m.id}/redrive`, {})).status).toBe(403);
    expect((await svc.http.post('/v1/milestones/nope/redrive', {})).status).toBe(404);
    const res = await svc.http.post(`/v1/milestones/${m.id}/redrive`, {});
    expect(res.body).toEqual({ id: m.id, outcome: 'not_settling', outboxId: null });
    const actions = (await svc.http.get(`/v1/console/actions?instanceId=${m.id}`)).body.items;
    expect(actions).toEqual([
      expect.objectContaining({
        action: 'redrive',
        outcome: 'not_settling',
        client: { id: expect.any(String), name: expect.stringMatching(/^test-events:write\+read\+support\+admin-/) },
      }),
    ]);
  });

  it('needs a token with read or support scope for its data', async () => {
    expect((await fetch(`${svc.url}/v1/console/search?q=x`)).status).toBe(401);
    expect((await (await svc.clientWith(['events:write'])).get('/v1/console/search?q=x')).status).toBe(403);
    expect((await (await svc.clientWith(['support'])).get('/v1/console/diagrams/project/1')).status).toBe(200);
  });
});
