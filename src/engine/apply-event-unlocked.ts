import type { Knex } from 'knex';
import type { MachineName } from '../../machines/registry.js';
import { Batcher, type BatcherLimits } from '../db/batcher.js';
import { inTransaction } from '../db/transaction.js';
import { applyEvent } from './apply-event.js';
import { prepareEvent, type ApplyOptions, type Applied } from './prepare-event.js';
import type { EngineEvent } from './engine-event.js';
import { InstanceReader } from './instance-reader.js';
import { rowAfter, writeTransitions, type TransitionWrite } from './write-transition.js';

// Lost compare-and-set races before falling back to the locking path (which queues instead of racing).
const MAX_RACES = 3;

/**
 * Applies events without holding a lock across round trips: read the instance, check and transition it, then
 * write everything in one statement that only matches while the instance is still at the seq that was read (a
 * compare-and-set in place of BEGIN, SELECT … FOR UPDATE and COMMIT). That statement is its own transaction,
 * committed before apply() returns, so the event is as durable and as atomic as on the locking path.
 *
 * Group commit: reads and writes that arrive while earlier ones are in flight share a statement (Batcher). Each
 * event in a shared write still stands alone: its compare-and-set gates only its own rows, and one that lost its
 * race is judged again on the new state without touching the others. Two events for one instance never share a
 * write (the second would always lose); it waits for the next.
 *
 * Events whose effects need more statements (timers, fee holds) or touch other instances (derived project
 * events) go through applyEvent in one transaction, as does an event that keeps losing races.
 */
export class UnlockedEvents {
  private readonly reader: InstanceReader;
  private readonly writer: Batcher<TransitionWrite, Date | null>;

  constructor(
    private readonly db: Knex,
    limits: BatcherLimits,
  ) {
    this.reader = new InstanceReader(db, limits);
    this.writer = new Batcher((writes) => writeTransitions(db, writes), limits, (batch, w) => batch.every((b) => b.instanceId !== w.instanceId));
  }

  async apply(machine: MachineName, instanceId: string, event: EngineEvent, options: ApplyOptions = {}): Promise<Applied> {
    for (let race = 0; race < MAX_RACES; race++) {
      const row = await this.reader.read(instanceId, machine);
      // Refusals (404, 409, 403, 422) throw from here, judged on the state that was read, exactly as they would
      // be under the lock: a later change of state would only have made the same check run on newer data.
      const { write, plan } = prepareEvent(row, machine, event, options);
      if (plan.statements.length > 0 || plan.derived.length > 0) break;
      const updatedAt = await this.writer.submit(write);
      if (updatedAt) return { row: rowAfter(row, write, updatedAt), seq: write.seq };
      // Another event was applied in between: judge again on the new state (with If-Match, that is a 409).
    }
    return inTransaction(this.db, (trx) => applyEvent(trx, machine, instanceId, event, options));
  }
}
