import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { GraphNode, MachineGraph } from './machine-graph.js';
import { stateName } from './state-names.js';

// The state diagram as ELK's layered algorithm should lay it out. The console's page runs ELK (in a web worker)
// and draws the SVG; this side decides what is drawn and how big each box and label is.

/** A box of the diagram: a state, a cluster (compound state) or the dot a level starts from. */
export interface DiagramNode {
  id: string;
  label: string;
  /** `atomic`, `final`, `compound` (a cluster around its children) or `initial` (the start dot). */
  kind: string;
  parent: string | null;
  internalEvents: string[];
}

/** An arrow: one per pair of states, standing for every event that leads from one to the other. */
export interface DiagramEdge {
  id: string;
  from: string;
  to: string;
  events: string[];
  kind: 'event' | 'initial';
}

export interface DiagramGraph {
  nodes: DiagramNode[];
  edges: DiagramEdge[];
  /** ELK's input: the same nodes and edges (by id) with sizes and layout options. */
  elk: ElkNode;
}

// Text metrics for the fonts the console's stylesheet gives the diagram: state names in 13px sans-serif (its
// widest common letters), event names in 11px monospace (0.6 em a character), so boxes fit their text.
const STATE_CHAR_PX = 7.6;
const EVENT_CHAR_PX = 6.6;
const EVENT_LINE_PX = 14;
const LABEL_HEIGHT_PX = 15;
const NODE_MIN_WIDTH_PX = 90;
const NODE_PADDING_PX = 14;
const NODE_BASE_HEIGHT_PX = 34;
const INITIAL_DOT_PX = 12;
const CLUSTER_HEADER_PX = 30;

/** The start dot of the whole machine, and of each compound state (`disputed#initial`). */
export const initialDotOf = (state: string | null): string => `${state ?? ''}#initial`;

export const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  // Top to bottom: the milestone machine is then about as wide as a console panel (left to right it was more
  // than twice as wide), so it reads at full size and scrolls the way pages do.
  'elk.direction': 'DOWN',
  // Break cycles (every "back to in progress") following the machine's own order, so the happy path runs down.
  'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
  // One layout across cluster borders, so an edge into or out of a dispute stage is routed with the rest.
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '40',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.spacing.nodeNode': '22',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeLabel': '2',
  // Labels sit on their edge's line (a gap in the line), so no label can drift away from its arrow.
  'elk.edgeLabels.inline': 'true',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  // Every coordinate relative to the whole drawing, so the SVG needs no nested transforms.
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
};

const leafName = (id: string): string => stateName(id.split('.').pop() ?? id);

function nodeSize(n: GraphNode): { width: number; height: number } {
  const widest = Math.max(
    leafName(n.id).length * STATE_CHAR_PX,
    ...n.internalEvents.map((e) => (e.length + 2) * EVENT_CHAR_PX),
  );
  return {
    width: Math.ceil(Math.max(NODE_MIN_WIDTH_PX, widest + NODE_PADDING_PX * 2)),
    height: NODE_BASE_HEIGHT_PX + n.internalEvents.length * EVENT_LINE_PX,
  };
}

/** Parallel transitions between two states become one arrow named by all their events. */
function diagramEdges(graph: MachineGraph): DiagramEdge[] {
  const edges: DiagramEdge[] = [{ id: 'e0', from: initialDotOf(null), to: graph.initial, events: [], kind: 'initial' }];
  for (const e of graph.edges) {
    if (e.kind === 'initial')
      edges.push({ id: `e${edges.length}`, from: initialDotOf(e.from), to: e.to, events: [], kind: 'initial' });
  }
  const merged = new Map<string, DiagramEdge>();
  for (const e of graph.edges) {
    if (e.kind !== 'event') continue;
    const key = `${e.from}\u0000${e.to}`;
    let edge = merged.get(key);
    if (!edge) {
      edge = { id: `e${edges.length + merged.size}`, from: e.from, to: e.to, events: [], kind: 'event' };
      merged.set(key, edge);
    }
    if (!edge.events.includes(e.label)) edge.events.push(e.label);
  }
  return [...edges, ...merged.values()];
}

function diagramNodes(graph: MachineGraph): DiagramNode[] {
  const nodes: DiagramNode[] = [
    { id: initialDotOf(null), label: 'start', kind: 'initial', parent: null, internalEvents: [] },
  ];
  for (const n of graph.nodes) {
    nodes.push({ id: n.id, label: leafName(n.id), kind: n.kind, parent: n.parent, internalEvents: n.internalEvents });
    if (n.kind === 'compound')
      nodes.push({ id: initialDotOf(n.id), label: 'start', kind: 'initial', parent: n.id, internalEvents: [] });
  }
  return nodes;
}

/** The machine's diagram: what to draw, and ELK's input to place it. */
export function diagramGraph(graph: MachineGraph): DiagramGraph {
  const nodes = diagramNodes(graph);
  const edges = diagramEdges(graph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const elkNodes = new Map<string, ElkNode>();
  const root: ElkNode = { id: 'root', layoutOptions: LAYOUT_OPTIONS, children: [] };
  for (const n of nodes) {
    const source = byId.get(n.id);
    const elkNode: ElkNode =
      n.kind === 'initial'
        ? { id: n.id, width: INITIAL_DOT_PX, height: INITIAL_DOT_PX }
        : n.kind === 'compound' || !source
          ? {
              id: n.id,
              children: [],
              layoutOptions: { 'elk.padding': `[top=${CLUSTER_HEADER_PX + 6},left=12,bottom=12,right=12]` },
            }
          : { id: n.id, ...nodeSize(source) };
    elkNodes.set(n.id, elkNode);
    const parent = n.parent === null ? root : elkNodes.get(n.parent);
    if (!parent) throw new Error(`state ${n.id} listed before its parent ${n.parent}`);
    (parent.children ??= []).push(elkNode);
  }
  root.edges = edges.map((e): ElkExtendedEdge => ({
    id: e.id,
    sources: [e.from],
    targets: [e.to],
    ...(e.events.length > 0 && {
      labels: [
        {
          text: e.events.join(' / '),
          width: Math.ceil(e.events.join(' / ').length * EVENT_CHAR_PX) + 6,
          height: LABEL_HEIGHT_PX,
        },
      ],
    }),
  }));
  return { nodes, edges, elk: root };
}
