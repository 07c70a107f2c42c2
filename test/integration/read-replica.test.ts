import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { dropDatabase, withAdmin } from '../support/databases.js';
import { eventually } from '../support/eventually.js';
import type { HttpResponse } from '../support/http-client.js';
import { createdMilestone, projectInProgress, waitSettled } from '../support/scenario.js';
import { StreamingReplica } from '../support/streaming-replica.js';
import { cloneTemplate, startTestService, type TestService } from '../support/test-service.js';

const MAX_LAG_MS = 2_500;

/** Scans of `instances` the replica itself has run: the replica's own statistics, not the service's word. */
async function replicaScans(replica: StreamingReplica, database: string): Promise<number> {
  const [row] = await replica.query<{ scans: string }>(
    database,
    "SELECT pg_stat_clear_snapshot(), (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::text AS scans FROM pg_stat_user_tables WHERE relname = 'instances'",
  );
  return Number(row?.scans ?? 0);
}

// A real hot standby of the test cluster (pg_basebackup + streaming), with the service reading lists, history,
// replay and stats from it: the reads land there, event replies and single GETs do not, and a replica whose replay
// is paused falls behind the bound and is left for the primary until it catches up.
describe('read replica: a real streaming replica', () => {
  let replica: StreamingReplica;
  let database: string;
  let svc: TestService;

  beforeAll(async () => {
    // Cloned first, so the base backup holds it: under load the standby may take a while to replay a new one.
    database = await cloneTemplate();
    replica = await StreamingReplica.create();
    svc = await startTestService(
      {
        DATABASE_READ_URL: replica.url(database),
        READ_REPLICA_CHECK_MS: '100',
        READ_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
      },
      { database },
    );
    // A standby starts behind by whatever the cluster wrote during the base backup; on a busy machine catching up
    // takes a while, and the cases below begin from a replica within the bound.
    await eventually(
      async () => expect((await svc.http.get('/v1/stats')).headers.get('x-read-source')).toBe('replica'),
      30_000,
      100,
    );
  }, 90_000);

  afterAll(async () => {
    await svc?.stop();
    if (database) await withAdmin((admin) => dropDatabase(admin, database));
    await replica?.destroy();
  });

  it('serves lists, history, replay and stats from the replica, with the data as of its replay position', async () => {
    const p = await projectInProgress(svc.http);
    const id = await createdMilestone(svc.http, p, '2500');
    await waitSettled(svc.http, id);
    const written = Date.now();
    const scansBefore = await replicaScans(replica, database);

    // Once the data is as of a moment after the writes, the writes are in it.
    const list = await eventually(async () => {
      const res = await svc.http.get(`/v1/milestones?projectId=${p.projectId}`);
      expect(res.headers.get('x-read-source')).toBe('replica');
      expect(Date.parse(res.headers.get('x-data-as-of') ?? '')).toBeGreaterThan(written);
      return res;
    });
    expect((list.body.items as { id: string; state: string }[]).map((m) => [m.id, m.state])).toEqual([
      [id, 'in_progress'],
    ]);
    for (const path of [`/v1/milestones/${id}/history`, `/v1/milestones/${id}/replay`, '/v1/stats']) {
      const res = await svc.http.get(path);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.headers.get('x-read-source'), path).toBe('replica');
    }
    expect((await svc.http.get(`/v1/milestones/${id}/replay`)).body.matchesStored).toBe(true);
    await eventually(async () => expect(await replicaScans(replica, database)).toBeGreaterThan(scansBefore));
  });

  it('answers an event and the GET right after it from the primary, even while the replica is paused', async () => {
    const p = await projectInProgress(svc.http);
    const id = await createdMilestone(svc.http, p, '1000');
    await waitSettled(svc.http, id);
    await replica.query(database, 'SELECT pg_wal_replay_pause()');
    let reply: HttpResponse;
    try {
      reply = await svc.http.post(`/v1/milestones/${id}/events`, { type: 'REQUEST_RELEASE', actor: p.freelancer });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      const after = await svc.http.get(`/v1/milestones/${id}`);
      expect(after.headers.get('x-read-source')).toBeNull();
      expect([after.body.state, after.body.seq]).toEqual([reply.body.state, reply.body.seq]);

      // Within the bound the replica may still answer, and says how old its data is; past it, the primary does.
      const behind = await eventually(
        async () => {
          const res = await svc.http.get(`/v1/milestones?projectId=${p.projectId}`);
          expect(res.headers.get('x-read-source')).toBe('primary');
          return res;
        },
        MAX_LAG_MS * 4,
        100,
      );
      expect(behind.headers.get('x-read-fallback')).toBe('lagging');
      expect((behind.body.items as { seq: number }[])[0]?.seq).toBe(reply.body.seq);
      const metrics = (await svc.http.get('/metrics')).body as unknown as string;
      const lag = Number(/^escrow_read_replica_lag_seconds (\S+)$/m.exec(metrics)?.[1]);
      expect(lag).toBeGreaterThan(MAX_LAG_MS / 1000);
      expect(/^escrow_reads_total\{source="primary",reason="lagging"\} (\S+)$/m.test(metrics)).toBe(true);
    } finally {
      await replica.query(database, 'SELECT pg_wal_replay_resume()');
    }
    await eventually(async () => {
      const res = await svc.http.get(`/v1/milestones?projectId=${p.projectId}`);
      expect(res.headers.get('x-read-source')).toBe('replica');
      expect((res.body.items as { seq: number }[])[0]?.seq).toBe(reply.body.seq);
    }, 10_000);
  });

  it('answers from the primary when the replica does not have the instance yet', async () => {
    const p = await projectInProgress(svc.http);
    await replica.query(database, 'SELECT pg_wal_replay_pause()');
    try {
      const id = await createdMilestone(svc.http, p, '700');
      const history = await svc.http.get(`/v1/milestones/${id}/history`);
      expect(history.status, JSON.stringify(history.body)).toBe(200);
      expect(history.headers.get('x-read-source')).toBe('primary');
      expect(['missing', 'lagging']).toContain(history.headers.get('x-read-fallback'));
    } finally {
      await replica.query(database, 'SELECT pg_wal_replay_resume()');
    }
  });

  it('runs cli verify on the replica', async () => {
    const result = await cli(['verify'], {
      DATABASE_URL: svc.config.DATABASE_URL,
      DATABASE_READ_URL: replica.url(database),
    });
    expect(result.stderr).toMatch(/reading from the replica, data as of /);
    expect(result.stdout).toMatch(/all match/);
    expect(result.code).toBe(0);
  });
});
