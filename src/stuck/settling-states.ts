import { registeredMachines } from '../../machines/registry.js';

/**
 * The top-level states in which a settlement is in flight, per machine: every registered version's states
 * whose node carries the `settling` tag (funding, releasing, cancelling, resolving today). Read from the
 * machines, so a new settling state in a new version is watched without touching this code. Only top-level
 * nodes count, because `instances.state` (the indexed column the detector filters on) is the top-level state.
 */
export function settlingStates(): ReadonlyMap<string, readonly string[]> {
  const found = new Map<string, Set<string>>();
  for (const def of registeredMachines()) {
    for (const [name, node] of Object.entries(def.machine.root.states)) {
      if (!node.tags.includes('settling')) continue;
      const states = found.get(def.name) ?? new Set<string>();
      states.add(name);
      found.set(def.name, states);
    }
  }
  return new Map([...found].map(([machine, states]) => [machine, [...states].sort()]));
}
