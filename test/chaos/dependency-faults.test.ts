import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { eventually } from '../support/eventually.js';
import { CHAOS_LONG, chaosFigures } from './support/chaos-env.js';
import { ChaosWorld } from './support/chaos-world.js';
import { auditAfterChaos, backlog, waitForQuiescence, type Audit } from './support/checks.js';
import { Load } from './support/load.js';
import { sleep } from './support/ports.js';
import { Rng, seedFromEnv } from './support/random.js';

// Disputes the employer files give the freelancer this long to respond; the load only files disputes as the
// freelancer (the employer's deadline stays at its default), so the only short timers are the test's own.
// Long enough to arm the timers and start the fault before they are due, shorter than the Redis outage.
const RESPONSE_DEADLINE_MS = 4_000;
const OFFER_ON_TIMEOUT = 700n;
const QUIESCENCE_TIMEOUT_MS = 90_000;

/** Disputes nobody answers, armed (their delayed job in Redis) before a fault; each must time out after it. */
async function armTimers(world: ChaosWorld, load: Load, count: number): Promise<string[]> {
  const ids = await Promise.all(Array.from({ length: count }, () => load.disputeLeftToTimer(OFFER_ON_TIMEOUT)));
  await eventually(async () => {
    const timers: { status: string; enqueued_at: Date | null }[] = await world
      .db('timers')
      .whereIn('instance_id', ids)
      .select('status', 'enqueued_at');
    expect(
      timers.map((t) => t.status),
      'still armed when the fault starts (else RESPONSE_DEADLINE_MS is too short here)',
    ).toEqual(ids.map(() => 'armed'));
    expect(
      timers.filter((t) => t.enqueued_at !== null),
      'dispute timers scheduled in Redis',
    ).toHaveLength(ids.length);
  });
  return ids;
}

/** The filer's offer applied by the response timer: history says RESPONSE_TIMEOUT by the system, money split. */
async function expectTimedOut(http: HttpClient, ids: string[]): Promise<void> {
  for (const id of ids) {
    const m = await http.get(`/v1/milestones/${id}`);
    expect(m.body.state, `timer milestone ${id}`).toBe('resolved');
    expect(m.body.dispute.outcome).toMatchObject({
      decidedBy: 'response_timeout',
      amountToFreelancer: OFFER_ON_TIMEOUT.toString(),
    });
    const history = await http.get(`/v1/milestones/${id}/history`);
    expect(
      (history.body.items as { type: string; role: string }[])
        .filter((h) => h.type === 'RESPONSE_TIMEOUT')
        .map((h) => h.role),
    ).toEqual(['system']);
  }
}

function figures(name: string, rng: Rng, load: Load, audit: Audit, extra: string): void {
  console.log(
    `[chaos ${name}] ${CHAOS_LONG ? 'long' : 'default'} seed=${rng.seed} ${extra} events acknowledged=${audit.ackedEvents} ` +
      `deposits acknowledged=${audit.ackedDeposits} writes=${load.stats.writes} refused=${load.stats.refused} ` +
      `network errors retried=${load.stats.networkErrors} 503=${load.stats.unavailable} settlements=${audit.settlements} ` +
      `transfers=${audit.transfers} timers fired=${audit.timersFired} instances replayed=${audit.replayed} mismatches=0 lost=0 doubled=0 ` +
      `unexpected answers (500…)=${load.stats.unexpected.length}`,
  );
}

