import { Worker, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import type { Logger } from '../src/logger.js';
import { deliverNotification } from './notifications.js';
import { createQueues, producerConnection, QUEUE_NAMES, workerConnection } from './queues.js';
import { OutboxRelay } from './outbox-relay.js';
import { settle } from './settlement.js';

/** The background side of the service: the outbox relay and the BullMQ workers that consume it. */
export class WorkerPool {
  private readonly connections: Redis[] = [];
  private readonly workers: Worker[] = [];
  private queues: Queue[] = [];
  private relay: OutboxRelay | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const producer = producerConnection(this.config);
    const consumer = workerConnection(this.config);
    this.connections.push(producer, consumer);
    for (const c of this.connections) c.on('error', (error) => this.log.warn({ err: error }, 'redis connection error'));

    const options = { connection: consumer, prefix: this.config.queuePrefix };
    const settlement = new Worker(
      QUEUE_NAMES.settlement,
      async (job) => settle(this.db, this.config, this.log, String(job.data.outboxId)),
      { ...options, concurrency: this.config.SETTLEMENT_CONCURRENCY },
    );
    const notifications = new Worker(
      QUEUE_NAMES.notification,
      async (job) => deliverNotification(this.db, this.log, String(job.data.outboxId)),
      { ...options, concurrency: this.config.NOTIFICATION_CONCURRENCY },
    );
    for (const w of [settlement, notifications]) {
      w.on('failed', (job, error) => this.log.error({ err: error, jobId: job?.id, queue: w.name }, 'job failed'));
      w.on('error', (error) => this.log.warn({ err: error, queue: w.name }, 'worker error'));
      this.workers.push(w);
    }
    const queues = createQueues(this.config, producer);
    this.queues = Object.values(queues);
    this.relay = new OutboxRelay(this.db, queues, this.config, this.log);
    await this.relay.start();
  }

  /** Stops taking new jobs, lets in-flight ones finish, then closes Redis connections (STYLE §16). */
  async stop(): Promise<void> {
    await this.relay?.stop();
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all(this.queues.map((q) => q.close()));
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
