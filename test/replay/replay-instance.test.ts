import { assign, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { MachineDefinition } from '../../machines/definition.js';
import { milestoneV1 } from '../../machines/milestone.v1.js';
import { projectV1 } from '../../machines/project.v1.js';
import { replayInstance, type MachineResolver, type ReplaySource } from '../../src/replay/replay-instance.js';
import { milestoneInput, partialThenFullRelease, recordHistory } from './record-history.js';

const v1Only: MachineResolver = (name, version) => {
  const def = [milestoneV1, projectV1].find((d) => d.name === name && d.version === version);
  if (!def) throw new Error(`no ${name}@${version}`);
  return def;
};

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe('replayInstance on milestone@1', () => {
  const source = recordHistory(milestoneV1, milestoneInput, partialThenFullRelease);

  it('reproduces the stored snapshot step by step from the initial draft state', () => {
    const result = replayInstance(source, v1Only, { keepSteps: true });
    expect(result.matchesStored).toBe(true);
    expect(result.firstDivergence).toBeNull();
    expect(result.steps.map((s) => s.state)).toEqual([
      'funding',
      'in_progress',
      'releasing',
      'in_progress',
      'in_progress',
      'releasing',
      'released',
    ]);
    expect(result.steps[2]).toMatchObject({
      seq: 3,
      event: { type: 'RELEASE', actor: 'emp', amount: '30' },
      role: 'employer',
      machineVersion: 1,
    });
    expect(result.final).toMatchObject({ seq: 7, state: 'released', context: { releasedAmount: '100' } });
    expect(result.eventsReplayed).toBe(7);
  });

  it('stops steps and final at ?to while judging the whole history', () => {
    const result = replayInstance(source, v1Only, { keepSteps: true, toSeq: 3 });
    expect(result.steps.map((s) => s.seq)).toEqual([1, 2, 3]);
    expect(result.final).toMatchObject({
      seq: 3,
      state: 'releasing',
      context: { pendingRelease: '30', releasedAmount: '0' },
    });
    expect(result.matchesStored).toBe(true);
  });

  it('returns the initial snapshot for ?to=0', () => {
    const result = replayInstance(source, v1Only, { keepSteps: true, toSeq: 0 });
    expect(result.steps).toEqual([]);
    expect(result.final).toMatchObject({ seq: 0, state: 'draft', context: { amount: '0', employerId: 'emp' } });
  });

  it('keeps no steps unless asked (bulk verification)', () => {
    expect(replayInstance(source, v1Only).steps).toEqual([]);
  });

  it('reports a corrupted stored context as a snapshot divergence with the differing path', () => {
    const corrupted = { ...source, snapshot: clone(source.snapshot) };
    corrupted.snapshot.context.releasedAmount = '99';
    const result = replayInstance(corrupted, v1Only);
    expect(result.matchesStored).toBe(false);
    expect(result.firstDivergence).toMatchObject({
      seq: 7,
      kind: 'snapshot',
      path: 'context.releasedAmount',
      expected: { state: 'released', context: { releasedAmount: '99' } },
      actual: { state: 'released', context: { releasedAmount: '100' } },
    });
  });

  it('reports a corrupted stored state value', () => {
    const corrupted = { ...source, snapshot: { ...clone(source.snapshot), value: 'in_progress' } };
    const result = replayInstance(corrupted, v1Only);
    expect(result.matchesStored).toBe(false);
    expect(result.firstDivergence).toMatchObject({ kind: 'snapshot', path: 'value' });
  });

  it('finds the first step whose recorded after-state disagrees, though the final snapshot matches', () => {
    const history = source.history.map((h) => (h.seq === 4 ? { ...h, toState: 'released' } : h));
    const result = replayInstance({ ...source, history }, v1Only);
    expect(result.matchesStored).toBe(true);
    expect(result.firstDivergence).toMatchObject({
      seq: 4,
      kind: 'state_after',
      expected: 'released',
      actual: 'in_progress',
    });
  });

  it('flags an event the machine refuses on replay (a payload edited after the fact)', () => {
    const history = source.history.map((h) => (h.seq === 3 ? { ...h, payload: { amount: '500' } } : h));
    const result = replayInstance({ ...source, history }, v1Only);
    expect(result.firstDivergence).toMatchObject({
      seq: 3,
      kind: 'refused',
      expected: 'releasing',
      actual: 'in_progress',
    });
  });

  it('needs the system flag for system events: SETTLED recorded as an employer event is refused', () => {
    const history = source.history.map((h) => (h.seq === 2 ? { ...h, role: 'employer' } : h));
    expect(replayInstance({ ...source, history }, v1Only).firstDivergence).toMatchObject({ seq: 2, kind: 'refused' });
  });

  it('reports a gap in the history and a history shorter than the instance seq', () => {
    const gap = replayInstance({ ...source, history: source.history.filter((h) => h.seq !== 5) }, v1Only);
    expect(gap.firstDivergence).toMatchObject({ seq: 6, kind: 'gap', expected: 5, actual: 6 });
    const short = replayInstance({ ...source, history: source.history.slice(0, 6) }, v1Only);
    expect(short.firstDivergence).toMatchObject({ kind: 'seq', expected: 7, actual: 6 });
  });

  it('turns a throwing guard (unparseable money) into an error divergence instead of throwing', () => {
    const history = source.history.map((h) =>
      h.seq === 1 ? { ...h, payload: { amount: 'lots', description: 'x' } } : h,
    );
    const result = replayInstance({ ...source, history }, v1Only);
    expect(result.matchesStored).toBe(false);
    expect(result.firstDivergence?.seq).toBeLessThanOrEqual(3);
  });

  it('flags a history entry recorded under another machine version', () => {
    const history = source.history.map((h) => (h.seq === 2 ? { ...h, machineVersion: 7 } : h));
    expect(replayInstance({ ...source, history }, v1Only).firstDivergence).toMatchObject({
      seq: 2,
      kind: 'machine_version',
      expected: 7,
      actual: 1,
    });
  });
});

describe('replayInstance on project@1', () => {
  it('replays a project from open at seq 0 with system MILESTONE_* events', () => {
    const input = { id: 'prj-1', employerId: 'emp', title: 'Site', currency: 'USD' };
    const source = recordHistory(projectV1, input, [
      { type: 'AWARD', actor: 'emp', role: 'employer', payload: { freelancerId: 'fl' } },
      { type: 'ACCEPT_AWARD', actor: 'fl', role: 'freelancer' },
      { type: 'MILESTONE_OPENED', actor: 'system', role: 'system', payload: { milestoneId: 'm' } },
      { type: 'MILESTONE_RELEASED', actor: 'system', role: 'system', payload: { milestoneId: 'm', amount: '5' } },
      { type: 'MILESTONE_CLOSED', actor: 'system', role: 'system', payload: { milestoneId: 'm' } },
      { type: 'COMPLETE', actor: 'emp', role: 'employer' },
    ]);
    const result = replayInstance(source, v1Only, { keepSteps: true });
    expect(result.matchesStored).toBe(true);
    expect(result.final).toMatchObject({ state: 'completed', context: { releasedTotal: '5', pendingMilestones: 0 } });
    const fresh = replayInstance(
      {
        ...source,
        seq: 0,
        history: [],
        snapshot: { value: 'open', context: replayInstance(source, v1Only, { toSeq: 0 }).final.context },
      },
      v1Only,
    );
    expect(fresh.matchesStored).toBe(true);
    expect(fresh.final.state).toBe('open');
  });
});

// Two tiny versions of one machine: v2 renames nothing but adds a context field with a default and a new
// event. Replay must switch to v2 exactly at the MIGRATE entry, by resolving the snapshot in v2.
const lampV1 = setup({
  types: { context: {} as { on: number }, events: {} as { type: 'TOGGLE'; actor: string } },
}).createMachine({
  id: 'lamp',
  initial: 'off',
  context: { on: 0 },
  states: {
    off: { on: { TOGGLE: { target: 'on', actions: assign({ on: ({ context }) => context.on + 1 }) } } },
    on: { on: { TOGGLE: 'off' } },
  },
});
const lampV2 = setup({
  types: { context: {} as { on: number }, events: {} as { type: 'TOGGLE' | 'DIM'; actor: string } },
}).createMachine({
  id: 'lamp',
  initial: 'off',
  context: { on: 0 },
  states: {
    off: { on: { TOGGLE: { target: 'on', actions: assign({ on: ({ context }) => context.on + 1 }) } } },
    on: { on: { TOGGLE: 'off', DIM: 'dimmed' } },
    dimmed: { on: { TOGGLE: 'off' } },
  },
});
const lamp = (version: number, machine: typeof lampV1 | typeof lampV2): MachineDefinition => ({
  name: 'lamp',
  version,
  machine,
  roles: {},
  payloads: {},
  rules: {},
  effectRules: [],
  deadlines: {},
  pendingStates: [],
});
const lamps: MachineResolver = (_name, version) => (version === 1 ? lamp(1, lampV1) : lamp(2, lampV2));

describe('replayInstance across a MIGRATE entry', () => {
  const at = new Date(0);
  const migrated: ReplaySource = {
    id: 'lamp-1',
    machine: 'lamp',
    input: {},
    version: 2,
    seq: 4,
    snapshot: { value: 'dimmed', context: { on: 1 } },
    history: [
      {
        seq: 1,
        type: 'TOGGLE',
        actor: 'u',
        role: 'employer',
        payload: {},
        fromState: 'off',
        toState: 'on',
        machineVersion: 1,
        at,
      },
      {
        seq: 2,
        type: 'MIGRATE',
        actor: 'ops',
        role: 'support',
        payload: { fromVersion: 1, toVersion: 2 },
        fromState: 'on',
        toState: 'on',
        machineVersion: 2,
        at,
      },
      {
        seq: 3,
        type: 'DIM',
        actor: 'u',
        role: 'employer',
        payload: {},
        fromState: 'on',
        toState: 'dimmed',
        machineVersion: 2,
        at,
      },
      {
        seq: 4,
        type: 'TOGGLE',
        actor: 'u',
        role: 'employer',
        payload: {},
        fromState: 'dimmed',
        toState: 'off',
        machineVersion: 2,
        at,
      },
    ],
  };
  const source = { ...migrated, snapshot: { value: 'off', context: { on: 1 } } };

  it('starts on the version the first entry names and switches machines at MIGRATE', () => {
    const result = replayInstance(source, lamps, { keepSteps: true });
    expect(result.firstDivergence).toBeNull();
    expect(result.matchesStored).toBe(true);
    expect(result.steps.map((s) => [s.seq, s.machineVersion, s.state])).toEqual([
      [1, 1, 'on'],
      [2, 2, 'on'],
      [3, 2, 'dimmed'],
      [4, 2, 'off'],
    ]);
    expect(result.steps[1]?.event).toEqual({ type: 'MIGRATE', actor: 'ops', fromVersion: 1, toVersion: 2 });
    expect(result.eventsReplayed).toBe(3);
  });

  it('shows the pre-migration version when stopped before the MIGRATE entry', () => {
    expect(replayInstance(source, lamps, { toSeq: 1 }).final).toMatchObject({ state: 'on', machineVersion: 1 });
  });

  it('stays on version 1 without the MIGRATE entry, so the v2-only event is refused', () => {
    const renumbered = source.history
      .filter((h) => h.type !== 'MIGRATE')
      .map((h, i) => ({ ...h, seq: i + 1, machineVersion: 1 }));
    const result = replayInstance({ ...source, version: 1, seq: 3, history: renumbered }, lamps, { keepSteps: true });
    expect(result.firstDivergence).toMatchObject({ seq: 2, kind: 'refused' });
    expect(result.steps.map((s) => s.state)).toEqual(['on', 'on', 'off']);
  });

  it('applies the registered context migration with the parameters the MIGRATE entry recorded', () => {
    const history = source.history.map((h) =>
      h.type === 'MIGRATE' ? { ...h, payload: { fromVersion: 1, toVersion: 2, params: { watts: 40 } } } : h,
    );
    const addWatts = (context: Record<string, unknown>, params: object) => ({
      ...context,
      watts: (params as { watts: number }).watts,
    });
    const lookup = (machine: string, from: number, to: number) =>
      machine === 'lamp' && from === 1 && to === 2 ? addWatts : null;
    const withWatts = { ...source, history, snapshot: { value: 'off', context: { on: 1, watts: 40 } } };
    const result = replayInstance(withWatts, lamps, { migrations: lookup, toSeq: 2 });
    expect(result.final.context).toEqual({ on: 1, watts: 40 });
    expect(result.matchesStored).toBe(true);
    // Without the context step the stored snapshot (which has it) no longer matches.
    expect(replayInstance(withWatts, lamps, { migrations: () => null }).firstDivergence).toMatchObject({
      kind: 'snapshot',
      path: 'context.watts',
    });
  });

  it('flags a MIGRATE whose fromVersion is not the version being replayed', () => {
    const history = source.history.map((h) =>
      h.type === 'MIGRATE' ? { ...h, payload: { fromVersion: 3, toVersion: 2 } } : h,
    );
    expect(replayInstance({ ...source, history }, lamps).firstDivergence).toMatchObject({
      seq: 2,
      kind: 'machine_version',
      expected: 3,
      actual: 1,
    });
  });
});
