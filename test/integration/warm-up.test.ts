import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceRulesFrom } from '../../src/engine/instance-rules.js';
import { createLogger } from '../../src/logger.js';
import { redisConnection } from '../../src/net/redis-connection.js';
import { PathsThread } from '../../src/paths/paths-thread.js';
import { shadowSchema } from '../../src/warmup/shadow-schema.js';
import { warmUp } from '../../src/warmup/warm-up.js';
import { deposit, fundedMilestone, projectInProgress } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

/** Every table's rows (as one digest) and every sequence's position: what a warm-up must leave as it found it. */
async function contents(db: Knex): Promise<Record<string, string>> {
  const tables = await db.raw<{ rows: { relname: string }[] }>(
    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1",
  );
  const out: Record<string, string> = {};
  for (const { relname } of tables.rows) {
    const digest = await db.raw<{ rows: { d: string | null; n: string }[] }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS d, count(*)::text AS n FROM public.?? AS t`,
      [relname],
    );
    out[relname] = `${digest.rows[0]!.n} ${digest.rows[0]!.d}`;
  }
  const sequences = await db.raw<{ rows: { name: string; last: string | null }[] }>(
    "SELECT sequencename AS name, last_value::text AS last FROM pg_sequences WHERE schemaname = 'public'",
  );
  for (const s of sequences.rows) out[`sequence ${s.name}`] = String(s.last);
  return out;
}

// The API's start-up warm-up (src/warmup/): its own request path, run against empty temporary copies of the tables
// in one read-only transaction that is rolled back. Also run through a transaction-mode PgBouncer (vitest.config.ts).
describe('start-up warm-up', () => {
  let svc: TestService;
  const log = createLogger('silent');
  let paths: PathsThread;
  let redis: ReturnType<typeof redisConnection>;

  beforeAll(async () => {
    svc = await startTestService();
    // Data of every kind the warm-up's statements touch: a project, a funded milestone, a deposit's transfer.
    const p = await projectInProgress(svc.http);
    await deposit(svc.http, p.employer, '50000');
    await fundedMilestone(svc.http, p, '20000');
    paths = new PathsThread();
    redis = redisConnection(svc.config, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  });
  afterAll(async () => {
    await paths?.close();
    redis?.disconnect();
    await svc?.stop();
  });

  const shared = () => ({
    rules: instanceRulesFrom(svc.config),
    paths,
    redis,
    hotPath: { maxBatch: 64, maxInFlight: 1, rememberedRows: 4096 },
  });

  it('sends real requests through the API and leaves every table and sequence as it was', async () => {
    const before = await contents(svc.db);
    const result = await warmUp({ ...svc.config, WARMUP_MS: 1500 }, log, shared());
    expect(result).not.toBeNull();
    // Creations, settlements, toggles, releases, cancels and reads, all answered 2xx.
    expect(result!.requests).toBeGreaterThan(100);
    expect(Object.keys(result!.byStatus).sort()).toEqual(['200', '201']);
    expect(await contents(svc.db)).toEqual(before);
    // The service's own path works as before: the next event lands in the real tables.
    const p = await projectInProgress(svc.http);
    expect((await svc.db('instances').where({ id: p.projectId })).length).toBe(1);
  });

  it('inside the shadow, unqualified names are empty copies and a write past them is refused', async () => {
    const realInstances = Number((await svc.db('instances').count({ n: '*' }))[0]!.n);
    expect(realInstances).toBeGreaterThan(0);
    const trx = await svc.db.transaction();
    try {
      await shadowSchema(trx);
      const unshadowed = await trx.raw<{ rows: unknown[] }>(
        `SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')
         EXCEPT SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema()`,
      );
      expect(unshadowed.rows).toEqual([]);
      expect(Number((await trx('instances').count({ n: '*' }))[0]!.n)).toBe(0);
      await trx.raw("INSERT INTO notifications (user_id, type, instance_id, message) VALUES ('u', 't', 'i', 'm')");
      await expect(
        trx.raw("INSERT INTO public.notifications (user_id, type, instance_id, message) VALUES ('u', 't', 'i', 'm')"),
      ).rejects.toMatchObject({ code: '25006' });
    } finally {
      await trx.rollback();
    }
    expect(Number((await svc.db('instances').count({ n: '*' }))[0]!.n)).toBe(realInstances);
    expect(await svc.db('notifications').where({ user_id: 'u' })).toEqual([]);
  });

  it("runs within the service's own limits: a low rate limit, deposit cap and cancel-request cap", async () => {
    const low = {
      ...svc.config,
      WARMUP_MS: 1000,
      RATE_LIMIT_PER_SEC: 5,
      RATE_LIMIT_BURST: 5,
      DEPOSIT_MAX: '500000',
      CANCEL_REQUESTS_MAX_PER_MILESTONE: 2,
    };
    const result = await warmUp(low, log, { ...shared(), rules: instanceRulesFrom(low) });
    expect(result).not.toBeNull();
    expect(result!.requests).toBeGreaterThan(50);
    expect(Object.keys(result!.byStatus).sort()).toEqual(['200', '201']);
  });

  it('gives up, rather than wait, when another session holds a table locked', async () => {
    const locker = await svc.db.client.acquireConnection();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE webhooks IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      expect(await warmUp({ ...svc.config, WARMUP_MS: 1000 }, log, shared())).toBeNull();
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await locker.query('ROLLBACK');
      await svc.db.client.releaseConnection(locker);
    }
  });

  it('a warm-up that cannot reach its database returns null and does not throw', async () => {
    const unreachable = { ...svc.config, DATABASE_URL: 'postgres://root@127.0.0.1:1/none', WARMUP_MS: 500 };
    expect(await warmUp(unreachable, log, shared())).toBeNull();
  });

  it('a service that warmed up counts none of the warm-up in its metrics', async () => {
    const warmed = await startTestService({ WARMUP_MS: '800' }, { database: svc.databaseName, workers: false });
    try {
      expect(warmed.service.warmUp?.requests).toBeGreaterThan(50);
      const monitor = await warmed.clientWith(['read']);
      const metrics = (await monitor.get('/metrics')).body as string;
      expect(metrics).toContain('escrow_transition_duration_seconds');
      expect(metrics.split('\n').filter((line) => line.startsWith('escrow_events_total{'))).toEqual([]);
    } finally {
      await warmed.stop();
    }
  });
});
