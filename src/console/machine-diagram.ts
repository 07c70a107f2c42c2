import type { MachineDefinition } from '../../machines/definition.js';
import { diagramGraph, type DiagramGraph } from './elk-graph.js';
import { machineGraph } from './machine-graph.js';

export interface MachineDiagram extends DiagramGraph {
  name: string;
  version: number;
  /** Every state path of this version, e.g. `disputed.negotiation`. */
  states: string[];
}

const cache = new WeakMap<MachineDefinition, MachineDiagram>();

/** The state diagram of one registered machine version; versions never change, so each is built once. */
export function machineDiagram(def: MachineDefinition): MachineDiagram {
  let diagram = cache.get(def);
  if (!diagram) {
    const graph = machineGraph(def);
    diagram = { name: def.name, version: def.version, states: graph.nodes.map((n) => n.id), ...diagramGraph(graph) };
    cache.set(def, diagram);
  }
  return diagram;
}
