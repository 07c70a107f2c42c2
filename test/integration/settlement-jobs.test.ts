import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstance } from '../../src/engine/instance-row.js';
import { createQueues, outboxJobId, producerConnection, settlementsJob } from '../../src/jobs/queues.js';
import { createLogger } from '../../src/logger.js';
import { SignalBus } from '../../src/signals/signal-bus.js';
import { WorkerPool } from '../../workers/worker-pool.js';
import { eventually } from '../support/eventually.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { createdMilestone, projectInProgress, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// A settlements job carries the commands of one relay pass (workers/worker-pool.ts): the commands that settle are
// settled, and one that fails gets a job of its own, which fails alone as before.
describe('settlements jobs', () => {
  let svc: TestService;
  const log = createLogger('silent');
  // The API alone at first: its commands wait in the outbox until the test has set them up.
  beforeAll(async () => {
    svc = await startTestService({}, { workers: false });
  });
  afterAll(async () => svc?.stop());

  const stateOf = async (id: string) => (await findInstance(svc.db, id, 'milestone')).snapshot.value;

  async function milestoneWithCommand(p: Parties) {
    const id = await createdMilestone(svc.http, p, '40');
    const [row] = await svc.db('outbox').where({ instance_id: id, topic: 'settlement' }).select('id', 'request_id');
    return { id, command: row as { id: bigint; request_id: string | null } };
  }

  it('settle what settles and hand a command that fails to a job of its own', async () => {
    const p = await projectInProgress(svc.http);
    const good = await milestoneWithCommand(p);
    const corrupt = await milestoneWithCommand(p);
    // A command for a seq its milestone is not at: corrupt state, which no attempt can settle.
    await svc.db('outbox').where({ id: corrupt.command.id }).update({ seq: 99 });
    // Relayed already, so that the workers' own relay leaves them to this test's job (and the sweeper to it, by
    // its grace period).
    await svc
      .db('outbox')
      .whereIn('id', [String(good.command.id), String(corrupt.command.id)])
      .update({ relayed_at: svc.db.fn.now() });

    const config = { ...svc.config, SWEEP_GRACE_MS: 3_600_000 };
    const signals = new SignalBus(config, log);
    const pool = new WorkerPool(svc.db, config, log, null, signals);
    const connection = producerConnection(config);
    const queues = createQueues(config, connection);
    try {
      await pool.start();
      const deployment: { id: string } = await svc.db('deployment').first('id');
      const deploymentId = deployment.id;
      const batch = settlementsJob(deploymentId, [corrupt.command, good.command]);
      await queues.settlement.add(batch.name, batch.data, batch.opts);

      // The job is read once it is in that state: read before, it could finish in between and lack its result.
      const finished = async (jobId: string, state: 'completed' | 'failed'): Promise<Job> => {
        await eventually(async () => expect(await queues.settlement.getJobState(jobId)).toBe(state));
        return (await queues.settlement.getJob(jobId))!;
      };
      const done = await finished(batch.opts.jobId, 'completed');
      expect(done.returnvalue).toEqual({ done: 1, handedOver: 1 });
      expect(await stateOf(good.id)).toBe('in_progress');

      const own = await finished(outboxJobId(deploymentId, corrupt.command.id), 'failed');
      const requestId = corrupt.command.request_id;
      expect(requestId).not.toBeNull();
      expect(own.data).toEqual({ outboxId: String(corrupt.command.id), requestId });
      expect(own.failedReason).toMatch(/was for 99/);
      // Unrecoverable: no attempt after the first, and nothing moved; left for support to see (cli stuck).
      expect(own.attemptsMade).toBe(1);
      expect(await stateOf(corrupt.id)).toBe('funding');
      await assertLedgerInvariants(svc.db);
    } finally {
      await pool.stop();
      await signals.close();
      await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true }).then(() => q.close())));
      connection.disconnect();
    }
  });
});
