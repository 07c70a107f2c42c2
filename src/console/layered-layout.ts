import type { MachineGraph } from './machine-graph.js';

export interface PlacedNode {
  id: string;
  label: string;
  kind: string;
  internalEvents: string[];
  rank: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  label: string;
  kind: 'event' | 'initial';
  /** SVG path data and where its label sits. */
  d: string;
  labelX: number;
  labelY: number;
}

export interface Layout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

// Sizes in SVG user units; the text metrics assume the 13px/11px sans-serif the console's stylesheet sets.
const CHAR_WIDTH = 7.6;
const SMALL_CHAR_WIDTH = 6.4;
const NODE_MIN_WIDTH = 96;
const NODE_PADDING = 18;
const NODE_BASE_HEIGHT = 34;
const INTERNAL_LINE_HEIGHT = 14;
const COLUMN_GAP = 120;
const ROW_GAP = 44;
const MARGIN = 24;
const BACK_EDGE_DIP = 30;
const BACK_EDGE_SPREAD = 16;

/**
 * A simple layered (Sugiyama-style) layout: each state's column is its breadth-first distance from the initial
 * state, states in a column are ordered by where their predecessors sit (one barycentre pass, which removes
 * most crossings in machines this size), forward edges run left to right and back edges loop underneath.
 */
export function layeredLayout(graph: MachineGraph): Layout {
  const rank = new Map<string, number>([[graph.initial, 0]]);
  const queue = [graph.initial];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const e of graph.edges) {
      if (e.from === id && !rank.has(e.to)) {
        rank.set(e.to, (rank.get(id) ?? 0) + 1);
        queue.push(e.to);
      }
    }
  }
  // States no path reaches (possible in a hand-written machine) still get drawn, in a column of their own.
  const unreachableRank = Math.max(0, ...rank.values()) + 1;
  for (const n of graph.nodes) if (!rank.has(n.id)) rank.set(n.id, unreachableRank);

  const columns: string[][] = [];
  for (const n of graph.nodes) (columns[rank.get(n.id) as number] ??= []).push(n.id);
  const order = new Map<string, number>();
  columns.forEach((column, r) => {
    if (r > 0) {
      const centre = (id: string): number => {
        const preds = graph.edges
          .filter((e) => e.to === id && (rank.get(e.from) ?? 0) < r)
          .map((e) => order.get(e.from) ?? 0);
        return preds.length ? preds.reduce((a, b) => a + b, 0) / preds.length : Number.MAX_SAFE_INTEGER;
      };
      const centres = new Map(column.map((id) => [id, centre(id)]));
      column.sort((a, b) => (centres.get(a) as number) - (centres.get(b) as number));
    }
    column.forEach((id, i) => order.set(id, i));
  });

  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const size = (id: string) => {
    const n = byId.get(id);
    const label = n?.parent ? `${n.parent} › ${n.label}` : (n?.label ?? id);
    const internal = n?.internalEvents ?? [];
    const width = Math.max(
      NODE_MIN_WIDTH,
      NODE_PADDING * 2 + Math.max(label.length * CHAR_WIDTH, ...internal.map((e) => (e.length + 2) * SMALL_CHAR_WIDTH)),
    );
    return { label, width: Math.ceil(width), height: NODE_BASE_HEIGHT + internal.length * INTERNAL_LINE_HEIGHT };
  };
  const columnWidths = columns.map((c) => Math.max(0, ...(c ?? []).map((id) => size(id).width)));
  const columnHeights = columns.map(
    (c) => (c ?? []).reduce((h, id) => h + size(id).height, 0) + Math.max(0, (c ?? []).length - 1) * ROW_GAP,
  );
  const innerHeight = Math.max(0, ...columnHeights);

  const placed = new Map<string, PlacedNode>();
  let x = MARGIN;
  columns.forEach((column, r) => {
    let y = MARGIN + (innerHeight - (columnHeights[r] ?? 0)) / 2;
    for (const id of column ?? []) {
      const s = size(id);
      const n = byId.get(id);
      placed.set(id, {
        id,
        label: s.label,
        kind: n?.kind ?? 'atomic',
        internalEvents: n?.internalEvents ?? [],
        rank: r,
        x: x + ((columnWidths[r] ?? 0) - s.width) / 2,
        y,
        width: s.width,
        height: s.height,
      });
      y += s.height + ROW_GAP;
    }
    x += (columnWidths[r] ?? 0) + COLUMN_GAP;
  });

  // Parallel edges between the same two states read better as one arrow with both event names.
  const merged = new Map<string, { from: string; to: string; labels: string[]; kind: 'event' | 'initial' }>();
  for (const e of graph.edges) {
    const key = `${e.from}\u0000${e.to}\u0000${e.kind}`;
    const m = merged.get(key) ?? { from: e.from, to: e.to, labels: [], kind: e.kind };
    if (e.label && !m.labels.includes(e.label)) m.labels.push(e.label);
    merged.set(key, m);
  }
  let maxY = MARGIN + innerHeight;
  let backEdges = 0;
  const edges: PlacedEdge[] = [];
  for (const m of merged.values()) {
    const a = placed.get(m.from);
    const b = placed.get(m.to);
    if (!a || !b) continue;
    const label = m.labels.join(' / ');
    if (b.rank > a.rank) {
      const x1 = a.x + a.width,
        y1 = a.y + a.height / 2,
        x2 = b.x,
        y2 = b.y + b.height / 2;
      const bend = (x2 - x1) / 2;
      edges.push({
        ...m,
        label,
        d: `M${r1(x1)},${r1(y1)} C${r1(x1 + bend)},${r1(y1)} ${r1(x2 - bend)},${r1(y2)} ${r1(x2)},${r1(y2)}`,
        labelX: r1((x1 + x2) / 2),
        labelY: r1((y1 + y2) / 2 - 4),
      });
    } else {
      // Back (or same-column) edge: leave from the bottom, loop below both states, arrive at the bottom.
      const x1 = a.x + a.width / 2,
        y1 = a.y + a.height,
        x2 = b.x + b.width / 2 + (x1 === b.x + b.width / 2 ? 12 : 0),
        y2 = b.y + b.height;
      // Each back edge dips a little lower than the previous one, so their curves and labels do not pile up.
      const low = Math.max(y1, y2) + BACK_EDGE_DIP + backEdges++ * BACK_EDGE_SPREAD;
      maxY = Math.max(maxY, low);
      edges.push({
        ...m,
        label,
        d: `M${r1(x1)},${r1(y1)} C${r1(x1)},${r1(low)} ${r1(x2)},${r1(low)} ${r1(x2)},${r1(y2)}`,
        labelX: r1((x1 + x2) / 2),
        labelY: r1(low - 2),
      });
    }
  }
  return {
    width: Math.ceil(x - COLUMN_GAP + MARGIN),
    height: Math.ceil(maxY + MARGIN),
    nodes: [...placed.values()],
    edges,
  };
}

const r1 = (n: number): number => Math.round(n * 10) / 10;
