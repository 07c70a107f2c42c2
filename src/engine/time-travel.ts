import type { Db } from '../db/knex.js';
import { NotFoundError } from '../errors/index.js';
import type { Logger } from '../logger.js';
import { fireTimer, type TimerOutcome } from './fire-timer.js';

export interface FiredTimer {
  timerId: string;
  event: string;
  outcome: TimerOutcome;
}

/**
 * Time travel for test deployments (ALLOW_TIME_TRAVEL): the instance's armed timers become due now and fire, one
 * by one in the order they would have, through fireTimer, the timers worker's own transaction (same history
 * entry, same effects, same refusals). Their delayed jobs, arriving later, find them fired and do nothing. Timers
 * the firing arms are left for the next call, as time moved to now and no further. Nothing armed: nothing fired.
 * With `eventType`, only the timers that raise that event fire (a test steps through one deadline at a time).
 */
export async function fireArmedTimersNow(
  db: Db,
  log: Logger,
  instanceId: string,
  clientId: string,
  eventType?: string,
): Promise<FiredTimer[]> {
  const instance: { id: string } | undefined = await db('instances').where({ id: instanceId }).first('id');
  if (!instance) throw new NotFoundError(`No milestone or project with id ${instanceId}.`, { id: instanceId });
  // In the order they would have fired; each becomes due (fire_at = now) just before fireTimer's own transaction
  // starts, so that transaction finds it due.
  const armed: { id: bigint | string; event: { type: string } }[] = await db('timers')
    .where({ instance_id: instanceId, status: 'armed' })
    .whereRaw("(?::text IS NULL OR event->>'type' = ?::text)", [eventType ?? null, eventType ?? null])
    .orderBy([{ column: 'fire_at' }, { column: 'id' }])
    .select('id', 'event');
  const fired: FiredTimer[] = [];
  for (const timer of armed) {
    const timerId = String(timer.id);
    await db('timers').where({ id: timerId, status: 'armed' }).update({ fire_at: db.fn.now() });
    fired.push({ timerId, event: timer.event.type, outcome: await fireTimer(db, log, timerId, { clientId }) });
  }
  return fired;
}
