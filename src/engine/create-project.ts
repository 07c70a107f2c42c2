import { isDeepStrictEqual } from 'node:util';
import type { Knex } from 'knex';
import type { ProjectInput } from '../../machines/project.v1.js';
import { currentMachine } from '../../machines/registry.js';
import { ConflictError } from '../errors/index.js';
import { findInstance, type InstanceRow } from './instance-row.js';
import { initialStep } from './machine-step.js';
import { newId } from '../ids.js';
import { draftRow, insertInstance } from './new-instance.js';
import { persistSnapshot } from './snapshot.js';
import { inputWithRules, type InstanceRules } from './instance-rules.js';

export interface CreateProjectRequest {
  id?: string;
  employerId: string;
  title: string;
  currency: string;
}

export interface Created<R extends InstanceRow = InstanceRow> {
  row: R;
  /** False when the same create was already done: docs/api.md answers 200 with the original. */
  created: boolean;
}

export async function createProject(
  trx: Knex.Transaction,
  request: CreateProjectRequest,
  rules: InstanceRules,
): Promise<Created> {
  const def = currentMachine('project', rules.newInstanceVersion('project'));
  const base: ProjectInput = {
    id: request.id ?? newId('prj'),
    employerId: request.employerId,
    title: request.title,
    currency: request.currency,
  };
  const input = inputWithRules(def.version, base, { rules: rules.project });
  const persisted = persistSnapshot(initialStep(def.machine, input)[0]);
  // Two concurrent creates with one id never both insert; the one that did not compares bodies.
  const row = await insertInstance(trx, draftRow({ id: input.id, def, input, persisted, projectId: null }));
  if (row) return { row, created: true };

  const existing = await trx<InstanceRow>('instances').where({ id: input.id }).first();
  // Compare what the client sent, not the recorded rules (configuration may have changed since).
  const sent = (i: Record<string, unknown>) => ({
    id: i.id,
    employerId: i.employerId,
    title: i.title,
    currency: i.currency,
  });
  if (existing?.machine === 'project' && isDeepStrictEqual(sent(existing.input), sent({ ...input }))) {
    return { row: await findInstance(trx, input.id, 'project'), created: false };
  }
  throw new ConflictError(`An instance with id ${input.id} already exists with a different body.`, { id: input.id });
}
