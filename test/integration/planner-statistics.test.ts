import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { PlannerStatistics, STATISTICS_LOCK_KEY } from '../../workers/planner-statistics.js';
import { eventually } from '../support/eventually.js';
import { projectInProgress } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Where autovacuum is off, the workers ANALYZE tables that changed past autovacuum's own threshold, at once when
// new or doubled, else at most once a minute (workers/planner-statistics.ts), so cached plans made on empty tables
// are made again.
describe('planner statistics', () => {
  let svc: TestService;
  let statistics: PlannerStatistics;
  // The API alone: no workers analyzing in the background while the test counts.
  beforeAll(async () => {
    svc = await startTestService({}, { workers: false });
    statistics = new PlannerStatistics(svc.db, svc.config, createLogger('silent'));
  });
  afterAll(async () => svc?.stop());

  it('analyze a table that changed past the threshold, and a prepared plan is made again for its new size', async () => {
    const client = new pg.Client({ connectionString: svc.config.DATABASE_URL });
    await client.connect();
    try {
      await client.query('CREATE TABLE scratch_growth (id bigint PRIMARY KEY, v text)');
      await client.query("INSERT INTO scratch_growth SELECT g, 'x' FROM generate_series(1, 20) g");
      // A generic plan made while the table is tiny, as the engine's prepared statements are on a new database.
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query('PREPARE lookup(bigint[]) AS SELECT v FROM scratch_growth WHERE id = ANY($1)');
      const plan = async () =>
        (await client.query("EXPLAIN EXECUTE lookup('{1,2}')")).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      await client.query('ANALYZE scratch_growth');
      expect(await plan()).toMatch(/Seq Scan on scratch_growth/);

      await client.query("INSERT INTO scratch_growth SELECT g, 'x' FROM generate_series(21, 100000) g");
      // The premise: the cached plan does not notice that the table grew 5,000-fold.
      expect(await plan()).toMatch(/Seq Scan on scratch_growth/);
      // Counters reach the statistics views a moment after the writing transaction ends.
      await eventually(async () => expect(await statistics.analyzeChanged()).toContain('public.scratch_growth'));
      expect(await plan()).toMatch(/Index Scan using scratch_growth_pkey/);
      const { rows } = await client.query(
        "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'scratch_growth'",
      );
      expect(rows[0].last_analyze).not.toBeNull();
    } finally {
      await client.query('DROP TABLE IF EXISTS scratch_growth').catch(() => undefined);
      await client.end();
    }
  });

  it('skip a pass while another process holds the pass lock, so several workers do not analyze the same tables', async () => {
    const holder = new pg.Client({ connectionString: svc.config.DATABASE_URL });
    await holder.connect();
    try {
      await svc.db.raw('CREATE TABLE scratch_shared (id int PRIMARY KEY)');
      await svc.db.raw('INSERT INTO scratch_shared SELECT generate_series(1, 1000)');
      // The premise: a pass would analyze it now (its counters have reached the statistics views).
      await eventually(async () => {
        const { rows } = await svc.db.raw(
          "SELECT n_mod_since_analyze::int AS n FROM pg_stat_user_tables WHERE relname = 'scratch_shared'",
        );
        expect(rows[0]?.n).toBe(1000);
      });
      await holder.query('SELECT pg_advisory_lock($1)', [STATISTICS_LOCK_KEY]);
      expect(await statistics.analyzeChanged()).toEqual([]);
      await holder.query('SELECT pg_advisory_unlock($1)', [STATISTICS_LOCK_KEY]);
      await eventually(async () => expect(await statistics.analyzeChanged()).toContain('public.scratch_shared'));
    } finally {
      await svc.db.raw('DROP TABLE IF EXISTS scratch_shared');
      await holder.end();
    }
  });

  it('leave a table alone that changed less than the threshold', async () => {
    await svc.db.raw('CREATE TABLE scratch_quiet (id int PRIMARY KEY)');
    try {
      await svc.db.raw('INSERT INTO scratch_quiet SELECT generate_series(1, 10)');
      // Whatever else it analyzes, this one's ten rows stay under autovacuum's 50 + 10 %.
      for (let i = 0; i < 3; i++) expect(await statistics.analyzeChanged()).not.toContain('public.scratch_quiet');
    } finally {
      await svc.db.raw('DROP TABLE scratch_quiet');
    }
  });

  it('analyze a table that grew by less than double only once its statistics are STATS_REFRESH_MIN_AGE_MS old', async () => {
    await svc.db.raw('CREATE TABLE scratch_steady (id int PRIMARY KEY)');
    try {
      const changedSinceAnalyze = async (n: number) =>
        eventually(async () => {
          const { rows } = await svc.db.raw(
            "SELECT n_mod_since_analyze::int AS n FROM pg_stat_user_tables WHERE relname = 'scratch_steady'",
          );
          expect(rows[0]?.n).toBe(n);
        });
      await svc.db.raw('INSERT INTO scratch_steady SELECT generate_series(1, 1000)');
      // Counters that reach the statistics views after the ANALYZE would count as changes since it.
      await changedSinceAnalyze(1000);
      await svc.db.raw('ANALYZE scratch_steady');
      // Half as many again: past autovacuum's 50 + 10 %, short of doubling.
      await svc.db.raw('INSERT INTO scratch_steady SELECT generate_series(1001, 1500)');
      await changedSinceAnalyze(500);
      // Statistics a moment old are recent enough under the default minute.
      expect(await statistics.analyzeChanged()).not.toContain('public.scratch_steady');
      const impatient = new PlannerStatistics(
        svc.db,
        { ...svc.config, STATS_REFRESH_MIN_AGE_MS: 200 },
        createLogger('silent'),
      );
      await eventually(async () => expect(await impatient.analyzeChanged()).toContain('public.scratch_steady'));
    } finally {
      await svc.db.raw('DROP TABLE scratch_steady');
    }
  });

  it('build no statistics for the documents the engine stores but never queries by, and keep those of the keys', async () => {
    // An awarded project and a milestone's CREATE: history, instances and outbox rows (its settlement command).
    const p = await projectInProgress(svc.http);
    const created = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '100',
      description: 'Work',
    });
    expect(created.status).toBe(201);
    await svc.db.raw('ANALYZE outbox, history, instances');
    const { rows } = await svc.db.raw<{ rows: { column: string }[] }>(
      "SELECT tablename || '.' || attname AS column FROM pg_stats WHERE schemaname = 'public' AND tablename IN ('outbox', 'history', 'instances')",
    );
    const columns = rows.map((r) => r.column);
    expect(columns).toEqual(
      expect.arrayContaining(['outbox.id', 'outbox.relayed_at', 'history.instance_id', 'instances.state']),
    );
    for (const document of [
      'outbox.payload',
      'outbox.request_id',
      'history.payload',
      'history.from_state',
      'history.to_state',
      'instances.snapshot',
      'instances.input',
    ]) {
      expect(columns).not.toContain(document);
    }
  });
});
