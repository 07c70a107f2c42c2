import type { Queue } from 'bullmq';
import type { Knex } from 'knex';
import { pinnedMachine } from '../../machines/registry.js';
import { outboxJobId } from '../jobs/queues.js';
import { commandsInLiveJobs, requeue } from '../jobs/requeue.js';
import { restoreSnapshot } from '../engine/snapshot.js';
import type { InstanceRow } from '../engine/instance-row.js';

/** What re-driving one instance did. */
export type RedriveOutcome =
  /** The settlement job was (re-)added to the queue. */
  | 'enqueued'
  /** A job for it is already waiting, delayed or running: left alone (running the command twice is safe). */
  | 'already_queued'
  /** The instance is not in a settling state (any more): nothing to do. */
  | 'not_settling'
  /** Settling, but no unprocessed settlement outbox row at its seq: not re-drivable; needs an engineer. */
  | 'no_settlement_row'
  | 'not_found';

export interface RedriveResult {
  id: string;
  outcome: RedriveOutcome;
  outboxId: string | null;
}

/**
 * Re-drives one settling instance: puts the settlement command it is waiting for (its unprocessed
 * `settlement` outbox row at the instance's current seq) back on the settlement queue, under the command's own job
 * id (see src/jobs/requeue.ts), unless a live job holds it already (its own, or a relay job that carries it). Safe
 * to run twice or alongside the relay and the sweeper:
 * the settlement worker locks the outbox row and does nothing once processed_at is set, and transfer ids
 * derive from the outbox id, so no money moves twice.
 */
export async function redriveInstance(
  db: Knex,
  queue: Queue,
  deploymentId: string,
  id: string,
  // Which commands live relay jobs carry; a run over many instances reads them once and passes this.
  carried: () => Promise<Set<string>> = () => commandsInLiveJobs(queue),
): Promise<RedriveResult> {
  const row = await db<InstanceRow>('instances').where({ id }).first();
  if (!row) return { id, outcome: 'not_found', outboxId: null };
  if (!restoreSnapshot(pinnedMachine(row.machine, row.version), row.snapshot).hasTag('settling'))
    return { id, outcome: 'not_settling', outboxId: null };
  // The settlement worker refuses a command for another seq, so only the one the current state waits for counts.
  const outbox: { id: string } | undefined = await db('outbox')
    .where({ instance_id: id, topic: 'settlement', seq: row.seq })
    .whereNull('processed_at')
    .orderBy('id', 'desc')
    .first(db.raw('id::text AS id'));
  if (!outbox) return { id, outcome: 'no_settlement_row', outboxId: null };

  if ((await carried()).has(outbox.id)) return { id, outcome: 'already_queued', outboxId: outbox.id };
  const outcome = await requeue(queue, outboxJobId(deploymentId, outbox.id), 'settlement', { outboxId: outbox.id });
  if (outcome === 'already_queued') return { id, outcome, outboxId: outbox.id };
  // Marked relayed, so the relay does not send it again (harmless if it did: the processed_at check).
  await db('outbox').where({ id: outbox.id }).whereNull('relayed_at').update({ relayed_at: db.fn.now() });
  return { id, outcome: 'enqueued', outboxId: outbox.id };
}
