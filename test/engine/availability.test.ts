import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import { milestoneV1 } from '../../machines/milestone.v1.js';
import { milestoneV2 } from '../../machines/milestone.v2.js';
import { milestoneV3 } from '../../machines/milestone.v3.js';
import { projectV1 } from '../../machines/project.v1.js';
import { projectV2 } from '../../machines/project.v2.js';
import { registeredMachines } from '../../machines/registry.js';
import type { Role } from '../../machines/roles.js';
import { allowedEvents, availableEvents } from '../../src/engine/availability.js';
import { handledEvents } from '../../src/engine/snapshot.js';
import { payloadCases } from '../../src/paths/event-cases.js';
import { generatePaths } from '../../src/paths/generate.js';
import { modelInput } from '../../src/paths/model-input.js';

// availableEvents (src/engine/availability.ts) judges without a payload; this oracle tries every role with every
// payload case the path generator knows (which cover each kind of valid payload) and asks the machine itself.
const ACTORS: Record<Exclude<Role, 'system'>, object> = {
  employer: { actor: 'employer' },
  freelancer: { actor: 'freelancer' },
  owner: { actor: 'owner' },
  support: { actor: 'support-staff', support: true },
};

function oracle(def: MachineDefinition, snapshot: AnyMachineSnapshot) {
  return handledEvents(snapshot)
    .filter((type) => type in def.payloads)
    .map((type) => ({
      type,
      roles: (def.roles[type] ?? []).filter(
        (role) =>
          role !== 'system' &&
          payloadCases(type, snapshot).some((payload) => snapshot.can({ type, ...payload, ...ACTORS[role] })),
      ),
    }))
    .filter((e) => e.roles.length > 0);
}

/** Every snapshot the transition-covering paths pass through (every reachable transition, taken at least once). */
function reachable(def: MachineDefinition): AnyMachineSnapshot[] {
  const snapshots: AnyMachineSnapshot[] = [];
  for (const path of generatePaths(def, 'transitions').paths) {
    let [snapshot] = initialTransition(def.machine, modelInput(def) as never);
    snapshots.push(snapshot);
    for (const event of path.events) {
      [snapshot] = transition(def.machine, snapshot, event as never);
      snapshots.push(snapshot);
    }
  }
  return snapshots;
}

for (const def of registeredMachines()) {
  describe(`${def.name}@${def.version} availability`, () => {
    it('lists exactly the events and roles the machine accepts with some payload, in every reachable state', () => {
      const snapshots = reachable(def);
      expect(snapshots.length).toBeGreaterThan(10);
      for (const snapshot of snapshots) {
        const label = JSON.stringify({ value: snapshot.value, context: snapshot.context });
        expect(availableEvents(def, snapshot, 'i', 'assumed'), label).toEqual(oracle(def, snapshot));
      }
    });
  });
}

const input = (def: MachineDefinition) => modelInput(def) as never;
const e = (type: string, actor: string, payload: object = {}) => ({ type, actor, ...payload }) as never;
const system = (type: string, payload: object = {}) => ({ type, actor: 'system', system: true, ...payload }) as never;
const drive = (def: MachineDefinition, ...events: never[]) =>
  events.reduce<AnyMachineSnapshot>(
    (s, ev) => transition(def.machine, s, ev)[0],
    initialTransition(def.machine, input(def))[0],
  );

