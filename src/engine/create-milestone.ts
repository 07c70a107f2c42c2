import { isDeepStrictEqual } from 'node:util';
import type { Knex } from 'knex';
import type { MilestoneInput } from '../../machines/milestone.v1.js';
import { currentMachine, pinnedMachine } from '../../machines/registry.js';
import { roleOf, type Parties } from '../../machines/roles.js';
import { ConflictError, ForbiddenError, InvalidTransitionError } from '../errors/index.js';
import { applyEvent, type Applied } from './apply-event.js';
import { lockInstance, topLevelState, type InstanceRow } from './instance-row.js';
import { initialStep } from './machine-step.js';
import { newId } from './new-id.js';
import type { Created } from './create-project.js';
import { inputWithRules, type InstanceRules } from './instance-rules.js';
import { allowedEvents, handledEvents, persistSnapshot, restoreSnapshot } from './snapshot.js';

export interface CreateMilestoneRequest {
  id?: string;
  type: 'CREATE' | 'REQUEST';
  actor: string;
  amount: string;
  description: string;
}

/** The project event each kind of creation delivers; the project machine decides whether it takes one now. */
const projectEventFor = { CREATE: 'MILESTONE_OPENED', REQUEST: 'MILESTONE_REQUESTED' } as const;

/**
 * Creates a milestone of a project: the row is born in the machine's `draft` state and the CREATE or REQUEST
 * event is applied through the engine in the same transaction, so the creation is history entry 1.
 */
export async function createMilestone(
  trx: Knex.Transaction,
  projectId: string,
  request: CreateMilestoneRequest,
  rules: InstanceRules,
  requestId?: string,
): Promise<Created> {
  // Locking the project first serialises creation against project events such as COMPLETE.
  const project = await lockInstance(trx, projectId, 'project');
  const id = request.id ?? newId('ms');
  const existing = await trx<InstanceRow>('instances').where({ id }).first();
  if (existing) return repeatOrConflict(trx, existing, projectId, request);

  const projectDef = pinnedMachine(project.machine, project.version);
  const projectSnapshot = restoreSnapshot(projectDef, project.snapshot);
  const parties = projectSnapshot.context as Parties;
  // Who may create comes before whether the project takes milestones now: a wrong role is 403 in any state.
  const role = roleOf(parties, request);
  const allowedRoles = currentMachine('milestone', rules.newInstanceVersion('milestone')).roles[request.type] ?? [];
  if (role === null || !allowedRoles.includes(role)) {
    throw new ForbiddenError(role === null ? `${request.actor} is not a party to project ${projectId}.` : `A ${role} may not send ${request.type}.`, {
      role,
      allowedRoles,
    });
  }
  if (!handledEvents(projectSnapshot).includes(projectEventFor[request.type]) || parties.freelancerId === null) {
    throw new InvalidTransitionError(`Milestones can be added only while the project is in_progress; it is ${project.state}.`, {
      state: project.snapshot.value,
      allowedEvents: allowedEvents(projectDef, projectSnapshot),
    });
  }

  const def = currentMachine('milestone', rules.newInstanceVersion('milestone'));
  const currency = (projectSnapshot.context as { currency: string }).currency;
  const base: MilestoneInput = { id, projectId, employerId: parties.employerId, freelancerId: parties.freelancerId, currency };
  const input = inputWithRules(def.version, base, { disputeRules: rules.disputeRulesFor(currency) });
  const persisted = persistSnapshot(initialStep(def.machine, input)[0]);
  const inserted = await trx('instances')
    .insert({
      id,
      machine: def.name,
      version: def.version,
      seq: 0,
      state: topLevelState(persisted.value),
      snapshot: persisted,
      input: { ...input },
      project_id: projectId,
      employer_id: input.employerId,
      freelancer_id: input.freelancerId,
    })
    .onConflict('id')
    .ignore()
    .returning('id');
  if (inserted.length === 0) {
    const raced = await trx<InstanceRow>('instances').where({ id }).first();
    if (raced) return repeatOrConflict(trx, raced, projectId, request);
  }
  const applied: Applied = await applyEvent(trx, 'milestone', id, {
    type: request.type,
    actor: request.actor,
    amount: request.amount,
    description: request.description,
  }, { requestId });
  return { row: applied.row, created: true };
}

async function repeatOrConflict(
  trx: Knex.Transaction,
  existing: InstanceRow,
  projectId: string,
  request: CreateMilestoneRequest,
): Promise<Created> {
  const first = await trx('history').where({ instance_id: existing.id, seq: 1 }).first();
  const sameCreate =
    existing.machine === 'milestone' &&
    existing.project_id === projectId &&
    first !== undefined &&
    first.type === request.type &&
    first.actor === request.actor &&
    isDeepStrictEqual(first.payload, { amount: request.amount, description: request.description });
  if (!sameCreate) {
    throw new ConflictError(`An instance with id ${existing.id} already exists with a different body.`, { id: existing.id });
  }
  return { row: existing, created: false };
}
