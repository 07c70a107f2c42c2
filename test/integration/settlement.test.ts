import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { settle } from '../../workers/settlement.js';
import { QUEUE_NAMES, jobOptions } from '../../src/jobs/queues.js';
import { eventually } from '../support/eventually.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, fundedMilestone, projectInProgress, uid, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('settlement worker', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  async function snapshotOfMoney(milestoneId: string) {
    const history = await svc
      .db('history')
      .where({ instance_id: milestoneId })
      .count<{ count: bigint }[]>('* as count');
    const transfers = await svc
      .db('transfers')
      .where({ instance_id: milestoneId })
      .orderBy('id')
      .select('id', 'amount');
    const accounts = await svc.db('accounts').orderBy('id').select('id', 'balance');
    return { history: history[0]?.count, transfers, accounts };
  }

  it('moves money once when the same settlement job is delivered twice through BullMQ', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '7000');
    const before = await snapshotOfMoney(m.id);
    const [fundCommand] = await svc
      .db('outbox')
      .where({ instance_id: m.id, topic: 'settlement' })
      .select('id', 'processed_at');
    expect(fundCommand?.processed_at).not.toBeNull();

    // Redeliver: a fresh job id, as after removeOnComplete dropped the original (STYLE §14).
    const connection = new Redis(svc.config.REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAMES.settlement, { connection, prefix: svc.config.bullmqPrefix });
    const events = new QueueEvents(QUEUE_NAMES.settlement, {
      connection: connection.duplicate(),
      prefix: svc.config.bullmqPrefix,
    });
    try {
      await events.waitUntilReady();
      const job = await queue.add(
        'settlement',
        { outboxId: String(fundCommand!.id) },
        { ...jobOptions(svc.config), jobId: `redeliver-${fundCommand!.id}` },
      );
      expect(await job.waitUntilFinished(events, 15_000)).toBe('already_done');
    } finally {
      await events.close();
      await queue.close();
      await connection.quit();
    }
    expect(await snapshotOfMoney(m.id)).toEqual(before);
  });

  it('moves money once when two deliveries of one command race each other', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '900');
    await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer, amount: '300' });
    await waitSettled(svc.http, m.id);
    const before = await snapshotOfMoney(m.id);
    const commands = await svc
      .db('outbox')
      .where({ instance_id: m.id, topic: 'settlement' })
      .orderBy('id')
      .select('id');
    const log = createLogger('silent');
    const outcomes = await Promise.all(
      commands.flatMap((c) => [
        settle(svc.db, svc.config, log, String(c.id)),
        settle(svc.db, svc.config, log, String(c.id)),
      ]),
    );
    expect(outcomes.every((o) => o === 'already_done')).toBe(true);
    expect(await snapshotOfMoney(m.id)).toEqual(before);
  });

  it('drops a job whose outbox row does not exist instead of retrying it', async () => {
    expect(await settle(svc.db, svc.config, createLogger('silent'), '999999999')).toBe('missing');
  });

  it('lands in funding_failed on insufficient funds, visibly, and funds after a deposit and FUND', async () => {
    const p = await projectInProgress(svc.http);
    await deposit(svc.http, p.employer, '100');
    const created = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '250',
      description: 'Logo',
    });
    expect(created.status).toBe(201);
    const failed = await waitSettled(svc.http, created.body.id);
    expect(failed).toMatchObject({
      state: 'funding_failed',
      lastSettlementFailure: 'insufficient_funds',
      allowedEvents: ['FUND', 'ABANDON'],
    });
    expect((await svc.http.get(`/v1/accounts/${p.employer}`)).body.balances).toEqual([
      { currency: 'USD', currencyExponent: 2, available: '100', held: '0' },
    ]);
    await eventually(async () => {
      const inbox = await svc.http.get(`/v1/users/${p.employer}/notifications`);
      expect(inbox.body.items.map((n: { type: string }) => n.type)).toContain('milestone.funding_failed');
    });

    await deposit(svc.http, p.employer, '150');
    const retry = await svc.http.post(`/v1/milestones/${created.body.id}/events`, { type: 'FUND', actor: p.employer });
    expect(retry.body.state).toBe('funding');
    const funded = await waitSettled(svc.http, created.body.id);
    expect(funded).toMatchObject({ state: 'in_progress', lastSettlementFailure: null });
    expect((await svc.http.get(`/v1/accounts/${p.employer}`)).body.balances).toEqual([
      { currency: 'USD', currencyExponent: 2, available: '0', held: '250' },
    ]);
    expect((await svc.http.get(`/v1/projects/${p.projectId}`)).body.milestones.pending).toBe(1);
  });

  it('closes an abandoned milestone on the project without moving money', async () => {
    const p = await projectInProgress(svc.http);
    const created = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '5',
      description: 'x',
    });
    expect((await waitSettled(svc.http, created.body.id)).state).toBe('funding_failed');
    const abandoned = await svc.http.post(`/v1/milestones/${created.body.id}/events`, {
      type: 'ABANDON',
      actor: p.employer,
    });
    expect(abandoned.body).toMatchObject({ state: 'abandoned', allowedEvents: [] });
    expect((await svc.http.get(`/v1/projects/${p.projectId}`)).body.milestones).toEqual({
      pending: 0,
      releasedTotal: '0',
    });
    expect(await svc.db('transfers').where({ instance_id: created.body.id })).toEqual([]);
  });
});

