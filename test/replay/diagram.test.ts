import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { MachineDefinition } from '../../machines/definition.js';
import { milestoneV1 } from '../../machines/milestone.v1.js';
import { projectV1 } from '../../machines/project.v1.js';
import { diagramSvg } from '../../src/console/diagram-svg.js';
import { layeredLayout } from '../../src/console/layered-layout.js';
import { machineGraph } from '../../src/console/machine-graph.js';

describe('machine diagram', () => {
  const graph = machineGraph(milestoneV1);

  it('reads every state and transition from the machine definition', () => {
    expect(graph.initial).toBe('draft');
    expect(graph.nodes.map((n) => n.id).sort()).toEqual(Object.keys(milestoneV1.machine.root.states).sort());
    expect(graph.edges).toEqual(
      expect.arrayContaining([
        { from: 'draft', to: 'funding', label: 'CREATE', kind: 'event' },
        { from: 'in_progress', to: 'releasing', label: 'RELEASE', kind: 'event' },
        { from: 'releasing', to: 'released', label: 'SETTLED', kind: 'event' },
        { from: 'releasing', to: 'in_progress', label: 'SETTLED', kind: 'event' },
      ]),
    );
    // Flags that leave the state unchanged are listed inside it rather than drawn as self-loops.
    expect(graph.nodes.find((n) => n.id === 'in_progress')?.internalEvents).toEqual([
      'REQUEST_RELEASE',
      'REQUEST_CANCEL',
      'REJECT_CANCEL',
    ]);
    expect(graph.nodes.find((n) => n.id === 'released')?.kind).toBe('final');
  });

  it('places states in columns by distance from the initial state without overlaps', () => {
    const layout = layeredLayout(graph);
    const rank = Object.fromEntries(layout.nodes.map((n) => [n.id, n.rank]));
    expect(rank).toMatchObject({ draft: 0, requested: 1, funding: 1, in_progress: 2, releasing: 3, released: 4 });
    for (const a of layout.nodes) {
      for (const b of layout.nodes) {
        if (a === b) continue;
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
      }
      expect(a.x + a.width).toBeLessThanOrEqual(layout.width);
    }
    // releasing → in_progress and SETTLEMENT_FAILED share one arrow with both names.
    expect(layout.edges.find((e) => e.from === 'releasing' && e.to === 'in_progress')?.label).toBe(
      'SETTLED / SETTLEMENT_FAILED',
    );
  });

  it('renders SVG with one addressable group per state and a text description of every transition', () => {
    const svg = diagramSvg(layeredLayout(graph), 'milestone version 1');
    for (const n of graph.nodes) expect(svg).toContain(`data-state="${n.id}"`);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('in_progress to releasing on RELEASE');
  });

  it('draws nested states with their parent and escapes names', () => {
    const machine = setup({}).createMachine({
      id: 'x',
      initial: 'a',
      states: { a: { on: { GO: 'b' } }, b: { initial: 'c<1>', states: { 'c<1>': { on: { NEXT: 'd' } }, d: {} } } },
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
    const g = machineGraph(def);
    expect(g.nodes.map((n) => n.id)).toEqual(['a', 'b', 'b.c<1>', 'b.d']);
    expect(g.edges).toContainEqual({ from: 'b', to: 'b.c<1>', label: '', kind: 'initial' });
    const svg = diagramSvg(layeredLayout(g), 'x');
    expect(svg).toContain('data-state="b.c&lt;1&gt;"');
    expect(svg).not.toContain('c<1>');
  });

  it('lays out the project machine too', () => {
    const layout = layeredLayout(machineGraph(projectV1));
    expect(layout.nodes.map((n) => n.id)).toEqual(
      expect.arrayContaining(['open', 'awarded', 'in_progress', 'completed', 'incomplete', 'cancelled']),
    );
  });
});
