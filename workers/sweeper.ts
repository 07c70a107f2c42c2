import type { Queue } from 'bullmq';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import type { Logger } from '../src/logger.js';
import { outboxJobId, timerJobId, type QueueKey } from '../src/jobs/queues.js';
import { commandsInLiveJobs, requeue } from '../src/jobs/requeue.js';
import { runEvery, type Repeating } from './run-every.js';

interface Orphan {
  queue: Queue;
  jobId: string;
  name: string;
  data: Record<string, string>;
}

/**
 * Re-enqueues work whose BullMQ job was lost (e.g. Redis restarted empty): armed timers due longer than the
 * grace, and relayed outbox rows still unprocessed after it. A job still waiting, delayed or active is left
 * alone, the command's own or a relay job that carries it; a finished one whose row is still open is replaced
 * (see requeue.ts).
 */
export class Sweeper {
  private repeating: Repeating | null = null;

  constructor(
    private readonly db: Db,
    private readonly queues: Record<QueueKey, Queue>,
    private readonly deploymentId: string,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.repeating = runEvery(
      this.config.SWEEP_INTERVAL_MS,
      async () => {
        const n = await this.sweep();
        if (n > 0) this.log.warn({ reenqueued: n }, 'sweeper re-enqueued lost jobs');
      },
      (error) => this.log.warn({ err: error }, 'sweep failed; will retry'),
    );
  }

  /** One pass; returns how many jobs it re-enqueued. */
  async sweep(): Promise<number> {
    const graceMs = this.config.SWEEP_GRACE_MS;
    const limit = this.config.SWEEP_BATCH_SIZE;
    const timers: { id: bigint }[] = await this.db('timers')
      .where({ status: 'armed' })
      .whereNotNull('enqueued_at')
      .andWhere('fire_at', '<', this.db.raw("now() - (?::bigint * interval '1 millisecond')", [graceMs]))
      .orderBy('fire_at')
      .limit(limit)
      .select('id');
    const rows: { id: bigint; topic: QueueKey }[] = await this.db('outbox')
      .whereNotNull('relayed_at')
      .whereNull('processed_at')
      .andWhere('relayed_at', '<', this.db.raw("now() - (?::bigint * interval '1 millisecond')", [graceMs]))
      .orderBy('id')
      .limit(limit)
      .select('id', 'topic');
    // Commands a live relay job carries are not lost, only waiting (a backlog, workers restarting, a retry's backoff).
    const carried = rows.some((r) => r.topic === 'settlement')
      ? await commandsInLiveJobs(this.queues.settlement)
      : new Set<string>();
    const candidates: Orphan[] = [
      ...timers.map((t) => ({
        queue: this.queues.timer,
        jobId: timerJobId(this.deploymentId, t.id),
        name: 'timer',
        data: { timerId: t.id.toString() },
      })),
      ...rows
        .filter((r) => r.topic in this.queues && !carried.has(r.id.toString()))
        .map((r) => ({
          queue: this.queues[r.topic],
          jobId: outboxJobId(this.deploymentId, r.id),
          name: r.topic,
          data: { outboxId: r.id.toString() },
        })),
    ];
    let reenqueued = 0;
    for (const c of candidates) {
      if ((await requeue(c.queue, c.jobId, c.name, c.data)) === 'enqueued') reenqueued++;
    }
    return reenqueued;
  }

  async stop(): Promise<void> {
    await this.repeating?.stop();
  }
}
