import type { Knex } from 'knex';
import type { MachineName } from '../../machines/registry.js';
import { applyBatch, type HeldRows } from './apply-batch.js';
import type { EngineEvent } from './engine-event.js';
import { lockInstance, type InstanceRow } from './instance-row.js';
import type { ApplyOptions, Applied } from './prepare-event.js';

/**
 * Applies one event to one instance inside the caller's transaction (docs/concepts.md "Engine"): lock, check,
 * transition() the pinned machine version, write snapshot + history + inbox + outbox, then deliver derived events
 * to related instances in the same transaction. Any refusal throws and so rolls everything back.
 */
export async function applyEvent(
  trx: Knex.Transaction,
  machine: MachineName,
  instanceId: string,
  event: EngineEvent,
  options: ApplyOptions = {},
): Promise<Applied> {
  return applyToLocked(trx, await lockInstance(trx, instanceId, machine), machine, event, options);
}

/**
 * applyEvent for an instance row that this transaction has locked already and read under that lock; `held` are
 * other rows it holds the same way (a derived event for one of them is written in the same statement).
 */
export async function applyToLocked(
  trx: Knex.Transaction,
  row: InstanceRow,
  machine: MachineName,
  event: EngineEvent,
  options: ApplyOptions = {},
  held?: HeldRows,
): Promise<Applied> {
  const { applied } = await applyBatch(trx, [{ row, machine, event, options }], held);
  return applied[0]!;
}
