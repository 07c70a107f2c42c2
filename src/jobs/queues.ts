import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';

/**
 * `settlement` for settlement outbox rows (money moves in their own transactions), `payout` for payouts to hand to
 * their provider (workers/payout-handover.ts) and `timer` for armed timers (delayed jobs). Notification and
 * transition outbox rows need no queue: the relay does them in its batch.
 */
export type QueueKey = 'settlement' | 'payout' | 'timer';

export const QUEUE_NAMES: Record<QueueKey, string> = {
  settlement: 'settlement',
  payout: 'payouts',
  timer: 'timers',
};

/** Workers need blocking commands that wait across reconnects (BullMQ: maxRetriesPerRequest null). */
export function workerConnection(config: Config): Redis {
  return new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
}

/**
 * Producers fail fast while Redis is away instead of queueing commands in memory: the outbox keeps the work
 * and the relay tries again, so nothing acknowledged is lost (docs/concepts.md "Redis down").
 */
export function producerConnection(config: Config): Redis {
  return new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
}

/** Jobs keep bounded state in Redis (STYLE §14); idempotency lives in the database, not in the job id. */
export function jobOptions(config: Config): JobsOptions {
  return {
    attempts: config.SETTLEMENT_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.SETTLEMENT_BACKOFF_MS },
    removeOnComplete: { count: config.JOBS_KEEP_COMPLETED },
    removeOnFail: { count: config.JOBS_KEEP_FAILED },
  };
}

export function createQueues(config: Config, connection: Redis): Record<QueueKey, Queue> {
  const make = (name: string) =>
    new Queue(name, { connection, prefix: config.queuePrefix, defaultJobOptions: jobOptions(config) });
  return {
    settlement: make(QUEUE_NAMES.settlement),
    payout: make(QUEUE_NAMES.payout),
    timer: make(QUEUE_NAMES.timer),
  };
}

/**
 * The job id of an outbox row: unique per database life (see the deployment table), and without the integer
 * form or colons BullMQ refuses in custom ids.
 */
export function outboxJobId(deploymentId: string, outboxId: bigint | string): string {
  return `${deploymentId}-outbox-${outboxId}`;
}

/** A settlement command's job: named by its outbox row (see outboxJobId); the worker reads the rest from the row. */
export function settlementJob(deploymentId: string, outboxId: bigint | string, requestId: string | null = null) {
  return {
    name: 'settlement',
    data: { outboxId: outboxId.toString(), ...(requestId ? { requestId } : {}) },
    opts: { jobId: outboxJobId(deploymentId, outboxId) },
  };
}

/** A payout's job: named by its outbox row, like a settlement's; the worker reads the payout from the row. */
export function payoutJob(deploymentId: string, outboxId: bigint | string, requestId: string | null = null) {
  return { ...settlementJob(deploymentId, outboxId, requestId), name: 'payout' };
}

export function timerJobId(deploymentId: string, timerId: bigint | string): string {
  return `${deploymentId}-timer-${timerId}`;
}

/** Removes every key a deployment's queues keep in Redis: for dropping a scratch deployment (tests, benchmarks). */
export async function deleteQueueKeys(redisUrl: string, queuePrefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
