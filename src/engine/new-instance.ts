import type { Knex } from 'knex';
import type { MachineDefinition } from '../../machines/definition.js';
import { partyColumnsOf, type Owner } from '../../machines/roles.js';
import { preparedStatement } from '../db/prepared.js';
import { INSTANCE_COLUMNS, topLevelState, type InstanceRow, type PersistedSnapshot } from './instance-row.js';

/** What a new instance is born from: its machine version, the input it recorded, its first snapshot. */
export interface NewInstanceSpec {
  id: string;
  def: MachineDefinition;
  /** The parties (a project's, a milestone's) or the owner (a payout's, an adjustment's), and the rest of the input. */
  input: ({ employerId: string; freelancerId?: string | null } | Owner) & object;
  persisted: PersistedSnapshot;
  projectId: string | null;
}

/** The row of a new instance at seq 0, as it is inserted (or, on the hot path, as its first event starts from). */
export function draftRow({ id, def, input, persisted, projectId }: NewInstanceSpec): InstanceRow {
  const parties = partyColumnsOf('ownerId' in input ? input : { freelancerId: null, ...input });
  return {
    n: 0n,
    id,
    machine: def.name,
    version: def.version,
    seq: 0,
    state: topLevelState(persisted.value),
    snapshot: persisted,
    input: { ...input },
    project_id: projectId,
    employer_id: parties.employerId,
    freelancer_id: parties.freelancerId ?? null,
    // Set by the insert; nothing reads them before.
    created_at: new Date(0),
    updated_at: new Date(0),
  };
}

// ON CONFLICT: two concurrent creates with one id never both succeed; the one that inserted nothing compares.
const insertInstanceStatement = preparedStatement<InstanceRow>(
  'insert_instance',
  `INSERT INTO instances (id, machine, version, seq, state, snapshot, input, project_id, employer_id, freelancer_id)
   VALUES (?, ?, ?, 0, ?, ?::jsonb, ?::jsonb, ?, ?, ?)
   ON CONFLICT (id) DO NOTHING
   RETURNING ${INSTANCE_COLUMNS}`,
);

/** Inserts a draft row; returns the row as stored, or null when an instance with its id exists already. */
export async function insertInstance(trx: Knex.Transaction, row: InstanceRow): Promise<InstanceRow | null> {
  const [inserted] = await insertInstanceStatement(trx, [
    row.id,
    row.machine,
    row.version,
    row.state,
    JSON.stringify(row.snapshot),
    JSON.stringify(row.input),
    row.project_id,
    row.employer_id,
    row.freelancer_id,
  ]);
  return inserted ?? null;
}
