import type { MachineDefinition } from '../../machines/definition.js';
import { diagramSvg } from './diagram-svg.js';
import { layeredLayout } from './layered-layout.js';
import { machineGraph } from './machine-graph.js';

const cache = new WeakMap<MachineDefinition, { name: string; version: number; states: string[]; svg: string }>();

/** The state diagram of one registered machine version; versions never change, so each is drawn once. */
export function machineDiagram(def: MachineDefinition) {
  let diagram = cache.get(def);
  if (!diagram) {
    const graph = machineGraph(def);
    diagram = {
      name: def.name,
      version: def.version,
      states: graph.nodes.map((n) => n.id),
      svg: diagramSvg(layeredLayout(graph), `${def.name} version ${def.version} state diagram`),
    };
    cache.set(def, diagram);
  }
  return diagram;
}
