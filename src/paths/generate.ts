import type { AnyMachineSnapshot, StateValue } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import type { MachineDefinition } from '../../machines/definition.js';
import { abstractState } from './abstraction.js';
import { edgeCoverPaths } from './edge-cover.js';
import { candidateEvents, type PathEvent } from './event-cases.js';
import { modelInput } from './model-input.js';
import { modelOnlyJudge } from './model-only.js';
import { stateValueOf } from './transitions.js';

/**
 * shortest: one shortest path to every reachable (abstract) state; simple: every path that visits no abstract
 * state twice; transitions: shortest paths extended so that every reachable transition is taken at least once.
 */
export type Strategy = 'shortest' | 'simple' | 'transitions';

export interface GeneratedPath {
  /** The state value the path ends in. */
  target: StateValue;
  events: PathEvent[];
  /** Set when no live service can take this path (see model-only.ts); such paths stay for documentation. */
  modelOnly?: string;
}

export interface GeneratedPaths {
  machine: { name: string; version: number };
  strategy: Strategy;
  paths: GeneratedPath[];
  /** True when `maxPaths` cut the list. */
  truncated: boolean;
}

/**
 * Paths through one machine version with xstate/graph: shortest paths (one per reachable abstract state) or
 * simple paths (every path that visits no abstract state twice). Deterministic: the same machine gives the same
 * paths in the same order. Timer and settlement outcomes appear as explicit system events.
 */
export function generatePaths(
  def: MachineDefinition,
  strategy: Strategy,
  maxPaths = Number.POSITIVE_INFINITY,
): GeneratedPaths {
  const key = `${def.name}@${def.version}:${strategy}`;
  const all = memo.get(key) ?? computePaths(def, strategy);
  memo.set(key, all);
  return {
    machine: { name: def.name, version: def.version },
    strategy,
    paths: all.slice(0, maxPaths),
    truncated: all.length > maxPaths,
  };
}

// Generation is deterministic and simple paths of a large machine take seconds of CPU, so each (machine,
// version, strategy) is computed once per process: at most a dozen entries, one per registered combination.
const memo = new Map<string, GeneratedPath[]>();

function computePaths(def: MachineDefinition, strategy: Strategy): GeneratedPath[] {
  // xstate/graph's simple paths search again from the start for every target state and name each state they step
  // to on every step, always among the same snapshots (those of its adjacency map): named once per snapshot, the
  // paths are the same and come in a fraction of the time (docs/testing.md "Model-based tests").
  const names = new WeakMap<AnyMachineSnapshot, string>();
  const options = {
    input: modelInput(def),
    events: (snapshot: AnyMachineSnapshot) => candidateEvents(def, snapshot, strategy === 'simple' ? 'one' : 'all'),
    serializeState: (snapshot: AnyMachineSnapshot) => {
      let name = names.get(snapshot);
      if (name === undefined) names.set(snapshot, (name = abstractState(def.name, snapshot)));
      return name;
    },
    // Role and payload make distinct edges.
    serializeEvent: (event: PathEvent) => JSON.stringify(event),
  };
  let paths: GeneratedPath[];
  if (strategy === 'transitions') {
    paths = edgeCoverPaths(def, options, new Set());
  } else {
    const found = (strategy === 'shortest' ? getShortestPaths : getSimplePaths)(def.machine, options as never);
    paths = found.map((p) => ({
      target: stateValueOf(p.state),
      // The first step is XState's own initialisation, not an event anyone sends.
      events: p.steps.map((s) => s.event as PathEvent).filter((e) => e.type !== 'xstate.init'),
    }));
  }
  const modelOnlyReason = modelOnlyJudge(def);
  return paths.map((p) => {
    const reason = modelOnlyReason(p.events);
    return reason === null ? p : { ...p, modelOnly: reason };
  });
}
