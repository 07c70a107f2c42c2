import { isDeepStrictEqual } from 'node:util';
import type { Knex } from 'knex';
import type { ProjectInput } from '../../machines/project.v1.js';
import { currentMachine } from '../../machines/registry.js';
import { ConflictError } from '../errors/index.js';
import { findInstance, topLevelState, type InstanceRow } from './instance-row.js';
import { initialStep } from './machine-step.js';
import { newId } from './new-id.js';
import { persistSnapshot } from './snapshot.js';
import { inputWithRules, type InstanceRules } from './instance-rules.js';

export interface CreateProjectRequest {
  id?: string;
  employerId: string;
  title: string;
  currency: string;
}

export interface Created {
  row: InstanceRow;
  /** False when the same create was already done: API.md answers 200 with the original. */
  created: boolean;
}

export async function createProject(trx: Knex.Transaction, request: CreateProjectRequest, rules: InstanceRules): Promise<Created> {
  const def = currentMachine('project', rules.newInstanceVersion('project'));
  const base: ProjectInput = { id: request.id ?? newId('prj'), employerId: request.employerId, title: request.title, currency: request.currency };
  const input = inputWithRules(def.version, base, { rules: rules.project });
  const [snapshot] = initialStep(def.machine, input);
  const persisted = persistSnapshot(snapshot);
  // ON CONFLICT keeps two concurrent creates with one id from both succeeding; the loser compares bodies.
  const [row] = await trx<InstanceRow>('instances')
    .insert({
      id: input.id,
      machine: def.name,
      version: def.version,
      seq: 0,
      state: topLevelState(persisted.value),
      snapshot: persisted,
      input: { ...input },
      project_id: null,
      employer_id: input.employerId,
      freelancer_id: null,
    })
    .onConflict('id')
    .ignore()
    .returning('*');
  if (row) return { row, created: true };

  const existing = await trx<InstanceRow>('instances').where({ id: input.id }).first();
  // Compare what the client sent, not the recorded rules (configuration may have changed since).
  const sent = (i: Record<string, unknown>) => ({ id: i.id, employerId: i.employerId, title: i.title, currency: i.currency });
  if (existing?.machine === 'project' && isDeepStrictEqual(sent(existing.input), sent({ ...input }))) {
    return { row: await findInstance(trx, input.id, 'project'), created: false };
  }
  throw new ConflictError(`An instance with id ${input.id} already exists with a different body.`, { id: input.id });
}
