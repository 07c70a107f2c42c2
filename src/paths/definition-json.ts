import { z } from 'zod';
import type { MachineDefinition } from '../../machines/definition.js';

interface NodeLike {
  id: string;
  key: string;
  type: string;
  tags: readonly string[];
  initial?: { target: readonly { key: string }[] };
  states: Record<string, NodeLike>;
  transitions: Map<string, { target?: readonly { id: string }[]; guard?: unknown }[]>;
}

interface StateJson {
  id: string;
  key: string;
  type: string;
  tags: string[];
  initial: string | null;
  states: StateJson[];
}

/** A guard as the machine names it: a string, a named object, or a combination such as and([...]). */
function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard) return String(guard.type);
  if (typeof guard === 'function') {
    const g = guard as { check?: unknown; guards?: unknown[]; name?: string };
    if (Array.isArray(g.guards))
      return `${g.name === 'and' || !g.name ? 'and' : g.name}(${g.guards.map(guardName).join(', ')})`;
    return g.name || 'inline';
  }
  return 'inline';
}

/**
 * A machine version as JSON (GET /v1/machines/:name): its state tree, every transition with its guard, and
 * every event with the roles that may send it and, for client events, the JSON Schema of its payload.
 */
export function definitionJson(def: MachineDefinition) {
  const transitions: { source: string; event: string; targets: string[]; guard: string | null }[] = [];
  const toJson = (node: NodeLike): StateJson => {
    for (const [event, list] of node.transitions) {
      for (const t of list)
        transitions.push({
          source: node.id,
          event,
          targets: (t.target ?? []).map((n) => n.id),
          guard: guardName(t.guard),
        });
    }
    return {
      id: node.id,
      key: node.key,
      type: node.type,
      tags: [...node.tags],
      initial: node.initial?.target[0]?.key ?? null,
      states: Object.values(node.states).map(toJson),
    };
  };
  const root = toJson(def.machine.root);
  const events = Object.entries(def.roles).map(([type, roles]) => {
    const payload = def.payloads[type];
    return {
      type,
      roles: [...roles],
      clientEvent: payload !== undefined,
      payload: payload ? z.toJSONSchema(payload) : null,
    };
  });
  return { name: def.name, version: def.version, root, events, transitions };
}
