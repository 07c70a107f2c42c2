import type { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/knex.js';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

// A scrape must not hang on a sick dependency: each read gives up after this long and its gauge is left empty.
const SCRAPE_READ_TIMEOUT_MS = 2_000;
const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

function withTimeout<T>(work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error('metrics read timed out')), SCRAPE_READ_TIMEOUT_MS).unref(),
    ),
  ]);
}

type Quietly = (what: string) => (error: unknown) => null;

/** Rows of a metrics read, typed by the caller: each gauge reads a few named columns it casts itself. */
function read<T>(query: PromiseLike<unknown>): Promise<T> {
  return withTimeout(Promise.resolve(query) as Promise<T>);
}

/**
 * Gauges read from Postgres and Redis at scrape time, so they are true for the whole deployment whichever
 * process serves /metrics.
 */
export function registerStateGauges(metrics: Metrics, db: Db, queues: readonly Queue[], log: Logger): void {
  const registers = [metrics.registry];
  // A failed read yields null and the gauge keeps its last value (or stays empty): never a made-up zero.
  const quietly: Quietly = (what) => (error) => {
    log.debug({ err: error, what }, 'metrics read failed');
    return null;
  };
  registerOutboxGauges(db, registers, quietly);
  registerQueueGauge(queues, registers, quietly);
  registerWebhookGauge(db, registers, quietly);
  registerTimerGauges(db, registers, quietly);
}

function registerOutboxGauges(db: Db, registers: Registry[], quietly: Quietly): void {
  new Gauge({
    name: 'escrow_outbox_oldest_unrelayed_age_seconds',
    help: 'Age of the oldest outbox row not yet handed to BullMQ (0 when none): the relay is behind or Redis is down.',
    registers,
    async collect() {
      const row = await read<{ age: number } | undefined>(
        db('outbox')
          .whereNull('relayed_at')
          .orderBy('id')
          .first(db.raw('extract(epoch FROM now() - created_at)::float8 AS age')),
      ).catch(quietly('outbox unrelayed'));
      if (row !== null) this.set(Number(row?.age ?? 0));
    },
  });

  new Gauge({
    name: 'escrow_outbox_oldest_unprocessed_age_seconds',
    help: 'Age of the oldest outbox row whose effect is not done yet, by topic (settlement, notification, transition).',
    labelNames: ['topic'] as const,
    registers,
    async collect() {
      const rows = await read<{ topic: string; age: number }[]>(
        db('outbox')
          .whereNull('processed_at')
          .groupBy('topic')
          .select('topic', db.raw('extract(epoch FROM now() - min(created_at))::float8 AS age')),
      ).catch(quietly('outbox unprocessed'));
      if (rows === null) return;
      this.reset();
      for (const topic of ['settlement', 'notification', 'transition']) this.set({ topic }, 0);
      for (const r of rows) this.set({ topic: r.topic }, Number(r.age));
    },
  });
}

function registerQueueGauge(queues: readonly Queue[], registers: Registry[], quietly: Quietly): void {
  new Gauge({
    name: 'escrow_queue_jobs',
    help: 'BullMQ jobs by queue and state.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      for (const queue of queues) {
        const counts = await withTimeout(queue.getJobCounts(...JOB_STATES)).catch(quietly(`queue ${queue.name}`));
        if (!counts) continue;
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
}

function registerWebhookGauge(db: Db, registers: Registry[], quietly: Quietly): void {
  new Gauge({
    name: 'escrow_webhook_deliveries',
    help: 'Webhook deliveries waiting (pending) or given up (dead, until re-driven).',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const rows = await read<{ status: string; n: number }[]>(
        db('webhook_deliveries')
          .whereIn('status', ['pending', 'dead'])
          .groupBy('status')
          .select('status', db.raw('count(*)::int AS n')),
      ).catch(quietly('webhook deliveries'));
      if (rows === null) return;
      this.reset();
      for (const status of ['pending', 'dead'])
        this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0));
    },
  });
}

function registerTimerGauges(db: Db, registers: Registry[], quietly: Quietly): void {
  new Gauge({
    name: 'escrow_timers_armed',
    help: 'Durable timers armed and not yet fired or cancelled (dispute deadlines, feedback window).',
    registers,
    async collect() {
      const row = await read<{ n: number } | undefined>(
        db('timers').where({ status: 'armed' }).first(db.raw('count(*)::int AS n')),
      ).catch(quietly('timers'));
      if (row !== null) this.set(Number(row?.n ?? 0));
    },
  });

  new Gauge({
    name: 'escrow_timers_overdue_age_seconds',
    help: 'How long the most overdue armed timer is past its fire time (0 when none): timers are not firing.',
    registers,
    async collect() {
      const row = await read<{ age: number } | undefined>(
        db('timers')
          .where({ status: 'armed' })
          .andWhere('fire_at', '<', db.fn.now())
          .first(db.raw('coalesce(extract(epoch FROM now() - min(fire_at)), 0)::float8 AS age')),
      ).catch(quietly('timers overdue'));
      if (row !== null) this.set(Number(row?.age ?? 0));
    },
  });
}
