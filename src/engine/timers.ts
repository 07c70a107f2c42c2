import type { Knex } from 'knex';

/**
 * A delayed `raise` returned by transition() becomes an armed timer row in the event's own transaction; the
 * relay then schedules a BullMQ delayed job for it. Re-arming a key replaces the armed timer of that key.
 * The fire time is computed by the database clock, the same clock the timers worker and sweeper compare with.
 */
export async function armTimer(
  trx: Knex.Transaction,
  instanceId: string,
  seq: number,
  key: string,
  event: unknown,
  delayMs: number,
): Promise<void> {
  await disarmTimer(trx, instanceId, key);
  await trx('timers').insert({
    instance_id: instanceId,
    timer_key: key,
    event: JSON.stringify(event),
    armed_seq: seq,
    fire_at: trx.raw("now() + (?::bigint * interval '1 millisecond')", [delayMs]),
  });
}

/** A `cancel` action (or leaving the state) disarms: a job that still fires later finds nothing armed. */
export async function disarmTimer(trx: Knex.Transaction, instanceId: string, key: string): Promise<void> {
  await trx('timers')
    .where({ instance_id: instanceId, timer_key: key, status: 'armed' })
    .update({ status: 'cancelled', ended_at: trx.fn.now() });
}
