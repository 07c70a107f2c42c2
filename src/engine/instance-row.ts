import type { Knex } from 'knex';
import type { StateValue } from 'xstate';
import { preparedStatement } from '../db/prepared.js';
import { NotFoundError } from '../errors/index.js';

export interface InstanceRow {
  n: bigint;
  id: string;
  machine: string;
  version: number;
  seq: number;
  state: string;
  snapshot: PersistedSnapshot;
  input: Record<string, unknown>;
  project_id: string | null;
  employer_id: string;
  freelancer_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The part of an XState snapshot we persist and restore from. */
export interface PersistedSnapshot {
  value: StateValue;
  context: Record<string, unknown>;
  status: string;
}

/**
 * Locks the instance for the rest of the transaction: two events on one instance are applied one after the
 * other, never interleaved, so `seq` and the snapshot always move together. FOR NO KEY UPDATE, the lock an
 * UPDATE that keeps the key takes anyway: it still excludes every other event, but not the KEY SHARE locks of
 * foreign-key checks, so the relay writing a notification or delivery that references this instance does not
 * wait for the event (and cannot deadlock with one that waits on a timer row the relay holds).
 */
export async function lockInstance(trx: Knex.Transaction, id: string, machine: string): Promise<InstanceRow> {
  const [row] = await lockInstanceStatement(trx, [id, machine]);
  if (!row) throw new NotFoundError(`No ${machine} with id ${id}.`, { id });
  return row;
}

const COLUMN_NAMES = [
  'n',
  'id',
  'machine',
  'version',
  'seq',
  'state',
  'snapshot',
  'input',
  'project_id',
  'employer_id',
  'freelancer_id',
  'created_at',
  'updated_at',
];

/**
 * The columns of InstanceRow, named: a prepared statement that selected `*` would fail once a migration added a
 * column (its result type changed), where one naming its columns does not notice.
 */
export const INSTANCE_COLUMNS = COLUMN_NAMES.join(', ');

/** INSTANCE_COLUMNS of a table aliased `alias` in a join. */
export const instanceColumnsOf = (alias: string): string => COLUMN_NAMES.map((c) => `${alias}.${c}`).join(', ');

const lockInstanceStatement = preparedStatement<InstanceRow>(
  'lock_instance',
  `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE id = ? AND machine = ? FOR NO KEY UPDATE`,
);
const findInstanceStatement = preparedStatement<InstanceRow>(
  'find_instance',
  `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE id = ? AND machine = ?`,
);

export async function findInstance(db: Knex, id: string, machine: string): Promise<InstanceRow> {
  const [row] = await findInstanceStatement(db, [id, machine]);
  if (!row) throw new NotFoundError(`No ${machine} with id ${id}.`, { id });
  return row;
}

export function topLevelState(value: PersistedSnapshot['value']): string {
  return typeof value === 'string' ? value : (Object.keys(value)[0] ?? '');
}
