import type { AnyMachineSnapshot } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import type { MachineDefinition } from '../../machines/definition.js';
import type { PathEvent } from './event-cases.js';
import type { GeneratedPath } from './generate.js';
import { stateValueOf, takenTransitions } from './transitions.js';

interface Vertex {
  state: AnyMachineSnapshot;
  transitions: Record<string, { event: PathEvent; state: AnyMachineSnapshot }>;
}

/**
 * Paths that together take every transition of the machine the model can reach: for each transition not yet
 * taken, the shortest path (breadth-first over abstract states) to a state where a candidate event takes it,
 * plus that event. Complements shortest paths, which reach every state but skip self-transitions.
 */
export function edgeCoverPaths(
  def: MachineDefinition,
  options: { serializeState: (snapshot: AnyMachineSnapshot) => string },
  covered: Set<string>,
): GeneratedPath[] {
  const adjacency = getAdjacencyMap(def.machine, options as never) as unknown as Record<string, Vertex>;
  const keys = Object.keys(adjacency);
  const first = keys[0];
  if (first === undefined) return [];
  // Breadth-first shortest event sequence to every abstract state, in the map's deterministic order.
  const route = new Map<string, PathEvent[]>([[first, []]]);
  const queue = [first];
  while (queue.length > 0) {
    const from = queue.shift()!;
    for (const t of Object.values(adjacency[from]!.transitions)) {
      const key = options.serializeState(t.state);
      const event = t.event;
      if (adjacency[key] && !route.has(key)) {
        route.set(key, [...route.get(from)!, event]);
        queue.push(key);
      }
    }
  }
  const paths: GeneratedPath[] = [];
  for (const [key, events] of route) {
    const vertex = adjacency[key]!;
    for (const t of Object.values(vertex.transitions)) {
      const taken = takenTransitions(def.machine, vertex.state, t.event).filter((k) => !covered.has(k));
      if (taken.length === 0) continue;
      for (const k of taken) covered.add(k);
      paths.push({ target: stateValueOf(t.state), events: [...events, t.event] });
    }
  }
  return paths;
}
