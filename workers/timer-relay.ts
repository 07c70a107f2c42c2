import type { Queue } from 'bullmq';
import type { Knex } from 'knex';
import { preparedStatement } from '../src/db/prepared.js';
import { timerJobId } from './queues.js';

const unscheduledTimersStatement = preparedStatement<{ id: bigint; delay_ms: bigint }>(
  'unscheduled_timers',
  `SELECT id, greatest(0, ceil(extract(epoch FROM fire_at - now()) * 1000))::bigint AS delay_ms
   FROM timers WHERE status = 'armed' AND enqueued_at IS NULL
   ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
);
const markScheduledStatement = preparedStatement('mark_timers_scheduled', 'UPDATE timers SET enqueued_at = now() WHERE id = ANY(?::bigint[])');

/**
 * Schedules a BullMQ delayed job for each armed timer not yet scheduled, in the relay's transaction. The
 * delay is computed by the database clock (the one that set fire_at); the job id names the timer, so a
 * second scheduling of the same timer adds nothing while the job is kept.
 */
export async function relayTimers(trx: Knex.Transaction, queue: Queue, deploymentId: string, batchSize: number): Promise<number> {
  const timers = await unscheduledTimersStatement(trx, [batchSize]);
  if (timers.length === 0) return 0;
  await queue.addBulk(
    timers.map((t) => ({ name: 'timer', data: { timerId: t.id.toString() }, opts: { jobId: timerJobId(deploymentId, t.id), delay: Number(t.delay_ms) } })),
  );
  await markScheduledStatement(trx, [timers.map((t) => t.id.toString())]);
  return timers.length;
}
