import type { Knex } from 'knex';
import type { MachineName } from '../../machines/registry.js';
import { inTransaction } from '../db/transaction.js';
import { applyEvent, prepareEvent, type ApplyOptions, type Applied } from './apply-event.js';
import type { EngineEvent } from './engine-event.js';
import { readInstance } from './instance-row.js';
import { writeTransitionAlone } from './write-transition.js';

// Lost compare-and-set races before falling back to the locking path (which queues instead of racing).
const MAX_RACES = 3;

/**
 * Applies an event in two round trips instead of four: read the instance, check and transition it, then write
 * everything in one statement that only matches while the instance is still at the seq that was read (a
 * compare-and-set in place of BEGIN, SELECT … FOR UPDATE and COMMIT). That statement is its own transaction,
 * committed before this returns, so the event is as durable and as atomic as on the locking path.
 *
 * Events whose effects need more statements (timers, fee holds) or touch other instances (derived project
 * events) go through applyEvent in one transaction, as does an event that keeps losing races.
 */
export async function applyEventUnlocked(db: Knex, machine: MachineName, instanceId: string, event: EngineEvent, options: ApplyOptions = {}): Promise<Applied> {
  for (let race = 0; race < MAX_RACES; race++) {
    const row = await readInstance(db, instanceId, machine);
    // Refusals (404, 409, 403, 422) throw from here, judged on the state that was read, exactly as they would
    // be under the lock: a later change of state would only have made the same check run on newer data.
    const { write, plan } = prepareEvent(row, machine, event, options);
    if (plan.statements.length > 0 || plan.derived.length > 0) break;
    const updated = await writeTransitionAlone(db, write);
    if (updated) return { row: updated, seq: write.seq };
    // Another event was applied in between: judge again on the new state (with If-Match, that is a 409).
  }
  return inTransaction(db, (trx) => applyEvent(trx, machine, instanceId, event, options));
}
