import elkBundle from 'elkjs/lib/elk.bundled.js';
import type { ElkNode } from 'elkjs/lib/elk-api.js';
import { setup } from 'xstate';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MachineDefinition } from '../../machines/definition.js';
import { milestoneV1 } from '../../machines/milestone.v1.js';
import { milestoneV2 } from '../../machines/milestone.v2.js';
import { projectV2 } from '../../machines/project.v2.js';
import { diagramGraph, initialDotOf } from '../../src/console/elk-graph.js';
import { machineGraph } from '../../src/console/machine-graph.js';
import { stateName, statePathName } from '../../src/console/state-names.js';

// The package is CommonJS: Node hands its module.exports over as the default import; the constructor is also
// on `.default`, which is where the types put it.
const ELK = elkBundle.default;

interface Box {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Point {
  x: number;
  y: number;
}

/** Every node of a laid-out ELK graph, flattened (coordinates are absolute: elk.json.shapeCoords ROOT). */
function boxes(node: ElkNode): Box[] {
  return (node.children ?? []).flatMap((c) => [
    { id: c.id, x: c.x ?? NaN, y: c.y ?? NaN, width: c.width ?? NaN, height: c.height ?? NaN },
    ...boxes(c),
  ]);
}

const inside = (inner: Box, outer: Box) =>
  inner.x >= outer.x &&
  inner.y >= outer.y &&
  inner.x + inner.width <= outer.x + outer.width &&
  inner.y + inner.height <= outer.y + outer.height;
const apart = (a: Box, b: Box) =>
  a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
const onBorder = (p: Point, b: Box, slack = 1) =>
  p.x >= b.x - slack &&
  p.x <= b.x + b.width + slack &&
  p.y >= b.y - slack &&
  p.y <= b.y + b.height + slack &&
  (Math.abs(p.x - b.x) <= slack ||
    Math.abs(p.x - b.x - b.width) <= slack ||
    Math.abs(p.y - b.y) <= slack ||
    Math.abs(p.y - b.y - b.height) <= slack);

/** How far a label's box is from the nearest segment of its (orthogonal) edge; 0 when they touch. */
function labelGap(label: Box, line: Point[]): number {
  let best = Infinity;
  for (let i = 1; i < line.length; i++) {
    const a = line[i - 1]!;
    const b = line[i]!;
    const dx = Math.max(0, label.x - Math.max(a.x, b.x), Math.min(a.x, b.x) - (label.x + label.width));
    const dy = Math.max(0, label.y - Math.max(a.y, b.y), Math.min(a.y, b.y) - (label.y + label.height));
    best = Math.min(best, Math.hypot(dx, dy));
  }
  return best;
}

describe('machine diagram', () => {
  const graph = machineGraph(milestoneV2);
  const diagram = diagramGraph(graph);
  let laid: ElkNode;
  beforeAll(async () => {
    // The same engine and input as the console's page (which runs it in a web worker).
    laid = await new ELK().layout(diagram.elk);
  }, 60_000);

  it('reads every state and transition from the machine definition', () => {
    const v1 = machineGraph(milestoneV1);
    expect(v1.initial).toBe('draft');
    expect(v1.nodes.map((n) => n.id).sort()).toEqual(Object.keys(milestoneV1.machine.root.states).sort());
    expect(v1.edges).toEqual(
      expect.arrayContaining([
        { from: 'draft', to: 'funding', label: 'CREATE', kind: 'event' },
        { from: 'in_progress', to: 'releasing', label: 'RELEASE', kind: 'event' },
        { from: 'releasing', to: 'released', label: 'SETTLED', kind: 'event' },
        { from: 'releasing', to: 'in_progress', label: 'SETTLED', kind: 'event' },
      ]),
    );
    // Flags that leave the state unchanged are listed inside it rather than drawn as self-loops.
    expect(v1.nodes.find((n) => n.id === 'in_progress')?.internalEvents).toEqual([
      'REQUEST_RELEASE',
      'REQUEST_CANCEL',
      'REJECT_CANCEL',
    ]);
  });

  it('draws compound states as clusters that hold their stages and a start dot', () => {
    const disputed = diagram.nodes.filter((n) => n.parent === 'disputed').map((n) => n.id);
    expect(disputed).toEqual([
      initialDotOf('disputed'),
      'disputed.awaiting_response',
      'disputed.negotiation',
      'disputed.arbitration_pending',
      'disputed.arbitration',
    ]);
    expect(diagram.nodes.find((n) => n.id === 'disputed')).toMatchObject({ kind: 'compound', label: 'Disputed' });
    expect(diagram.edges).toContainEqual(
      expect.objectContaining({ from: initialDotOf('disputed'), to: 'disputed.awaiting_response', kind: 'initial' }),
    );
    const all = new Map(boxes(laid).map((b) => [b.id, b]));
    for (const id of disputed) expect(inside(all.get(id)!, all.get('disputed')!), id).toBe(true);
  });

  it('places no two states on top of each other', () => {
    const all = boxes(laid);
    const parentOf = new Map(diagram.nodes.map((n) => [n.id, n.parent]));
    for (const a of all)
      for (const b of all) {
        if (a.id >= b.id || parentOf.get(a.id) !== parentOf.get(b.id)) continue;
        expect(apart(a, b), `${a.id} overlaps ${b.id}`).toBe(true);
      }
  });

  it('routes every edge from its source to its target, with its label beside it', () => {
    const all = new Map(boxes(laid).map((b) => [b.id, b]));
    const meta = new Map(diagram.edges.map((e) => [e.id, e]));
    expect(laid.edges).toHaveLength(diagram.edges.length);
    for (const e of laid.edges ?? []) {
      const m = meta.get(e.id)!;
      const s = e.sections?.[0];
      expect(s, e.id).toBeDefined();
      const points = [s!.startPoint, ...(s!.bendPoints ?? []), s!.endPoint];
      expect(onBorder(points[0]!, all.get(m.from)!), `${m.from} → ${m.to} starts at its source`).toBe(true);
      expect(onBorder(points[points.length - 1]!, all.get(m.to)!), `${m.from} → ${m.to} ends at its target`).toBe(true);
      const label = e.labels?.[0];
      if (m.kind === 'initial') continue;
      expect(label?.text).toBe(m.events.join(' / '));
      const box = { id: e.id, x: label!.x!, y: label!.y!, width: label!.width!, height: label!.height! };
      // ELK puts each label beside its own edge (elk.spacing.edgeLabel apart), never out in the open.
      expect(labelGap(box, points), `label ${label!.text}`).toBeLessThanOrEqual(4);
    }
    // releasing → in_progress stands for both ways back: one arrow, both names.
    expect(diagram.edges.find((e) => e.from === 'releasing' && e.to === 'in_progress')?.events).toEqual([
      'SETTLED',
      'SETTLEMENT_FAILED',
    ]);
  });

  it('sizes boxes for their names and the events they handle in place', () => {
    const node = diagram.elk.children?.find((c) => c.id === 'in_progress');
    // Three internal events under the name.
    expect(node?.height).toBe(34 + 3 * 14);
    expect(node?.width).toBeGreaterThanOrEqual('REQUEST_RELEASE'.length * 6.6);
  });

  it('names states in words', () => {
    expect(stateName('awaiting_response')).toBe('Awaiting response');
    expect(statePathName('disputed.negotiation')).toBe('Disputed › Negotiation');
    expect(diagram.nodes.find((n) => n.id === 'disputed.arbitration_pending')?.label).toBe('Arbitration pending');
  });

  it('handles nested states of any machine, and the project machine', async () => {
    const machine = setup({}).createMachine({
      id: 'x',
      initial: 'a',
      states: { a: { on: { GO: 'b' } }, b: { initial: 'c', states: { c: { on: { NEXT: 'd' } }, d: {} } } },
    });
    const def: MachineDefinition = {
      name: 'x',
      version: 1,
      machine,
      roles: {},
      payloads: {},
      rules: {},
      effectRules: [],
      deadlines: {},
      pendingStates: [],
    };
    const nested = diagramGraph(machineGraph(def));
    expect(nested.nodes.map((n) => n.id)).toEqual(['#initial', 'a', 'b', 'b#initial', 'b.c', 'b.d']);
    expect((await new ELK().layout(nested.elk)).children?.map((c: ElkNode) => c.id)).toEqual(['#initial', 'a', 'b']);
    const project = diagramGraph(machineGraph(projectV2));
    expect(project.nodes.map((n) => n.id)).toEqual(
      expect.arrayContaining(['open', 'awarded', 'in_progress', 'completed', 'incomplete', 'cancelled']),
    );
  });
});
