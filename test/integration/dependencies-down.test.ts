import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, projectInProgress, uid } from '../support/scenario.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('Postgres unreachable', () => {
  const proxy = new TcpProxy(5432);
  let svc: TestService | undefined;
  afterAll(async () => {
    await svc?.stop();
    await proxy.cut();
  });

  it('answers 503 unavailable (never 500), reports it in readyz, and recovers without a restart', async () => {
    await proxy.open();
    svc = await startTestService({}, { databasePort: proxy.port });
    const project = await svc.http.post('/v1/projects', { employerId: uid('e'), title: 'T', currency: 'USD' });
    expect(project.status).toBe(201);

    await proxy.cut();
    const write = await svc.http.post('/v1/projects', { employerId: uid('e'), title: 'T', currency: 'USD' });
    expect(write.status).toBe(503);
    expect(write.body.error.code).toBe('unavailable');
    const read = await svc.http.get(`/v1/projects/${project.body.id}`);
    expect(read.status).toBe(503);
    const ready = await svc.http.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.error.dependencies).toEqual(['postgres']);
    expect((await svc.http.get('/healthz')).status).toBe(200);

    await proxy.open();
    await eventually(async () => expect((await svc!.http.get(`/v1/projects/${project.body.id}`)).status).toBe(200));
    expect((await svc.http.get('/readyz')).status).toBe(200);
  });
});

describe('Redis unreachable', () => {
  let api: TestService | undefined;
  let workers: TestService | undefined;
  afterAll(async () => {
    await workers?.stop();
    await api?.stop();
  });

  it('keeps accepting events into the outbox and drains them once workers reach Redis', async () => {
    api = await startTestService({ REDIS_URL: 'redis://127.0.0.1:1' }, { workers: false });
    const ready = await api.http.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.error.dependencies).toEqual(['redis']);

    const p = await projectInProgress(api.http);
    await deposit(api.http, p.employer, '400');
    const created = await api.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '400',
      description: 'x',
    });
    expect(created.status).toBe(201);
    const pending = await api
      .db('outbox')
      .where({ instance_id: created.body.id, topic: 'settlement' })
      .whereNull('processed_at');
    expect(pending).toHaveLength(1);

    workers = await startTestService({}, { api: false, database: api.databaseName });
    await eventually(async () =>
      expect((await api!.http.get(`/v1/milestones/${created.body.id}`)).body.state).toBe('in_progress'),
    );
    await assertLedgerInvariants(api.db);
  });
});
