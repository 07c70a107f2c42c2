import { isDeepStrictEqual } from 'node:util';
import type { Knex } from 'knex';
import { currentMachine, type MachineName } from '../../machines/registry.js';
import type { Owner } from '../../machines/roles.js';
import { ConflictError } from '../errors/index.js';
import { newId } from '../ids.js';
import { applyToLocked } from './apply-event.js';
import type { Created } from './create-project.js';
import { payloadOf, type EngineEvent } from './engine-event.js';
import type { HistoryRow } from './history-row.js';
import type { InstanceRow } from './instance-row.js';
import { initialStep } from './machine-step.js';
import { draftRow, insertInstance } from './new-instance.js';
import type { ApplyOptions } from './prepare-event.js';
import { persistSnapshot } from './snapshot.js';

/** A new owned instance (a payout, an adjustment): what it records, and the event that opens it. */
export interface OwnedCreation {
  machine: Extract<MachineName, 'payout' | 'adjustment'>;
  /** The client's id, or none for a server-chosen one with this prefix. */
  id: string | undefined;
  idPrefix: string;
  /** The input the instance records, less its id: its owner, currency, and whatever configuration it pins. */
  input: Owner & { currency: string } & Record<string, unknown>;
  /** The first event, applied from the machine's `draft` state: history entry 1. */
  event: EngineEvent;
}

/**
 * Creates an owned instance in `draft` and applies its first event through the engine in the same transaction,
 * so every rule (the role, the money the event holds) decides before anything is visible, and a refusal leaves
 * no row behind. A client-chosen id that exists answers as docs/api.md says: the same create again returns the
 * original (created: false), another body is 409 conflict.
 */
export async function createOwned(
  trx: Knex.Transaction,
  creation: OwnedCreation,
  version: number | undefined,
  options: ApplyOptions,
): Promise<Created> {
  const def = currentMachine(creation.machine, version);
  const id = creation.id ?? newId(creation.idPrefix);
  const input = { ...creation.input, id };
  const persisted = persistSnapshot(initialStep(def.machine, input)[0]);
  // An existing id (a repeated create, or a race with one) inserts nothing and is answered from what is there.
  const row = await insertInstance(trx, draftRow({ id, def, input, persisted, projectId: null }));
  if (!row) return repeatOrConflict(trx, id, creation);
  const applied = await applyToLocked(trx, row, creation.machine, creation.event, options);
  return { row: applied.row, created: true };
}

async function repeatOrConflict(trx: Knex.Transaction, id: string, creation: OwnedCreation): Promise<Created> {
  const existing = await trx<InstanceRow>('instances').where({ id }).first();
  if (!existing) throw new Error(`instance ${id} neither inserted nor found`);
  const first = await trx<HistoryRow>('history').where({ instance_id: id, seq: 1 }).first();
  // Compare what the client sent, not the configuration the instance recorded (it may have changed since).
  const same =
    existing.machine === creation.machine &&
    existing.input.ownerId === creation.input.ownerId &&
    existing.input.currency === creation.input.currency &&
    first !== undefined &&
    first.type === creation.event.type &&
    first.actor === creation.event.actor &&
    isDeepStrictEqual(first.payload, payloadOf(creation.event));
  if (!same) throw new ConflictError(`An instance with id ${id} already exists with a different body.`, { id });
  return { row: existing, created: false };
}
