import type { StateValue } from 'xstate';
import { machineVersions, registeredMachines } from '../../machines/registry.js';

/**
 * Subscription patterns (docs/api.md): `*` (everything), `<machine>.<EVENT_TYPE>` (that event was applied) and
 * `<machine>.state.<state>` (the instance entered that state; nested states as `disputed.negotiation`).
 * "Entered" means the state is in the event's `to` and was not in its `from`, so a self-transition such as
 * REQUEST_RELEASE (in_progress → in_progress) does not fire `milestone.state.in_progress` again.
 */

export interface TransitionFacts {
  machine: string;
  type: string;
  from: unknown;
  to: unknown;
}

/** Every path of a state value from the root: {disputed: 'negotiation'} → ['disputed', 'disputed.negotiation']. */
export function statePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, StateValue>).flatMap(([key, child]) => [
    `${prefix}${key}`,
    ...statePaths(child, `${prefix}${key}.`),
  ]);
}

export function matches(pattern: string, t: TransitionFacts): boolean {
  if (pattern === '*') return true;
  const statePrefix = `${t.machine}.state.`;
  if (pattern.startsWith(statePrefix)) {
    const state = pattern.slice(statePrefix.length);
    return statePaths(t.to).includes(state) && !statePaths(t.from).includes(state);
  }
  return pattern === `${t.machine}.${t.type}`;
}

interface StateNodeLike {
  states: Record<string, StateNodeLike>;
}

function nodePaths(node: StateNodeLike, prefix = ''): string[] {
  return Object.entries(node.states).flatMap(([key, child]) => [
    `${prefix}${key}`,
    ...nodePaths(child, `${prefix}${key}.`),
  ]);
}

/** Every pattern a subscriber may use today, from all registered machine versions (old ones still run). */
export function knownPatterns(): Set<string> {
  const known = new Set<string>(['*']);
  for (const name of new Set(registeredMachines().map((d) => d.name))) {
    for (const def of machineVersions(name)) {
      for (const type of Object.keys(def.roles)) known.add(`${name}.${type}`);
      for (const path of nodePaths(def.machine.root)) known.add(`${name}.state.${path}`);
    }
  }
  return known;
}

/** The body's `type`: `<machine>.<EVENT_TYPE>`, the same string a subscriber puts in `events`. */
export function deliveryType(machine: string, eventType: string): string {
  return `${machine}.${eventType}`;
}