describe('chaos: Redis and Postgres faults under load', () => {
  let world: ChaosWorld | undefined;
  let load: Load;
  let rng: Rng;
  beforeAll(async () => {
    rng = new Rng(seedFromEnv());
    world = await ChaosWorld.create({ DISPUTE_FREELANCER_RESPONSE_MS: String(RESPONSE_DEADLINE_MS) });
    load = new Load(world.http, rng, {
      concurrency: chaosFigures.loadConcurrency,
      retryWindowMs: 90_000,
      disputeFiler: 'freelancer',
      openPerParty: 10,
    });
    await load.setUp();
  }, 60_000);
  afterAll(async () => {
    await load?.stop();
    await world?.destroy();
  });

  /** Stops the load; once the test's own timers have fired, waits until nothing is in flight, then audits. */
  async function settleAndAudit(w: ChaosWorld, timed: string[] = []): Promise<Audit> {
    await load.stop();
    // Their deadline may still be ahead (a lost job is re-enqueued only once due + SWEEP_GRACE_MS).
    await eventually(() => expectTimedOut(w.http, timed), QUIESCENCE_TIMEOUT_MS, 250).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${w.logs()}`);
    });
    await waitForQuiescence(w.db, QUIESCENCE_TIMEOUT_MS).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${w.logs()}`);
    });
    expect(w.unexpectedExits, w.logs()).toEqual([]);
    return auditAfterChaos(w.db, load, 0);
  }

  /**
   * Checked last, after the figures are printed: a 500 breaks the API contract but, the load having retried it
   * with its key, does not stop the audit above from proving that nothing was lost.
   */
  function expectOnlyContractAnswers(w: ChaosWorld): void {
    expect(load.stats.unexpected, `answers other than 2xx, expected refusals and 503 unavailable\n${w.logs()}`).toEqual(
      [],
    );
  }

  it(
    'Redis stopped under load: the API keeps acknowledging into the outbox; afterwards work drains and an armed timer fires',
    async () => {
      const w = world!;
      const redis = w.redis!;
      load.start();
      await sleep(1_000);
      const timed = await armTimers(w, load, 2);

      await redis.stopKeepingData();
      const ackedAtStop = load.acknowledged;
      const outageStarted = Date.now();
      const ready = await w.http.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.dependencies).toEqual(['redis']);
      await sleep(Math.max(0, chaosFigures.redisOutageMs - (Date.now() - outageStarted)));
      const ackedInOutage = load.acknowledged - ackedAtStop;
      const stranded = await backlog(w.db);
      // Notifications (written with their events) and deliveries go on; the settlement commands wait in the outbox.
      const waiting = await w.db('outbox').where({ topic: 'settlement' }).whereNull('processed_at').count({ n: '*' });
      await redis.start();

      expect(ackedInOutage, 'writes acknowledged while Redis was down').toBeGreaterThan(0);
      expect(Number(waiting[0]?.n), 'settlement commands kept for Redis').toBeGreaterThan(0);
      await eventually(async () => expect((await w.http.get('/readyz')).status).toBe(200));
      await sleep(1_000);
      const audit = await settleAndAudit(w, timed);
      figures(
        'redis-down',
        rng,
        load,
        audit,
        `outage=${chaosFigures.redisOutageMs}ms acknowledged during outage=${ackedInOutage} settlement commands waiting for Redis=${waiting[0]?.n} ` +
          `settling at restart=${stranded.settlingMilestones} timers armed before and fired after=${timed.length} faults survived=1`,
      );
      expectOnlyContractAnswers(w);
    },
    CHAOS_LONG ? 240_000 : 120_000,
  );

  it(
    'Redis restarted empty with jobs in flight and delayed timers pending: the sweeper re-enqueues, everything settles, timers fire',
    async () => {
      const w = world!;
      const redis = w.redis!;
      load.start();
      await sleep(1_000);
      const timed = await armTimers(w, load, 2);
      // A moment with relayed but unprocessed work, so jobs are really lost with the data.
      let inFlight = 0;
      await eventually(
        async () => {
          const [row] = await w.db('outbox').whereNotNull('relayed_at').whereNull('processed_at').count({ n: '*' });
          inFlight = Number(row?.n);
          expect(inFlight).toBeGreaterThan(0);
        },
        10_000,
        5,
      );
      await redis.kill();
      await redis.startEmpty();
      const ackedAtRestart = load.acknowledged;
      await sleep(1_500);
      expect(load.acknowledged).toBeGreaterThan(ackedAtRestart);
      const audit = await settleAndAudit(w, timed);
      figures(
        'redis-empty',
        rng,
        load,
        audit,
        `jobs in flight when emptied>=${inFlight} delayed timer jobs lost=${timed.length} timers fired after=${timed.length} faults survived=1`,
      );
      expectOnlyContractAnswers(w);
    },
    CHAOS_LONG ? 240_000 : 120_000,
  );

  it(
    'Postgres restarted (fast) and crashed (immediate) under load: 503 unavailable, never 500; readyz names postgres; recovers without restarting the service',
    async () => {
      const w = world!;
      const postgres = w.postgres!;
      const pids = { api: w.api.pid, workers: w.workers.pid };
      const probes = { writes: 0, reads: 0, readyz: 0 };
      const project = (await w.http.get('/v1/milestones?limit=1')).body.items[0]?.projectId as string;
      load.start();
      for (const mode of ['fast', 'immediate'] as const) {
        await sleep(1_000);
        await postgres.stop(mode);
        const outageStarted = Date.now();
        while (Date.now() - outageStarted < chaosFigures.postgresOutageMs) {
          const write = await w.http.post(`/v1/projects/${project}/events`, { type: 'COMPLETE', actor: 'nobody' });
          expect({ status: write.status, code: write.body?.error?.code }).toEqual({ status: 503, code: 'unavailable' });
          const read = await w.http.get(`/v1/projects/${project}`);
          expect({ status: read.status, code: read.body?.error?.code }).toEqual({ status: 503, code: 'unavailable' });
          const ready = await w.http.get('/readyz');
          expect({ status: ready.status, down: ready.body.error?.dependencies }).toEqual({
            status: 503,
            down: ['postgres'],
          });
          expect((await w.http.get('/healthz')).status).toBe(200);
          probes.writes++;
          probes.reads++;
          probes.readyz++;
          await sleep(200);
        }
        const ackedAtRestart = load.acknowledged;
        await postgres.start();
        await eventually(
          () => expect(load.acknowledged, 'the load is acknowledged again').toBeGreaterThan(ackedAtRestart),
          30_000,
          100,
        );
        await eventually(async () => expect((await w.http.get('/readyz')).status).toBe(200), 30_000, 100);
      }
      await sleep(1_000);
      const audit = await settleAndAudit(w);
      expect({ api: w.api.pid, workers: w.workers.pid }, 'the same processes, never restarted').toEqual(pids);
      expect(w.api.running && w.workers.running).toBe(true);
      figures(
        'postgres-restart',
        rng,
        load,
        audit,
        `restarts=2 (fast, immediate) outage=${chaosFigures.postgresOutageMs}ms each probes during outage=${probes.writes} writes, ${probes.reads} reads, ` +
          `${probes.readyz} readyz (all 503 unavailable) process restarts=0 faults survived=2`,
      );
      expectOnlyContractAnswers(w);
    },
    CHAOS_LONG ? 240_000 : 120_000,
  );
});
