import { machineVersions, type MachineName } from '../../machines/registry.js';
import type { AnyStateNode } from 'xstate';

const known = new Map<MachineName, ReadonlySet<string>>();

/** Every state path of every registered version of a machine: `in_progress`, `disputed`, `disputed.arbitration`. */
export function knownStatePaths(machine: MachineName): ReadonlySet<string> {
  const cached = known.get(machine);
  if (cached) return cached;
  const paths = new Set<string>();
  const visit = (node: AnyStateNode): void => {
    if (node.path.length > 0) paths.add(node.path.join('.'));
    for (const child of Object.values(node.states)) visit(child);
  };
  for (const def of machineVersions(machine)) visit(def.machine.root);
  known.set(machine, paths);
  return paths;
}

/**
 * How a `state` filter is looked up: a top-level name (`disputed`, every stage of it) by the `state` column,
 * a nested path (`disputed.negotiation`) by `state_path` and its partial index (see the list_queues migration).
 */
export type StateMatch = { column: 'state'; value: string } | { column: 'state_path'; value: string };

export function stateMatch(path: string): StateMatch {
  return path.includes('.') ? { column: 'state_path', value: path } : { column: 'state', value: path };
}
