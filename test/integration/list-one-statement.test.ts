import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { milestoneInDispute } from '../support/dispute-cases.js';
import { fundedMilestone, projectInProgress, type Parties } from '../support/scenario.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue 14: a list page reads each item's escrow balance and armed timers in the page's own statement, never one
// more round trip per item. An API-only service reaches Postgres through its own proxy port, so the statements it
// sends are told apart from the workers' (same process, same database) by the port of the connection.
describe('a list page is one statement', () => {
  let svc: TestService;
  let api: TestService;
  let p: Parties;
  const proxy = new TcpProxy(5432);

  beforeAll(async () => {
    svc = await startTestService({ ARBITRATION_FEE_DEFAULT: '50' });
    p = await projectInProgress(svc.http);
    await fundedMilestone(svc.http, p, '300');
    await milestoneInDispute(svc.http, p, 'awaiting_response', { amount: '500' });
    await milestoneInDispute(svc.http, p, 'arbitration_pending', { amount: '700' });
    await proxy.open();
    api = await startTestService({}, { database: svc.databaseName, databasePort: proxy.port, workers: false });
  });
  afterAll(async () => {
    await api?.stop();
    await proxy.cut();
    await svc?.stop();
  });

  /** The statements the API service sends while `request` runs. */
  async function statementsDuring(request: () => Promise<unknown>): Promise<string[]> {
    // A spy calls through to the real driver; it records each call's arguments and client (`this`).
    const spy = vi.spyOn(pg.Client.prototype, 'query');
    try {
      await request();
      return spy.mock.calls
        .filter((_, i) => (spy.mock.contexts[i] as pg.Client).port === proxy.port)
        .map(([config]) => (typeof config === 'string' ? config : (config as { text: string }).text));
    } finally {
      spy.mockRestore();
    }
  }

  it('reads a page of milestones with their deadlines and held amounts in one statement', async () => {
    const path = `/v1/milestones?projectId=${p.projectId}`;
    // Once first, so the token is cached and its last use recorded: what remains is the page itself.
    expect((await api.http.get(path)).status).toBe(200);
    let page: { items: { heldAmount: string; deadlines: unknown[] }[] } = { items: [] };
    const statements = await statementsDuring(async () => {
      page = (await api.http.get(path)).body;
    });
    expect(page.items.map((m) => m.heldAmount)).toEqual(['300', '500', '700']);
    expect(page.items.map((m) => m.deadlines.length)).toEqual([0, 1, 1]);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/json_agg/);
  });

  it('reads a page in deadline order in one statement too', async () => {
    const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const path = `/v1/milestones?deadlineBefore=${inAYear}`;
    expect((await api.http.get(path)).status).toBe(200);
    const statements = await statementsDuring(async () => {
      const res = await api.http.get(path);
      expect(res.body.items).toHaveLength(2);
    });
    expect(statements).toHaveLength(1);
  });
});
