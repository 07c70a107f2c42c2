import { Queue, type JobsOptions } from 'bullmq';
import type { Config } from '../config.js';
import { keyHolders, redisConnection, type RedisConnection } from '../net/redis-connection.js';

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
export function workerConnection(config: Config): RedisConnection {
  return redisConnection(config, { maxRetriesPerRequest: null });
}

/**
 * Producers fail fast while Redis is away instead of queueing commands in memory: the outbox keeps the work
 * and the relay tries again, so nothing acknowledged is lost (docs/concepts.md "Redis down").
 */
export function producerConnection(config: Config): RedisConnection {
  return redisConnection(config, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
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

export function createQueues(config: Config, connection: RedisConnection): Record<QueueKey, Queue> {
  const make = (name: string) =>
    new Queue(name, { connection, prefix: config.bullmqPrefix, defaultJobOptions: jobOptions(config) });
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

/**
 * The settlement commands of one relay pass, in one job: a job costs BullMQ two Lua scripts in Redis and their round
 * trips whatever it carries, which per command was as much CPU as Redis spent on everything else (bench/README.md,
 * round 10). Named by its first and last rows, which belong to no other pass. The worker settles the commands
 * together and hands any that fails to a job of its own (settlementJob), so that a bad command still fails only
 * its own job; the sweeper and redrive still queue a command alone.
 */
export function settlementsJob(
  deploymentId: string,
  rows: readonly { id: bigint | string; request_id: string | null }[],
) {
  const first = outboxJobId(deploymentId, rows[0]!.id);
  return {
    name: 'settlements',
    data: { outboxIds: rows.map((r) => r.id.toString()), requestIds: rows.map((r) => r.request_id) },
    opts: { jobId: `${first}-to-${rows.at(-1)!.id}` },
  };
}

/** A payout's job: named by its outbox row, like a settlement's; the worker reads the payout from the row. */
export function payoutJob(deploymentId: string, outboxId: bigint | string, requestId: string | null = null) {
  return { ...settlementJob(deploymentId, outboxId, requestId), name: 'payout' };
}

export function timerJobId(deploymentId: string, timerId: bigint | string): string {
  return `${deploymentId}-timer-${timerId}`;
}

/**
 * Removes every key a deployment's queues keep in Redis (those under its BullMQ prefix), on every master of a
 * cluster: for dropping a scratch deployment (tests, benchmarks).
 */
export async function deleteQueueKeys(
  redisSettings: Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'bullmqPrefix'>,
): Promise<void> {
  const connection = redisConnection(redisSettings, { maxRetriesPerRequest: 1 });
  try {
    // A cluster client knows its masters once it is ready, which the first command waits for.
    await connection.ping();
    for (const node of keyHolders(connection)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${redisSettings.bullmqPrefix}:*`, 'COUNT', 1000);
        cursor = next;
        // All under one hash tag, so one slot: a multi-key DEL is allowed on a cluster too.
        if (keys.length > 0) await node.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    await connection.quit();
  }
}
