import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { SignalBus } from '../../src/signals/signal-bus.js';
import { OutboxRelay } from '../../workers/outbox-relay.js';
import { createQueues, outboxJobId, producerConnection } from '../../workers/queues.js';
import { deposit, projectInProgress } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// The relay queues settlement jobs only after its batch has committed (workers/outbox-relay.ts).
describe('outbox relay and settlement jobs', () => {
  let svc: TestService;
  const log = createLogger('silent');
  // The API alone: the test runs the relay itself.
  beforeAll(async () => {
    svc = await startTestService({}, { workers: false });
  });
  afterAll(async () => svc?.stop());

  async function startRelay() {
    const config = loadConfig({ ...process.env, DATABASE_URL: svc.config.DATABASE_URL, QUEUE_PREFIX: svc.config.queuePrefix });
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

  it('hands settlement rows back when Redis refuses their jobs, and queues them once it takes them', async () => {
    const p = await projectInProgress(svc.http);
    await deposit(svc.http, p.employer, '10');
    const created = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, { type: 'CREATE', actor: p.employer, amount: '10', description: 'd' });
    const rows = () => svc.db('outbox').where({ instance_id: created.body.id }).orderBy('id').select('id', 'topic', 'relayed_at', 'processed_at');

    // A queue whose connection is gone refuses the jobs at once (producers fail fast: workers/queues.ts).
    const refusing = await startRelay();
    try {
      refusing.connection.disconnect();
      await expect(refusing.relay.drainAll()).rejects.toThrow();
    } finally {
      await refusing.close();
    }
    const afterFailure = await rows();
    // Notifications and fan-out were done in the committed batch; the settlement waits for the next pass.
    expect(afterFailure.filter((r) => r.topic !== 'settlement').every((r) => r.relayed_at !== null && r.processed_at !== null)).toBe(true);
    const settlement = afterFailure.find((r) => r.topic === 'settlement')!;
    expect(settlement.relayed_at).toBeNull();
    expect(settlement.processed_at).toBeNull();

    const working = await startRelay();
    try {
      await working.relay.drainAll();
      const [again] = (await rows()).filter((r) => r.topic === 'settlement');
      expect(again!.relayed_at).not.toBeNull();
      const job = await working.queues.settlement.getJob(outboxJobId('relay-test', again!.id));
      expect(await job?.getState()).toBe('waiting');
      expect(job?.data).toMatchObject({ outboxId: String(again!.id), instanceId: created.body.id });
      await Promise.all(Object.values(working.queues).map((q) => q.obliterate({ force: true })));
    } finally {
      await working.close();
    }
  });
});
