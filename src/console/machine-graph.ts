import type { AnyStateNode } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';

/** A state node of the diagram; `id` is its path, e.g. `in_progress` or `disputed.negotiation`. */
export interface GraphNode {
  id: string;
  label: string;
  parent: string | null;
  kind: string;
  tags: string[];
  /** Events handled without leaving the state (flags, counters): listed inside the node, not drawn as edges. */
  internalEvents: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
  /** `initial` edges lead from a compound state to its first child; they shape the layout like any edge. */
  kind: 'event' | 'initial';
}

export interface MachineGraph {
  name: string;
  version: number;
  initial: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** xstate names delayed and eventless transitions internally; show them as a reader would say them. */
export function eventLabel(eventType: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  if (eventType === '') return 'always';
  return eventType;
}

const pathOf = (node: AnyStateNode): string => node.path.join('.');

/**
 * Reads states and transitions from the machine definition itself (`machine.root`), so the diagram can never
 * drift from the rules the engine runs. Guarded alternatives to one target collapse into a single edge.
 */
export function machineGraph(def: MachineDefinition): MachineGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  const visit = (node: AnyStateNode): void => {
    const id = pathOf(node);
    const internal = new Set<string>();
    const addTransition = (eventType: string, targets: readonly AnyStateNode[] | undefined): void => {
      const label = eventLabel(eventType);
      const outside = (targets ?? []).filter((t) => t !== node);
      if (outside.length === 0) internal.add(label);
      for (const target of outside) {
        const key = `${id}→${pathOf(target)}:${label}`;
        if (seen.has(key)) continue;
        seen.add(key);
        edges.push({ from: id, to: pathOf(target), label, kind: 'event' });
      }
    };
    for (const [eventType, transitions] of node.transitions) {
      for (const t of transitions) addTransition(eventType, t.target);
    }
    for (const t of node.always ?? []) addTransition('', t.target);
    nodes.push({
      id,
      label: node.key,
      parent: node.parent && node.parent !== def.machine.root ? pathOf(node.parent) : null,
      kind: node.type,
      tags: [...node.tags],
      internalEvents: [...internal],
    });
    const initialTargets = node.type === 'compound' ? (node.initial?.target ?? []) : [];
    for (const target of initialTargets) edges.push({ from: id, to: pathOf(target), label: '', kind: 'initial' });
    for (const child of Object.values(node.states)) visit(child);
  };
  for (const child of Object.values(def.machine.root.states)) visit(child);
  const initial = def.machine.root.initial?.target?.[0];
  return {
    name: def.name,
    version: def.version,
    initial: initial ? pathOf(initial) : (nodes[0]?.id ?? ''),
    nodes,
    edges,
  };
}