describe('settlement with a platform fee', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ PLATFORM_FEE_BPS: '250' });
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('sends 2.5 % of each release to the fees account, rounding the fee down', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '1001');
    await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer });
    expect((await waitSettled(svc.http, m.id)).state).toBe('released');
    // 1001 × 250 / 10000 = 25.025 → 25
    expect((await svc.http.get(`/v1/accounts/${p.freelancer}`)).body.balances).toEqual([
      { currency: 'USD', currencyExponent: 2, available: '976', held: '0' },
    ]);
    const fees = await svc.db('accounts').where({ id: 'fees:USD' }).first('balance');
    expect(fees?.balance).toBe(25n);
    const [entry] = (await svc.http.get(`/v1/milestones/${m.id}/history`)).body.items.slice(-1);
    expect(entry.transfers.map((t: { kind: string; amount: string }) => `${t.kind}:${t.amount}`)).toEqual([
      'release:976',
      'platform_fee:25',
    ]);
  });

  it('charges the fee rate a milestone recorded at creation, whatever the workers are configured with now', async () => {
    // An API still charging 2.5 % with no workers, and on the same database an API and the only workers set to
    // 10 %: a milestone created through the first keeps 2.5 %, one created through the second gets 10 %.
    const old = await startTestService({ PLATFORM_FEE_BPS: '250' }, { workers: false });
    const now = await startTestService({ PLATFORM_FEE_BPS: '1000' }, { database: old.databaseName });
    try {
      const p = await projectInProgress(old.http);
      const before = await fundedMilestone(old.http, p, '1000');
      const after = await fundedMilestone(now.http, p, '1000');
      const recorded = async (id: string) =>
        (await old.db('instances').where({ id }).first()).snapshot.context.platformFeeBps;
      expect([await recorded(before.id), await recorded(after.id)]).toEqual([250, 1000]);
      for (const m of [before, after]) {
        await now.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer });
        expect((await waitSettled(now.http, m.id)).state).toBe('released');
      }
      const feeOf = async (id: string) =>
        (await old.db('transfers').where({ instance_id: id, kind: 'platform_fee' }).first('amount'))?.amount;
      expect([await feeOf(before.id), await feeOf(after.id)]).toEqual([25n, 100n]);
      await assertLedgerInvariants(old.db);
    } finally {
      await now.stop();
      await old.stop();
    }
  });
});

describe('a re-created database on a shared Redis', () => {
  it('settles even though its outbox ids repeat those of jobs the old database left in Redis', async () => {
    const prefix = { QUEUE_PREFIX: `test-recreated-${uid('q')}` };
    const first = await startTestService(prefix);
    const p1 = await projectInProgress(first.http);
    const m1 = await fundedMilestone(first.http, p1, '10');
    const oldIds = (await first.db('outbox').where({ instance_id: m1.id }).orderBy('id').select('id')).map((r) => r.id);
    await first.stop({ keepQueueKeys: true });

    const second = await startTestService(prefix);
    try {
      const p2 = await projectInProgress(second.http);
      const m2 = await fundedMilestone(second.http, p2, '10');
      const newIds = (await second.db('outbox').where({ instance_id: m2.id }).orderBy('id').select('id')).map(
        (r) => r.id,
      );
      // Same ids as the old database's completed jobs: only the deployment id in the job id tells them apart.
      expect(newIds).toEqual(oldIds);
      await assertLedgerInvariants(second.db);
    } finally {
      await second.stop();
    }
  });
});

describe('outbox rows whose jobs were lost', () => {
  it('are re-enqueued by the sweeper and settle', async () => {
    // API only: the milestone's settlement command stays in the outbox.
    const api = await startTestService({}, { workers: false });
    let workers: TestService | undefined;
    try {
      const p = await projectInProgress(api.http);
      await deposit(api.http, p.employer, '40');
      const created = await api.http.post(`/v1/projects/${p.projectId}/milestones`, {
        type: 'CREATE',
        actor: p.employer,
        amount: '40',
        description: 'x',
      });
      // As if a relay had sent them to a Redis that then lost everything: relayed, never processed, no job.
      await api
        .db('outbox')
        .where({ instance_id: created.body.id })
        .update({ relayed_at: api.db.raw("now() - interval '1 hour'") });
      workers = await startTestService(
        { SWEEP_INTERVAL_MS: '100', SWEEP_GRACE_MS: '0' },
        { api: false, database: api.databaseName },
      );
      expect((await waitSettled(api.http, created.body.id)).state).toBe('in_progress');
      await assertLedgerInvariants(api.db);
    } finally {
      await workers?.stop();
      await api.stop();
    }
  });
});
