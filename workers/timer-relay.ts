import type { Knex } from 'knex';
import { preparedStatement } from '../src/db/prepared.js';
import { timerJobId } from '../src/jobs/queues.js';

export interface TimerToSchedule {
  id: bigint;
  delay_ms: bigint;
}

const unscheduledTimersStatement = preparedStatement<TimerToSchedule>(
  'unscheduled_timers',
  `SELECT id, greatest(0, ceil(extract(epoch FROM fire_at - now()) * 1000))::bigint AS delay_ms
   FROM timers WHERE status = 'armed' AND enqueued_at IS NULL
   ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
);
const markScheduledStatement = preparedStatement(
  'mark_timers_scheduled',
  'UPDATE timers SET enqueued_at = now() WHERE id = ANY(?::bigint[])',
);

/**
 * Takes the armed timers not yet scheduled and stamps them scheduled, in the relay's transaction; the relay adds
 * their delayed jobs once it has committed. The delay is computed by the database clock (the one that set
 * fire_at). A timer whose job never made it is re-enqueued by the sweeper once it is due.
 */
export async function takeTimersToSchedule(trx: Knex.Transaction, batchSize: number): Promise<TimerToSchedule[]> {
  const timers = await unscheduledTimersStatement(trx, [batchSize]);
  if (timers.length > 0) await markScheduledStatement(trx, [timers.map((t) => t.id.toString())]);
  return timers;
}

/** A timer's delayed job: the job id names the timer, so scheduling it twice adds nothing while the job is kept. */
export function timerJob(deploymentId: string, timer: TimerToSchedule) {
  return {
    name: 'timer',
    data: { timerId: timer.id.toString() },
    opts: { jobId: timerJobId(deploymentId, timer.id), delay: Number(timer.delay_ms) },
  };
}
