import type { AnyMachineSnapshot } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import { pinnedMachine, type MachineName } from '../../machines/registry.js';
import { partyColumnsOf, roleOf, type Parties, type Role } from '../../machines/roles.js';
import { ForbiddenError, InvalidRequestError, VersionConflictError } from '../errors/index.js';
import { zodIssues } from '../errors/zod-issues.js';
import { planEffects, type EffectPlan } from './effects.js';
import { payloadOf, type EngineEvent } from './engine-event.js';
import { topLevelState, type InstanceRow } from './instance-row.js';
import { step } from './machine-step.js';
import { notHandled, refusalOf } from './refusal.js';
import { handledEvents, persistSnapshot, restoreSnapshot } from './snapshot.js';
import type { TransitionWrite } from './transition-write.js';

export interface ApplyOptions {
  /** The caller's `If-Match`: refuse unless the instance is still at this seq. */
  expectedSeq?: number;
  /**
   * `client` (the default) for events that came from outside: validated against the pinned version's payload
   * schemas, and never able to act as the system. `system` only for the engine's and workers' own events.
   */
  origin?: 'client' | 'system';
  /** The client's token holds the support scope: a non-party actor then acts as support staff. */
  supportScope?: boolean;
  /** The API request (X-Request-Id) or settlement that caused this event, recorded on its outbox and inbox rows. */
  requestId?: string;
  /** The API client whose request caused this event (audit trail), on its history, outbox and inbox rows. */
  clientId?: string;
}

/** What caused an event, carried to the events it derives (a milestone's event for its project). */
export type EventCause = Pick<ApplyOptions, 'requestId' | 'clientId'>;

export interface Applied<R extends InstanceRow = InstanceRow> {
  row: R;
  /** The seq of the history entry this event wrote. */
  seq: number;
}

/** An event checked and run through its machine, ready to be written (see write-updates.ts). */
export interface PreparedEvent {
  write: TransitionWrite;
  plan: EffectPlan;
}

/** The event as the machine sees it: a client's payload checked against the pinned version, flags set. */
function machineEventOf(
  def: MachineDefinition,
  snapshot: AnyMachineSnapshot,
  event: EngineEvent,
  options: ApplyOptions,
) {
  if ((options.origin ?? 'client') === 'system') return { ...event, system: true as const };
  const payloadSchema = def.payloads[event.type];
  if (!payloadSchema && def.roles[event.type]) {
    // A known event that only the system sends (SETTLED, MILESTONE_*): a role question, not a bad request.
    throw new ForbiddenError(`${event.type} is sent only by the system.`, {
      role: roleOf(snapshot.context as Parties, event),
      allowedRoles: def.roles[event.type],
    });
  }
  if (!payloadSchema) {
    throw new InvalidRequestError(`Unknown event type ${event.type} for ${def.name}@${def.version}.`, {
      knownEvents: Object.keys(def.payloads),
    });
  }
  // Everything but type and actor must be this event's payload: a stray `system` field is refused here like any
  // other unknown field, so a client can never pose as the system.
  const { type: _type, actor: _actor, ...fields } = event;
  const parsed = payloadSchema.safeParse(fields);
  if (!parsed.success)
    throw new InvalidRequestError(`Invalid ${event.type} payload.`, { issues: zodIssues(parsed.error) });
  // The client is the authenticated token's (never a payload field), so four-eyes rules can compare clients.
  const signed = options.clientId === undefined ? event : { ...event, client: options.clientId };
  return options.supportScope ? { ...signed, support: true as const } : signed;
}

/** Who sends the event, or 403: a role is derived from the parties, never claimed (docs/concepts.md). */
function roleFor(def: MachineDefinition, snapshot: AnyMachineSnapshot, event: EngineEvent & { system?: true }): Role {
  const role = roleOf(snapshot.context as Parties, event);
  const allowedRoles = def.roles[event.type] ?? [];
  if (role === null || !allowedRoles.includes(role)) {
    throw new ForbiddenError(
      role === null ? `${event.actor} is not a party to this ${def.name}.` : `A ${role} may not send ${event.type}.`,
      { role, allowedRoles },
    );
  }
  return role;
}

/** The write of an accepted event: the new snapshot, its history row and the effects it plans. */
function writeOf(row: InstanceRow, next: AnyMachineSnapshot, plan: EffectPlan, event: EngineEvent, role: Role) {
  const persisted = persistSnapshot(next);
  const parties = partyColumnsOf(next.context as Parties);
  const write: TransitionWrite = {
    instanceId: row.id,
    seq: row.seq + 1,
    history: {
      type: event.type,
      actor: event.actor,
      role,
      payload: payloadOf(event),
      from: row.snapshot.value,
      to: persisted.value,
      machineVersion: row.version,
    },
    instance: {
      state: topLevelState(persisted.value),
      snapshot: persisted,
      employerId: parties.employerId,
      freelancerId: parties.freelancerId,
    },
    outbox: plan.outbox,
    notifications: plan.notifications,
    requestId: null,
    clientId: null,
  };
  return write;
}

/**
 * Checks one event against an instance row as read (If-Match, payload, role, state, rules) and runs the pinned
 * machine version's transition(), without I/O. Any refusal throws the API error for it.
 */
export function prepareEvent(
  row: InstanceRow,
  machine: MachineName,
  event: EngineEvent,
  options: ApplyOptions,
): PreparedEvent {
  if (options.expectedSeq !== undefined && options.expectedSeq !== row.seq) {
    throw new VersionConflictError(`Expected seq ${options.expectedSeq} but the ${machine} is at ${row.seq}.`, {
      seq: row.seq,
    });
  }
  const def = pinnedMachine(row.machine, row.version);
  const snapshot = restoreSnapshot(def, row.snapshot);
  const machineEvent = machineEventOf(def, snapshot, event, options);
  const role = roleFor(def, snapshot, machineEvent);
  if (!handledEvents(snapshot).includes(event.type)) throw notHandled(def, snapshot, row, event.type);
  if (!snapshot.can(machineEvent)) throw refusalOf(def, snapshot, machineEvent, row);

  const [next, actions] = step(def.machine, snapshot, machineEvent);
  const transitionRecord = {
    machine: row.machine,
    seq: row.seq + 1,
    type: event.type,
    actor: event.actor,
    from: row.snapshot.value,
    to: next.value as unknown,
  };
  const plan = planEffects(row.id, transitionRecord, next, actions);
  const write = writeOf(row, next, plan, event, role);
  return { plan, write: { ...write, requestId: options.requestId ?? null, clientId: options.clientId ?? null } };
}
