import { DelayedError, Worker, type Queue, type WorkerOptions } from 'bullmq';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics/metrics.js';
import type { RedisConnection } from '../src/net/redis-connection.js';
import type { SignalBus } from '../src/signals/signal-bus.js';
import {
  createQueues,
  producerConnection,
  QUEUE_NAMES,
  settlementJob,
  workerConnection,
  type QueueKey,
} from '../src/jobs/queues.js';
import { OutboxRelay } from './outbox-relay.js';
import { Batcher } from '../src/db/batcher.js';
import { settleBatch, type SettlementResult } from './settlement.js';
import { DeadlineReminders } from './deadline-reminders.js';
import { IdempotencyExpiry } from './idempotency-expiry.js';
import { PlannerStatistics } from './planner-statistics.js';
import { Sweeper } from './sweeper.js';
import { fireTimer } from '../src/engine/fire-timer.js';
import { handOverPayout } from './payout-handover.js';
import { payoutProviders } from '../src/payouts/providers.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

/**
 * What the relay and the sweeper put in a job: the row it stands for, and the request that caused it; or, for the
 * settlements of one relay pass, their rows and requests (settlementsJob).
 */
interface JobData {
  outboxId?: string;
  timerId?: string;
  requestId?: string;
  outboxIds?: string[];
  requestIds?: (string | null)[];
}

/** Names this database's life in job ids (see the deployment table in the core migration). */
async function deploymentIdOf(db: Db): Promise<string> {
  const row = await db('deployment').first<{ id: string } | undefined>('id');
  if (!row) throw new Error('deployment row missing: the database was not migrated');
  return row.id;
}

