import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli as runCli } from '../support/cli.js';
import { databaseUrl } from '../support/databases.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, projectInProgress, uid, waitSettled, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue #8 part 5: a milestone whose settlement is in flight far longer than it should be (its job was lost:
// Redis flushed, workers down past their retries) is reported by readyz, the escrow_instances_stuck gauge and
// `cli stuck`, and support can re-drive it with `cli stuck redrive`, safely, as often as they like.

const STUCK_AFTER_MS = 60_000;

describe('stuck settlements: detect and re-drive', () => {
  let api: TestService;
  let workers: TestService | null = null;
  let p: Parties;

  const cli = (args: string[]) =>
    runCli(args, {
      DATABASE_URL: databaseUrl(api.databaseName),
      REDIS_URL: api.config.REDIS_URL,
      QUEUE_PREFIX: api.config.queuePrefix,
      STUCK_AFTER_MS: String(STUCK_AFTER_MS),
      LOG_LEVEL: 'silent',
    });

  /** A CREATE whose funding job is "lost": settling, marked relayed (so no relay sends it), 10 minutes old. */
  const lostFunding = async (amount: string): Promise<string> => {
    await deposit(api.http, p.employer, amount);
    const created = await api.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount,
      description: 'Stuck',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    await api
      .db('instances')
      .where({ id })
      .update({ updated_at: api.db.raw("now() - interval '10 minutes'") });
    await api
      .db('outbox')
      .where({ instance_id: id })
      .update({ relayed_at: api.db.raw("now() - interval '10 minutes'") });
    return id;
  };

  const readyStuck = async () => {
    const res = await fetch(`${api.url}/readyz`);
    expect(res.status, 'stuck instances are detail, not a readiness failure').toBe(200);
    return (
      (await res.json()) as {
        stuck: { count: number; thresholdMs: number; oldest: { state: unknown; since: string; ageMs: number } | null };
      }
    ).stuck;
  };

  const gauge = async (): Promise<number> => {
    const res = await api.http.get('/metrics');
    const match = /^escrow_instances_stuck (\S+)$/m.exec(String(res.body));
    expect(match, 'escrow_instances_stuck in /metrics').not.toBeNull();
    return Number(match![1]);
  };

  beforeAll(async () => {
    // Workers off and the sweeper idle: nothing settles unless the test re-drives it.
    api = await startTestService({ STUCK_AFTER_MS: String(STUCK_AFTER_MS) }, { workers: false });
    p = await projectInProgress(api.http);
  });
  afterEach(async () => assertLedgerInvariants(api.db));
  afterAll(async () => {
    await workers?.stop();
    await api?.stop();
  });

  it('does not call a fresh settlement stuck', async () => {
    await deposit(api.http, p.employer, '10');
    const fresh = await api.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '10',
      description: 'Fresh',
    });
    expect(fresh.body.state).toBe('funding');
    expect(await readyStuck()).toEqual({ count: 0, thresholdMs: STUCK_AFTER_MS, oldest: null });
    expect(await gauge()).toBe(0);
    const listed = JSON.parse((await cli(['stuck', '--json'])).stdout);
    expect(listed).toMatchObject({ count: 0, items: [] });
    // Its job was never relayed (no workers yet): the relay sends it when the workers start below.
  });

  let first = '';
  let second = '';

  it('reports stuck instances in readyz, the gauge and cli stuck', async () => {
    first = await lostFunding('100');
    second = await lostFunding('200');
    const stuck = await readyStuck();
    expect(stuck.count).toBe(2);
    expect(stuck.oldest?.state).toBe('funding');
    expect(stuck.oldest!.ageMs).toBeGreaterThanOrEqual(9 * 60_000);
    expect(JSON.stringify(stuck), 'the open readyz names no instance').not.toContain(first);
    expect(await gauge()).toBe(2);

    const json = await cli(['stuck', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.count).toBe(2);
    expect(report.items.map((i: { id: string }) => i.id).sort()).toEqual([first, second].sort());
    expect(report.items[0]).toMatchObject({ machine: 'milestone', state: 'funding', seq: 1 });

    const text = await cli(['stuck']);
    expect(text.stdout).toContain('2 instance(s) settling for longer than 60000 ms');
    expect(text.stdout).toContain(first);
  });

  it('re-drives one instance; a second re-drive while its job waits is a no-op', async () => {
    const once = JSON.parse((await cli(['stuck', 'redrive', first, '--json'])).stdout);
    expect(once.results).toEqual([{ id: first, outcome: 'enqueued', outboxId: expect.any(String) }]);
    const twice = JSON.parse((await cli(['stuck', 'redrive', first, '--json'])).stdout);
    expect(twice.results).toEqual([{ id: first, outcome: 'already_queued', outboxId: once.results[0].outboxId }]);
  });

  it('refuses an unknown id with exit status 2 and wants an id or --all', async () => {
    const unknown = await cli(['stuck', 'redrive', uid('nope'), '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).results[0].outcome).toBe('not_found');
    expect((await cli(['stuck', 'redrive'])).code).not.toBe(0);
  });

  it('with workers on, re-drives the rest with --all and every one settles exactly once', async () => {
    // The sweeper would re-enqueue these lost jobs too, eventually; keep it out so the command is what works.
    workers = await startTestService(
      { SWEEP_INTERVAL_MS: '3600000', STUCK_AFTER_MS: String(STUCK_AFTER_MS) },
      { api: false, database: api.databaseName },
    );
    // `first` had its job queued above: it settles now. `second` has no job anywhere: it stays stuck.
    expect((await waitSettled(api.http, first)).state).toBe('in_progress');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await api.http.get(`/v1/milestones/${second}`)).body.state).toBe('funding');
    expect((await readyStuck()).count).toBe(1);

    const all = JSON.parse((await cli(['stuck', 'redrive', '--all', '--json'])).stdout);
    expect(all.results).toEqual([{ id: second, outcome: 'enqueued', outboxId: expect.any(String) }]);
    expect((await waitSettled(api.http, second)).state).toBe('in_progress');

    // Again, after it settled: nothing is stuck, nothing to do, no money moves twice.
    const again = JSON.parse((await cli(['stuck', 'redrive', second, '--json'])).stdout);
    expect(again.results).toEqual([{ id: second, outcome: 'not_settling', outboxId: null }]);
    expect(JSON.parse((await cli(['stuck', 'redrive', '--all', '--json'])).stdout).results).toEqual([]);
    for (const id of [first, second]) {
      const history = (await api.http.get(`/v1/milestones/${id}/history`)).body.items as { type: string }[];
      expect(history.map((h) => h.type)).toEqual(['CREATE', 'SETTLED']);
      expect(await api.db('transfers').where({ instance_id: id })).toHaveLength(1);
    }
    expect(await readyStuck()).toMatchObject({ count: 0, oldest: null });
    expect(await gauge()).toBe(0);
  });
});
