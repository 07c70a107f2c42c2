import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, dropDatabase, withAdmin } from '../support/databases.js';
import { eventually } from '../support/eventually.js';
import { HttpClient } from '../support/http-client.js';
import { projectInProgress } from '../support/scenario.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { cloneTemplate, startTestService, type TestService } from '../support/test-service.js';

// The routing, headers, metrics and fallback of lag-tolerant reads, with DATABASE_READ_URL reaching the test
// database through a proxy the test can cut. (A server not in recovery counts as current; the lag itself is
// shown against a real streaming replica in read-replica.test.ts.)
describe('read replica: routing and fallback when it cannot be reached', () => {
  let svc: TestService;
  let database: string;
  let metricsClient: HttpClient;
  const proxy = new TcpProxy(5432);

  beforeAll(async () => {
    await proxy.open();
    database = await cloneTemplate();
    const readUrl = new URL(databaseUrl(database));
    readUrl.port = String(proxy.port);
    svc = await startTestService(
      { DATABASE_READ_URL: readUrl.toString(), READ_REPLICA_CHECK_MS: '100', READ_REPLICA_MAX_LAG_MS: '2000' },
      { database },
    );
    metricsClient = await svc.clientWith(['read']);
  });

  afterAll(async () => {
    await svc?.stop();
    await proxy.cut();
    if (database) await withAdmin((admin) => dropDatabase(admin, database));
  });

  const metric = async (pattern: RegExp): Promise<number | null> => {
    const text = (await metricsClient.get('/metrics')).body as unknown as string;
    const m = pattern.exec(text);
    return m ? Number(m[1]) : null;
  };

  it('serves lists from the replica pool and says so; events and single reads stay on the primary', async () => {
    const p = await projectInProgress(svc.http);
    const created = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '1000',
      description: 'Work',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.get('x-read-source')).toBeNull();
    const one = await svc.http.get(`/v1/milestones/${created.body.id as string}`);
    expect(one.status).toBe(200);
    expect(one.headers.get('x-read-source')).toBeNull();

    const list = await svc.http.get('/v1/projects?limit=5');
    expect(list.status).toBe(200);
    expect(list.headers.get('x-read-source')).toBe('replica');
    const asOf = Date.parse(list.headers.get('x-data-as-of') ?? '');
    expect(Date.now() - asOf).toBeLessThan(2_000);
    expect(Number(list.headers.get('x-read-lag-ms'))).toBeLessThanOrEqual(2_000);
    const history = await svc.http.get(`/v1/projects/${p.projectId}/history`);
    expect(history.headers.get('x-read-source')).toBe('replica');
    expect((await svc.http.get('/v1/stats')).headers.get('x-read-source')).toBe('replica');

    expect(await metric(/^escrow_read_replica_up (\S+)$/m)).toBe(1);
    expect(await metric(/^escrow_reads_total\{source="replica",reason="fresh"\} (\S+)$/m)).toBeGreaterThanOrEqual(3);
  });

  it('falls back to the primary while the replica is unreachable, without failing reads or readiness', async () => {
    await proxy.cut();
    const list = await svc.http.get('/v1/milestones?limit=5');
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.headers.get('x-read-source')).toBe('primary');
    expect(['down', 'failed']).toContain(list.headers.get('x-read-fallback'));
    expect(list.headers.get('x-data-as-of')).toBeNull();
    await eventually(async () => expect(await metric(/^escrow_read_replica_up (\S+)$/m)).toBe(0));
    const later = await svc.http.get('/v1/milestones?limit=5');
    expect(later.headers.get('x-read-fallback')).toBe('down');
    expect(await metric(/^escrow_reads_total\{source="primary",reason="down"\} (\S+)$/m)).toBeGreaterThanOrEqual(1);
    expect((await svc.http.get('/readyz')).status).toBe(200);

    await proxy.open();
    await eventually(async () =>
      expect((await svc.http.get('/v1/milestones?limit=5')).headers.get('x-read-source')).toBe('replica'),
    );
    expect(await metric(/^escrow_read_replica_up (\S+)$/m)).toBe(1);
  });
});
