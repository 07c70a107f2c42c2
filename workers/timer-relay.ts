import type { Queue } from 'bullmq';
import type { Knex } from 'knex';
import { timerJobId } from './queues.js';

/**
 * Schedules a BullMQ delayed job for each armed timer not yet scheduled, in the relay's transaction. The
 * delay is computed by the database clock (the one that set fire_at); the job id names the timer, so a
 * second scheduling of the same timer adds nothing while the job is kept.
 */
export async function relayTimers(trx: Knex.Transaction, queue: Queue, deploymentId: string, batchSize: number): Promise<number> {
  const timers: { id: bigint; delay_ms: bigint }[] = await trx('timers')
    .where({ status: 'armed' })
    .whereNull('enqueued_at')
    .orderBy('id')
    .limit(batchSize)
    .forUpdate()
    .skipLocked()
    .select('id', trx.raw("greatest(0, ceil(extract(epoch FROM fire_at - now()) * 1000))::bigint AS delay_ms"));
  if (timers.length === 0) return 0;
  await queue.addBulk(
    timers.map((t) => ({ name: 'timer', data: { timerId: t.id.toString() }, opts: { jobId: timerJobId(deploymentId, t.id), delay: Number(t.delay_ms) } })),
  );
  await trx('timers').whereIn('id', timers.map((t) => t.id.toString())).update({ enqueued_at: trx.fn.now() });
  return timers.length;
}
