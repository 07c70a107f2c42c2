import type { AnyMachineSnapshot } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import type { Parties, Role, SentEvent } from '../../machines/roles.js';
import { DERIVING_ACTION, derivedEvent, type DerivedEvent } from './effects.js';
import { candidates, hasEffect, judge, type TransitionLike } from './guard-tree.js';
import { handledEvents } from './snapshot.js';

// Honest availability (docs/api.md "Views (v1.1)"): an event is listed only if some party (or support) could send it
// now and the machine would accept it with at least one valid payload. One implementation for the views, the
// console's data and the path generator, for every registered machine version: it reads the version's roles
// table, its transitions and its rule book, nothing machine-specific.

/** An event someone may send now, with the roles that may send it. */
export interface AvailableEvent {
  type: string;
  roles: Role[];
}

/**
 * The snapshot of an instance an event derives an event for (a milestone's project), or null when there is none.
 * `'assumed'`: the caller has no related instances at hand (the path generator's model), and takes every derived
 * event as accepted.
 */
export type RelatedSnapshots = ((instanceId: string, machine: string) => AnyMachineSnapshot | null) | 'assumed';

// Not a possible actor id (ids never hold control characters), so the probe is never mistaken for a party.
const SUPPORT_PROBE = '\u0000support';

/** The event a role would send, without payload; null when the instance has no one in that role yet. */
function probe(role: Role, type: string, parties: Parties): SentEvent | null {
  switch (role) {
    case 'employer':
      return 'employerId' in parties ? { type, actor: parties.employerId } : null;
    case 'freelancer':
      return 'freelancerId' in parties && parties.freelancerId !== null ? { type, actor: parties.freelancerId } : null;
    case 'owner':
      return 'ownerId' in parties ? { type, actor: parties.ownerId } : null;
    case 'support':
      return { type, actor: SUPPORT_PROBE, support: true };
    case 'system':
      return null;
  }
}

/** The events a transition's own actions derive for related instances, resolved for this sender. */
function derivedBy(t: TransitionLike, instanceId: string, context: unknown, event: object): DerivedEvent[] {
  return t.actions.flatMap((action) => {
    const a = action as { type?: unknown; params?: unknown };
    if (typeof a !== 'object' || a === null || a.type !== DERIVING_ACTION) return [];
    const params = typeof a.params === 'function' ? (a.params as (x: object) => unknown)({ context, event }) : a.params;
    return [derivedEvent(instanceId, context, (params ?? {}) as Record<string, unknown>)];
  });
}

function relatedAccepts(d: DerivedEvent, related: RelatedSnapshots): boolean {
  if (related === 'assumed') return true;
  const snapshot = related(d.instanceId, d.machine);
  return snapshot !== null && snapshot.can({ ...d.event, system: true });
}

/** Whether this sender could have the event accepted now (payload rules aside), derived events included. */
function acceptedFrom(
  snapshot: AnyMachineSnapshot,
  def: MachineDefinition,
  instanceId: string,
  event: object,
  related: RelatedSnapshots,
): boolean {
  const args = { context: snapshot.context as unknown, event };
  return candidates(snapshot, (event as { type: string }).type).some(
    (t) =>
      hasEffect(t) &&
      judge(t.guard, def.rules, args, 'unknown').pass !== false &&
      derivedBy(t, instanceId, snapshot.context, event).every((d) => relatedAccepts(d, related)),
  );
}

/**
 * Events a client may send now, each with the roles that may send it. With `system: true`, also the engine's
 * own events (settlement outcomes, timers, derived events), as the path generator's model needs them.
 */
export function availableEvents(
  def: MachineDefinition,
  snapshot: AnyMachineSnapshot,
  instanceId: string,
  related: RelatedSnapshots,
  options: { system?: boolean } = {},
): AvailableEvent[] {
  const parties = snapshot.context as Parties;
  const available: AvailableEvent[] = [];
  for (const type of handledEvents(snapshot)) {
    if (!(type in def.payloads) && !options.system) continue;
    const roles = (def.roles[type] ?? []).filter((role) => {
      const event: SentEvent | null =
        role !== 'system'
          ? probe(role, type, parties)
          : options.system
            ? { type, actor: 'system', system: true }
            : null;
      return event !== null && acceptedFrom(snapshot, def, instanceId, event, related);
    });
    if (roles.length > 0) available.push({ type, roles });
  }
  return available;
}

/** The types of availableEvents: docs/api.md's `allowedEvents`. */
export function allowedEvents(
  def: MachineDefinition,
  snapshot: AnyMachineSnapshot,
  instanceId: string,
  related: RelatedSnapshots,
): string[] {
  return availableEvents(def, snapshot, instanceId, related).map((e) => e.type);
}