/** The background side of the service: the relay, the BullMQ workers that consume it, the dispatcher and the sweeper. */
export class WorkerPool {
  private readonly connections: RedisConnection[] = [];
  private readonly workers: Worker[] = [];
  private queues: Queue[] = [];
  private relay: OutboxRelay | null = null;
  private sweeper: Sweeper | null = null;
  private statistics: PlannerStatistics | null = null;
  private reminders: DeadlineReminders | null = null;
  private idempotencyExpiry: IdempotencyExpiry | null = null;
  private dispatcher: WebhookDispatcher | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics | null,
    private readonly signals: SignalBus,
  ) {}

  async start(): Promise<void> {
    const producer = producerConnection(this.config);
    const consumer = workerConnection(this.config);
    this.connections.push(producer, consumer);
    for (const c of this.connections) c.on('error', (error) => this.log.warn({ err: error }, 'redis connection error'));

    // A job held by a worker process that died is handed to another once its lock lapses and a stalled check
    // runs; BullMQ's 30 s defaults made recovery after kill -9 take up to a minute.
    const options: WorkerOptions = {
      connection: consumer,
      prefix: this.config.bullmqPrefix,
      lockDuration: this.config.WORKER_LOCK_DURATION_MS,
      stalledInterval: this.config.WORKER_STALLED_INTERVAL_MS,
    };
    // Before the workers: a settlements job hands its failed commands to jobs of their own on this queue.
    const queues = createQueues(this.config, producer);
    this.queues = Object.values(queues);
    const deploymentId = await deploymentIdOf(this.db);
    const settlementWorker = this.settlementWorker(options, queues.settlement, deploymentId);
    for (const w of [settlementWorker, this.payoutWorker(options), this.timerWorker(options)]) {
      w.on('failed', (job, error) =>
        this.log.error(
          { err: error, jobId: job?.id, requestId: job?.data.requestId ?? job?.data.requestIds, queue: w.name },
          'job failed',
        ),
      );
      w.on('error', (error) => this.log.warn({ err: error, queue: w.name }, 'worker error'));
      this.workers.push(w);
    }
    await this.startBackground(queues, deploymentId);
  }

  private settlementWorker(options: WorkerOptions, queue: Queue, deploymentId: string): Worker<JobData> {
    // Group commit for settlements: commands whose jobs arrive while batches run share the next transaction. A
    // batch that fails for any reason is settled again one command at a time, so only a bad command fails.
    const settlements = new Batcher<string, SettlementResult>(
      (ids) => settleBatch(this.db, this.config, this.log, ids),
      { maxBatch: this.config.SETTLEMENT_BATCH_MAX, maxInFlight: this.config.SETTLEMENT_BATCHES_IN_FLIGHT },
      undefined,
      () => true,
    );
    const settleOne = async (outboxId: string) => {
      const { outcome, instanceId, projectId, relay } = await settlements.submit(outboxId);
      // Committed (now or by an earlier delivery): ?wait=settled readers of the milestone look again, and an API
      // process that remembers the project's row forgets it.
      if (instanceId) this.signals.instanceChanged(instanceId);
      if (projectId) this.signals.instanceChanged(projectId);
      if (outcome === 'settled' || outcome === 'failed') {
        // The event's own outbox rows (or armed timer) wait for the relay. Most settlements leave none: a pass
        // that finds nothing costs five statements (bench/README.md round 16).
        if (relay) this.relay?.wake();
        // The engine has no metrics hook yet, so the system events a settlement applies are counted here.
        this.metrics?.events.inc({
          machine: 'milestone',
          type: outcome === 'settled' ? 'SETTLED' : 'SETTLEMENT_FAILED',
          result: 'applied',
        });
      }
      return outcome;
    };
    return new Worker<JobData>(
      QUEUE_NAMES.settlement,
      async (job) => {
        const { outboxIds, requestIds } = job.data;
        // A command alone (the sweeper's, redrive's, or one a settlements job handed over): its failure is the
        // job's, retried with backoff and then left failed for support to see.
        if (outboxIds === undefined) return settleOne(String(job.data.outboxId));
        const results = await Promise.allSettled(outboxIds.map(settleOne));
        const failed = outboxIds.flatMap((id, i) => {
          const result = results[i]!;
          return result.status === 'rejected' ? [{ i, id, error: result.reason as unknown }] : [];
        });
        if (failed.length > 0) {
          for (const { id, error } of failed)
            this.log.warn({ err: error, jobId: job.id, outboxId: id }, 'settlement failed; it gets a job of its own');
          // Should Redis refuse these, this job fails and runs again: the settled commands are no-ops the second time.
          await queue.addBulk(failed.map(({ i, id }) => settlementJob(deploymentId, id, requestIds?.[i] ?? null)));
        }
        // Done: settled, failed for want of funds, or found done already.
        return { done: outboxIds.length - failed.length, handedOver: failed.length };
      },
      { ...options, concurrency: this.config.SETTLEMENT_CONCURRENCY },
    );
  }

  private payoutWorker(options: WorkerOptions): Worker<JobData> {
    const deps = {
      db: this.db,
      log: this.log,
      providers: payoutProviders(this.db, this.config),
      timeoutMs: this.config.PAYOUT_PROVIDER_TIMEOUT_MS,
    };
    return new Worker<JobData>(
      QUEUE_NAMES.payout,
      async (job, token) => {
        const result = await handOverPayout(deps, String(job.data.outboxId));
        if (result.payoutId) {
          this.signals.instanceChanged(result.payoutId);
          // The events this delivery applied (PROCESS, the outcome) have outbox rows of their own.
          this.relay?.wake();
        }
        // The provider has not decided yet: the same job asks again once it expects to have (BullMQ's manual
        // delay; no attempt is used up). Never, when a person decides (the manual provider).
        if (result.outcome === 'pending' && result.retryAfterMs != null) {
          await job.moveToDelayed(Date.now() + result.retryAfterMs, token);
          throw new DelayedError();
        }
        return result.outcome;
      },
      { ...options, concurrency: this.config.PAYOUT_CONCURRENCY },
    );
  }

  private timerWorker(options: WorkerOptions): Worker<JobData> {
    return new Worker<JobData>(
      QUEUE_NAMES.timer,
      async (job) => {
        const outcome = await fireTimer(this.db, this.log, String(job.data.timerId));
        if (outcome === 'fired') this.relay?.wake();
        return outcome;
      },
      { ...options, concurrency: this.config.TIMER_CONCURRENCY },
    );
  }

  /** The relay, sweeper, planner statistics, deadline reminders, idempotency key expiry and the webhook dispatcher. */
  private async startBackground(queues: Record<QueueKey, Queue>, deploymentId: string): Promise<void> {
    // Webhooks: the relay fans each applied event out into delivery rows; the dispatcher sends them.
    const dispatcher = new WebhookDispatcher(this.db, this.config, this.log, this.metrics);
    this.dispatcher = dispatcher;
    this.relay = new OutboxRelay(this.db, queues, deploymentId, this.config, this.log, this.signals, (created) => {
      this.metrics?.webhookDeliveriesCreated.inc(created);
      dispatcher.wake();
    });
    this.relay.start();
    this.sweeper = new Sweeper(this.db, queues, deploymentId, this.config, this.log);
    this.sweeper.start();
    this.statistics = new PlannerStatistics(this.db, this.config, this.log);
    await this.statistics.start();
    this.reminders = new DeadlineReminders(this.db, this.config, this.log, () => this.relay?.wake());
    this.reminders.start();
    this.idempotencyExpiry = new IdempotencyExpiry(this.db, this.config, this.log);
    this.idempotencyExpiry.start();
    dispatcher.start();
  }

  /** Stops taking new jobs, lets in-flight ones finish, then closes Redis connections (STYLE §16). */
  async stop(): Promise<void> {
    await this.sweeper?.stop();
    await this.statistics?.stop();
    await this.reminders?.stop();
    await this.idempotencyExpiry?.stop();
    await this.relay?.stop();
    await Promise.all(this.workers.map((w) => w.close()));
    // After the relay: no new deliveries appear; attempts in flight finish and are recorded.
    await this.dispatcher?.stop();
    await Promise.all(this.queues.map((q) => q.close()));
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