describe('the issue #14 examples', () => {
  it('a funded milestone offers no REJECT_CANCEL while no cancel request is open', () => {
    for (const def of [milestoneV1, milestoneV2, milestoneV3]) {
      const funded = drive(def, e('CREATE', 'employer', { amount: '100', description: 'd' }), system('SETTLED'));
      expect(funded.value).toBe('in_progress');
      expect(allowedEvents(def, funded, 'm', 'assumed')).not.toContain('REJECT_CANCEL');
      const asked = transition(def.machine, funded, e('REQUEST_CANCEL', 'employer', { reason: 'r' }))[0];
      expect(availableEvents(def, asked, 'm', 'assumed')).toContainEqual({
        type: 'REJECT_CANCEL',
        roles: ['freelancer'],
      });
      expect(allowedEvents(def, asked, 'm', 'assumed')).not.toContain('REQUEST_CANCEL');
    }
  });

  it('a project in progress offers no ACCEPT_PROJECT_CANCEL while none is pending', () => {
    const inProgress = drive(
      projectV2,
      e('AWARD', 'employer', { freelancerId: 'freelancer' }),
      e('ACCEPT_AWARD', 'freelancer'),
    );
    expect(allowedEvents(projectV2, inProgress, 'p', 'assumed')).not.toContain('ACCEPT_PROJECT_CANCEL');
    expect(allowedEvents(projectV2, inProgress, 'p', 'assumed')).not.toContain('REJECT_PROJECT_CANCEL');
    const asked = transition(projectV2.machine, inProgress, e('REQUEST_PROJECT_CANCEL', 'freelancer'))[0];
    expect(allowedEvents(projectV2, asked, 'p', 'assumed')).toEqual(
      expect.arrayContaining(['ACCEPT_PROJECT_CANCEL', 'REJECT_PROJECT_CANCEL']),
    );
  });

  it('a requested milestone of a completed project offers no ACCEPT_REQUEST', () => {
    for (const [def, projectDef] of [
      [milestoneV1, projectV1],
      [milestoneV2, projectV2],
      [milestoneV3, projectV2],
    ] as const) {
      const requested = drive(def, e('REQUEST', 'freelancer', { amount: '100', description: 'd' }));
      const inProgress = drive(
        projectDef,
        e('AWARD', 'employer', { freelancerId: 'freelancer' }),
        e('ACCEPT_AWARD', 'freelancer'),
      );
      const completed = transition(projectDef.machine, inProgress, e('COMPLETE', 'employer'))[0];
      const project = (snapshot: AnyMachineSnapshot) => () => snapshot;
      expect(allowedEvents(def, requested, 'm', project(inProgress))).toContain('ACCEPT_REQUEST');
      expect(allowedEvents(def, requested, 'm', project(completed))).toEqual(['REJECT_REQUEST', 'DELETE_REQUEST']);
      expect(allowedEvents(def, requested, 'm', () => null)).toEqual(['REJECT_REQUEST', 'DELETE_REQUEST']);
    }
  });

  it('a dispute offers WITHDRAW_DISPUTE to the filer and RESPOND to the respondent only', () => {
    const disputed = drive(
      milestoneV2,
      e('CREATE', 'employer', { amount: '100', description: 'd' }),
      system('SETTLED'),
      e('OPEN_DISPUTE', 'employer', { reason: 'r', offer: '10' }),
    );
    const available = availableEvents(milestoneV2, disputed, 'm', 'assumed');
    expect(available).toContainEqual({ type: 'WITHDRAW_DISPUTE', roles: ['employer'] });
    expect(available).toContainEqual({ type: 'RESPOND', roles: ['freelancer'] });
  });
});

describe('milestone@3 at its caps (issue 15)', () => {
  it('lists exactly what the machine accepts once a cap is reached, and drops the capped event', () => {
    const limits = { evidencePerDispute: 2, evidenceBytesPerDispute: 10, cancelRequests: 1, disputes: 1 };
    const start = initialTransition(milestoneV3.machine, { ...modelInput(milestoneV3), limits })[0];
    const step = (s: AnyMachineSnapshot, ev: never) => transition(milestoneV3.machine, s, ev)[0];
    const funded = [e('CREATE', 'employer', { amount: '100', description: 'd' }), system('SETTLED')].reduce(
      step,
      start,
    );
    const employer = (funded.context as { employerId: string }).employerId;
    const freelancer = (funded.context as { freelancerId: string }).freelancerId;
    const cancelCapped = [e('REQUEST_CANCEL', employer, { reason: 'r' }), e('REJECT_CANCEL', freelancer)].reduce(
      step,
      funded,
    );
    const disputed = step(cancelCapped, e('OPEN_DISPUTE', employer, { reason: 'r', offer: '10' }));
    const bytesFull = step(disputed, e('SUBMIT_EVIDENCE', freelancer, { text: 'x'.repeat(10) }));
    const countFull = [
      e('SUBMIT_EVIDENCE', freelancer, { text: 'a' }),
      e('SUBMIT_EVIDENCE', employer, { text: 'b' }),
    ].reduce(step, disputed);
    const disputeCapped = step(countFull, e('WITHDRAW_DISPUTE', employer));
    const cases: [AnyMachineSnapshot, string][] = [
      [cancelCapped, 'REQUEST_CANCEL'],
      [bytesFull, 'SUBMIT_EVIDENCE'],
      [countFull, 'SUBMIT_EVIDENCE'],
      [disputeCapped, 'OPEN_DISPUTE'],
    ];
    for (const [snapshot, capped] of cases) {
      const label = `${capped} in ${JSON.stringify(snapshot.value)}`;
      expect(availableEvents(milestoneV3, snapshot, 'm', 'assumed'), label).toEqual(oracle(milestoneV3, snapshot));
      expect(allowedEvents(milestoneV3, snapshot, 'm', 'assumed'), label).not.toContain(capped);
    }
    expect(allowedEvents(milestoneV3, disputed, 'm', 'assumed')).toContain('SUBMIT_EVIDENCE');
    expect(allowedEvents(milestoneV3, funded, 'm', 'assumed')).toContain('REQUEST_CANCEL');
  });
});
