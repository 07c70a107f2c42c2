import type { MachineName } from '../../machines/registry.js';
import type { Db } from '../db/knex.js';
import { inTransaction } from '../db/transaction.js';
import { GuardFailedError, InvalidTransitionError } from '../errors/index.js';
import type { Logger } from '../logger.js';
import { applyEvent } from './apply-event.js';
import { lockInstance } from './instance-row.js';

interface ArmedTimerRow {
  id: bigint;
  instance_id: string;
  timer_key: string;
  event: { type: string; actor: string };
  status: string;
  machine: string;
  early: boolean;
}

export type TimerOutcome = 'fired' | 'ignored' | 'not_armed' | 'missing' | 'early';

/**
 * Fires one timer: applies its event to the instance only if the timer is still armed, in one transaction
 * with marking it fired. A timer disarmed meanwhile (its state was left) does nothing, and so does a second
 * delivery of the same job. A job that arrives before fire_at (clocks apart) is retried later. The timers
 * worker calls it for each due job; time travel (time-travel.ts) calls it for timers made due on request, naming
 * the admin client that asked as the history entry's client.
 */
export async function fireTimer(
  db: Db,
  log: Logger,
  timerId: string,
  options: { clientId?: string } = {},
): Promise<TimerOutcome> {
  return inTransaction(db, async (trx) => {
    // Lock order instance → timer row, the order of every event (lock, then disarm its timers): the other
    // order deadlocks with an event disarming this timer at the moment it fires.
    const owner: { instance_id: string; machine: string } | undefined = await trx('timers as t')
      .join('instances as i', 'i.id', 't.instance_id')
      .where('t.id', timerId)
      .first('t.instance_id', 'i.machine');
    if (owner) await lockInstance(trx, owner.instance_id, owner.machine);
    const timer = await trx('timers as t')
      .join('instances as i', 'i.id', 't.instance_id')
      .where('t.id', timerId)
      .forUpdate('t')
      .first<ArmedTimerRow | undefined>(
        't.id',
        't.instance_id',
        't.timer_key',
        't.event',
        't.status',
        'i.machine',
        trx.raw('t.fire_at > now() AS early'),
      );
    if (!timer) {
      log.warn({ timerId }, 'timer job for a missing timer row; dropping it');
      return 'missing';
    }
    if (timer.status !== 'armed') return 'not_armed';
    if (timer.early) return 'early';

    // Marked fired first: the transition that follows may cancel this very timer key, which must then be a no-op.
    await trx('timers').where({ id: timerId }).update({ status: 'fired', ended_at: trx.fn.now() });
    const event = { ...timer.event, timerId: String(timer.id) };
    try {
      await trx.transaction((sp) =>
        applyEvent(sp, timer.machine as MachineName, timer.instance_id, event, { origin: 'system', ...options }),
      );
    } catch (error) {
      if (!(error instanceof InvalidTransitionError || error instanceof GuardFailedError)) throw error;
      // The machine refuses it now (e.g. a rule changed the situation): record that, do not retry forever.
      log.info({ timerId, instanceId: timer.instance_id, reason: error.message }, 'timer event refused; ignored');
      await trx('timers').where({ id: timerId }).update({ status: 'ignored' });
      return 'ignored';
    }
    log.info({ timerId, instanceId: timer.instance_id, event: event.type }, 'timer fired');
    return 'fired';
  });
}
