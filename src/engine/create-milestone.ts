import { isDeepStrictEqual } from 'node:util';
import type { Knex } from 'knex';
import type { MilestoneInput } from '../../machines/milestone.v1.js';
import { currentMachine, pinnedMachine } from '../../machines/registry.js';
import { roleOf, type ProjectParties } from '../../machines/roles.js';
import { preparedStatement } from '../db/prepared.js';
import { ConflictError, ForbiddenError, InvalidTransitionError, NotFoundError } from '../errors/index.js';
import { applyToLocked } from './apply-event.js';
import type { Applied, EventCause } from './prepare-event.js';
import { instanceColumnsOf, lockInstance, type InstanceRow } from './instance-row.js';
import { initialStep } from './machine-step.js';
import type { EngineEvent } from './engine-event.js';
import type { HistoryRow } from './history-row.js';
import { draftRow, insertInstance, type NewInstanceSpec } from './new-instance.js';
import { newId } from '../ids.js';
import type { Created } from './create-project.js';
import { milestoneRulesFor, type InstanceRules } from './instance-rules.js';
import { allowedEvents } from './availability.js';
import { handledEvents, persistSnapshot, restoreSnapshot } from './snapshot.js';

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
  cause: EventCause = {},
): Promise<Created> {
  // Locking the project first serialises creation against project events such as COMPLETE. A client-chosen id
  // that exists is answered before any rule is checked (docs/api.md: the same create again returns the original).
  const { project, idTaken } = await lockProject(trx, projectId, request.id);
  if (request.id !== undefined && idTaken) {
    const existing = await trx<InstanceRow>('instances').where({ id: request.id }).first();
    if (existing) return repeatOrConflict(trx, existing, projectId, request);
  }
  const planned = planMilestone(project, request, rules);
  const id = planned.id;
  // An existing id (a repeated create, or a race with one) inserts nothing and is answered from what is there.
  const row = await insertInstance(trx, draftRow(planned));
  if (!row) {
    const existing = await trx<InstanceRow>('instances').where({ id }).first();
    if (!existing) throw new Error(`instance ${id} neither inserted nor found`);
    return repeatOrConflict(trx, existing, projectId, request);
  }
  // The new row is this transaction's own, invisible to everyone else until commit: as good as locked. The
  // project is held too, so the event it derives (MILESTONE_OPENED …) goes out in the same statement.
  const applied: Applied = await applyToLocked(
    trx,
    row,
    'milestone',
    creatingEvent(request),
    cause,
    new Map([[project.id, project]]),
  );
  return { row: applied.row, created: true };
}

/** A milestone its project takes now: its id, machine version, input and first snapshot (`draft`, seq 0). */
export type PlannedMilestone = NewInstanceSpec & { input: MilestoneInput };

/**
 * Checks a creation against the project as read (who may create, whether the project takes milestones now)
 * and builds the new milestone, without I/O; a refusal throws its API error.
 */
export function planMilestone(
  project: InstanceRow,
  request: CreateMilestoneRequest,
  rules: InstanceRules,
): PlannedMilestone {
  const projectId = project.id;
  const projectDef = pinnedMachine(project.machine, project.version);
  const projectSnapshot = restoreSnapshot(projectDef, project.snapshot);
  const parties = projectSnapshot.context as ProjectParties;
  // Who may create comes before whether the project takes milestones now: a wrong role is 403 in any state.
  const role = roleOf(parties, request);
  const allowedRoles = currentMachine('milestone', rules.newInstanceVersion('milestone')).roles[request.type] ?? [];
  if (role === null || !allowedRoles.includes(role)) {
    throw new ForbiddenError(
      role === null
        ? `${request.actor} is not a party to project ${projectId}.`
        : `A ${role} may not send ${request.type}.`,
      {
        role,
        allowedRoles,
      },
    );
  }
  if (!handledEvents(projectSnapshot).includes(projectEventFor[request.type]) || parties.freelancerId === null) {
    throw new InvalidTransitionError(
      `Milestones can be added only while the project is in_progress; it is ${project.state}.`,
      {
        state: project.snapshot.value,
        allowedEvents: allowedEvents(projectDef, projectSnapshot, project.id, 'assumed'),
      },
    );
  }

  const id = request.id ?? newId('ms');
  const def = currentMachine('milestone', rules.newInstanceVersion('milestone'));
  const currency = (projectSnapshot.context as { currency: string }).currency;
  const base: MilestoneInput = {
    id,
    projectId,
    employerId: parties.employerId,
    freelancerId: parties.freelancerId,
    currency,
  };
  const recorded = {
    disputeRules: rules.disputeRulesFor(currency),
    limits: rules.milestoneLimits,
    platformFeeBps: rules.platformFeeBps,
  };
  const input = { ...base, ...milestoneRulesFor(def.version, recorded) };
  const persisted = persistSnapshot(initialStep(def.machine, input)[0]);
  return { id, def, input, persisted, projectId };
}

/** The milestone's first event, CREATE or REQUEST, as the engine applies it. */
export function creatingEvent(request: CreateMilestoneRequest): EngineEvent {
  return { type: request.type, actor: request.actor, amount: request.amount, description: request.description };
}

const lockProjectStatement = preparedStatement<InstanceRow & { id_taken: boolean }>(
  'lock_project_for_milestone',
  `SELECT ${instanceColumnsOf('p')}, EXISTS (SELECT 1 FROM instances WHERE id = ?) AS id_taken
   FROM instances AS p WHERE p.id = ? AND p.machine = 'project' FOR NO KEY UPDATE OF p`,
);

/** Locks the project and tells, in the same round trip, whether a client-chosen milestone id is taken. */
async function lockProject(
  trx: Knex.Transaction,
  projectId: string,
  milestoneId: string | undefined,
): Promise<{ project: InstanceRow; idTaken: boolean }> {
  if (milestoneId === undefined) return { project: await lockInstance(trx, projectId, 'project'), idTaken: false };
  const [found] = await lockProjectStatement(trx, [milestoneId, projectId]);
  if (!found) throw new NotFoundError(`No project with id ${projectId}.`, { id: projectId });
  const { id_taken: idTaken, ...project } = found;
  return { project, idTaken };
}

async function repeatOrConflict(
  trx: Knex.Transaction,
  existing: InstanceRow,
  projectId: string,
  request: CreateMilestoneRequest,
): Promise<Created> {
  const first = await trx<HistoryRow>('history').where({ instance_id: existing.id, seq: 1 }).first();
  const sameCreate =
    existing.machine === 'milestone' &&
    existing.project_id === projectId &&
    first !== undefined &&
    first.type === request.type &&
    first.actor === request.actor &&
    isDeepStrictEqual(first.payload, { amount: request.amount, description: request.description });
  if (!sameCreate) {
    throw new ConflictError(`An instance with id ${existing.id} already exists with a different body.`, {
      id: existing.id,
    });
  }
  return { row: existing, created: false };
}
