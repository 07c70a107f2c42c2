import type { Queue } from 'bullmq';
import pg from 'pg';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import { inTransaction } from '../src/db/transaction.js';
import { OUTBOX_CHANNEL, type OutboxTopic } from '../src/engine/effects.js';
import type { Logger } from '../src/logger.js';
import { OUTBOX_TOPICS, outboxJobId, type QueueKey } from './queues.js';
import { relayTimers } from './timer-relay.js';

interface OutboxRow {
  id: bigint;
  topic: OutboxTopic;
  instance_id: string;
  request_id: string | null;
}

/**
 * Moves committed outbox rows (and newly armed timers, see timer-relay.ts) into BullMQ. Woken by LISTEN/NOTIFY, with a polling fallback for missed
 * notifications (listener reconnecting, another process's rows). The job id names the outbox row, so sending a
 * row twice (crash between add and commit) adds nothing while the job is still kept, and the worker's
 * processed_at check covers the rest.
 */
export class OutboxRelay {
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly queues: Record<QueueKey, Queue>,
    private readonly deploymentId: string,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.listen();
    this.timer = setInterval(() => this.wake(), this.config.RELAY_POLL_MS);
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drainAll()
      .then(() => undefined)
      .catch((error: unknown) => this.log.warn({ err: error }, 'outbox relay pass failed; will retry'))
      .finally(() => {
        this.draining = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Relays until the outbox has nothing unrelayed left; returns the number of rows relayed. */
  async drainAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.drainBatch();
      total += n;
      if (n < this.config.RELAY_BATCH_SIZE || this.stopped) return total;
    }
  }

  private async drainBatch(): Promise<number> {
    return inTransaction(this.db, async (trx) => {
      // SKIP LOCKED lets several relays (one per process) share the outbox without waiting on each other.
      const rows: OutboxRow[] = await trx('outbox')
        .whereNull('relayed_at')
        .orderBy('id')
        .limit(this.config.RELAY_BATCH_SIZE)
        .forUpdate()
        .skipLocked()
        .select('id', 'topic', 'instance_id', 'request_id');
      const timers = await relayTimers(trx, this.queues.timer, this.deploymentId, this.config.RELAY_BATCH_SIZE);
      if (rows.length === 0) return timers;
      for (const topic of OUTBOX_TOPICS) {
        const jobs = rows
          .filter((r) => r.topic === topic)
          .map((r) => ({ name: topic, data: { outboxId: r.id.toString(), ...(r.request_id ? { requestId: r.request_id } : {}) }, opts: { jobId: outboxJobId(this.deploymentId, r.id) } }));
        if (jobs.length > 0) await this.queues[topic].addBulk(jobs);
      }
      await trx('outbox').whereIn('id', rows.map((r) => r.id.toString())).update({ relayed_at: trx.fn.now() });
      return Math.max(rows.length, timers);
    });
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.DATABASE_URL });
    client.on('notification', () => this.wake());
    // A lost listener only delays relaying until the next poll; reconnect it rather than crash.
    client.on('error', (error) => {
      this.log.warn({ err: error }, 'outbox listener lost; polling until it reconnects');
      this.listener = null;
      setTimeout(() => void this.reconnect(), this.config.RELAY_POLL_MS).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    this.listener = client;
  }

  private async reconnect(): Promise<void> {
    if (this.stopped || this.listener) return;
    try {
      await this.listen();
    } catch (error) {
      this.log.warn({ err: error }, 'outbox listener reconnect failed');
      setTimeout(() => void this.reconnect(), this.config.RELAY_POLL_MS).unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
  }
}
