import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { SignalBus } from '../../src/signals/signal-bus.js';
import { OutboxRelay } from '../../workers/outbox-relay.js';
import { createQueues, outboxJobId, producerConnection } from '../../src/jobs/queues.js';
import { Sweeper } from '../../workers/sweeper.js';
import { redriveInstance } from '../../src/stuck/redrive.js';
import { createdMilestone, projectInProgress } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// The relay queues jobs only after its batch has committed, and leaves refused ones to the sweeper
// (workers/outbox-relay.ts).
describe('outbox relay and settlement jobs', () => {
  let svc: TestService;
  const log = createLogger('silent');
  // The API alone: the test runs the relay itself.
  beforeAll(async () => {
    svc = await startTestService({}, { workers: false });
  });
  afterAll(async () => svc?.stop());

  function startRelay(settlementBatchMax?: number) {
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: svc.config.DATABASE_URL,
      QUEUE_PREFIX: svc.config.queuePrefix,
      ...(settlementBatchMax === undefined ? {} : { SETTLEMENT_BATCH_MAX: String(settlementBatchMax) }),
    });
    const connection = producerConnection(config);
    connection.on('error', () => undefined);
    const queues = createQueues(config, connection);
    for (const q of Object.values(queues)) q.on('error', () => undefined);
    const signals = new SignalBus(config, log);
    const relay = new OutboxRelay(svc.db, queues, 'relay-test', config, log, signals);
    const close = async () => {
      await relay.stop();
      await signals.close();
      await Promise.all(Object.values(queues).map((q) => q.close().catch(() => undefined)));
      connection.disconnect();
    };
    return { relay, queues, connection, close };
  }

  // The settlements job that carries an outbox row (workers/outbox-relay.ts puts a pass's commands in one).
  async function settlementsJobOf(queue: Queue, outboxId: bigint) {
    const jobs = await queue.getJobs(['waiting']);
    return jobs.find((j) => (j.data as { outboxIds?: string[] }).outboxIds?.includes(String(outboxId)));
  }

  it('commits its batch whatever Redis says, and leaves a refused settlement job to the sweeper', async () => {
    const milestoneId = await createdMilestone(svc.http, await projectInProgress(svc.http), '10');
    const rows = () =>
      svc
        .db('outbox')
        .where({ instance_id: milestoneId })
        .orderBy('id')
        .select('id', 'topic', 'relayed_at', 'processed_at');

    // A queue whose connection is gone refuses the jobs at once (producers fail fast: workers/queues.ts).
    const refusing = startRelay();
    try {
      refusing.connection.disconnect();
      expect(await refusing.relay.drainAll()).toBeGreaterThan(0);
    } finally {
      await refusing.close();
    }
    const after = await rows();
    // Notifications and fan-out are done; the settlement is stamped relayed and waits, jobless, for the sweeper.
    expect(
      after.filter((r) => r.topic !== 'settlement').every((r) => r.relayed_at !== null && r.processed_at !== null),
    ).toBe(true);
    const settlement = after.find((r) => r.topic === 'settlement')!;
    expect(settlement.relayed_at).not.toBeNull();
    expect(settlement.processed_at).toBeNull();

    const working = startRelay();
    try {
      expect(await working.queues.settlement.getJob(outboxJobId('relay-test', settlement.id))).toBeUndefined();
      const sweeper = new Sweeper(svc.db, working.queues, 'relay-test', { ...svc.config, SWEEP_GRACE_MS: 0 }, log);
      expect(await sweeper.sweep()).toBeGreaterThanOrEqual(1);
      const job = await working.queues.settlement.getJob(outboxJobId('relay-test', settlement.id));
      expect(await job?.getState()).toBe('waiting');
      expect(job?.data).toMatchObject({ outboxId: String(settlement.id) });
      await Promise.all(Object.values(working.queues).map((q) => q.obliterate({ force: true })));
    } finally {
      await working.close();
    }
  });

  it('leaves a command a live relay job carries to that job, in the sweeper and in a redrive', async () => {
    const milestoneId = await createdMilestone(svc.http, await projectInProgress(svc.http), '10');
    const working = startRelay();
    try {
      await working.relay.drainAll();
      const [row] = await svc.db('outbox').where({ instance_id: milestoneId, topic: 'settlement' }).select('id');
      const ownJob = () => working.queues.settlement.getJob(outboxJobId('relay-test', row!.id));
      expect(await settlementsJobOf(working.queues.settlement, row!.id)).toBeDefined();
      // Waiting in the relay's job, past the grace period: not lost, so neither queues it alone.
      const sweeper = new Sweeper(svc.db, working.queues, 'relay-test', { ...svc.config, SWEEP_GRACE_MS: 0 }, log);
      await sweeper.sweep();
      expect(await ownJob()).toBeUndefined();
      expect(await redriveInstance(svc.db, working.queues.settlement, 'relay-test', milestoneId)).toEqual({
        id: milestoneId,
        outcome: 'already_queued',
        outboxId: String(row!.id),
      });
      expect(await ownJob()).toBeUndefined();
      // The relay's job lost (Redis emptied): the sweeper queues the command alone.
      await working.queues.settlement.obliterate({ force: true });
      await sweeper.sweep();
      expect(await (await ownJob())?.getState()).toBe('waiting');
      await Promise.all(Object.values(working.queues).map((q) => q.obliterate({ force: true })));
    } finally {
      await working.close();
    }
  });

  it('tries the jobs Redis refused again at its next pass', async () => {
    const milestoneId = await createdMilestone(svc.http, await projectInProgress(svc.http), '10');
    const relay = startRelay();
    try {
      relay.connection.disconnect();
      await relay.relay.drainAll();
      const [row] = await svc
        .db('outbox')
        .where({ instance_id: milestoneId, topic: 'settlement' })
        .select('id', 'relayed_at');
      expect(row!.relayed_at).not.toBeNull();
      // Redis is back (a queue on a live connection in place of the dead one): the next pass, with nothing new to
      // relay, queues what was refused.
      const live = startRelay();
      relay.queues.settlement = live.queues.settlement;
      await relay.relay.drainAll();
      // The same job as was refused: the rows of that pass, under the id they had then.
      expect((await settlementsJobOf(live.queues.settlement, row!.id))?.id).toBe(
        `relay-test-outbox-${row!.id}-to-${row!.id}`,
      );
      await Promise.all(Object.values(live.queues).map((q) => q.obliterate({ force: true })));
      await live.close();
    } finally {
      await relay.close();
    }
  });

  it("queues the settlement rows of a pass in jobs of up to a transaction's worth, in outbox order", async () => {
    const p = await projectInProgress(svc.http);
    const milestones: string[] = [];
    for (let i = 0; i < 5; i++) milestones.push(await createdMilestone(svc.http, p, '10'));
    const working = startRelay(2);
    try {
      await working.relay.drainAll();
      const rows: { id: bigint; relayed_at: Date | null; request_id: string | null }[] = await svc
        .db('outbox')
        .whereIn('instance_id', milestones)
        .where({ topic: 'settlement' })
        .orderBy('id')
        .select('id', 'relayed_at', 'request_id');
      expect(rows).toHaveLength(5);
      expect(rows.every((r) => r.relayed_at !== null)).toBe(true);
      const ids = rows.map((r) => String(r.id));
      // SETTLEMENT_BATCH_MAX is 2 here: the five commands of one pass go out as jobs of 2, 2 and 1.
      const jobs = (await working.queues.settlement.getJobs(['waiting']))
        .filter((j) => j.name === 'settlements')
        .map((j) => j.data as { outboxIds: string[]; requestIds: (string | null)[] })
        .filter((d) => d.outboxIds.some((id) => ids.includes(id)))
        .sort((a, b) => (BigInt(a.outboxIds[0]!) < BigInt(b.outboxIds[0]!) ? -1 : 1));
      expect(jobs.map((d) => d.outboxIds)).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
      expect(jobs.flatMap((d) => d.requestIds)).toEqual(rows.map((r) => r.request_id));
      // None of them has a job of its own: that is for the sweeper, redrive and a command a job hands over.
      for (const r of rows)
        expect(await working.queues.settlement.getJob(outboxJobId('relay-test', r.id))).toBeUndefined();
      await Promise.all(Object.values(working.queues).map((q) => q.obliterate({ force: true })));
    } finally {
      await working.close();
    }
  });
});
