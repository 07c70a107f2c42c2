import { describe, expect, it } from 'vitest';
import { type SnapshotFrom } from 'xstate';
import { projectMachineV1, type ProjectEvent, type ProjectInput } from '../../machines/project.v1.js';
import { machineTestKit, type ActorFields, type Handler as HandlerRow } from './support/machine-test-kit.js';

// Pure unit tests for the project machine, version 1 (docs/concepts.md "Project"). Every allowed and every refused
// transition, every guard both ways. Snapshots are only ever reached by driving real events from
// initialTransition, never built by hand.

type Snapshot = SnapshotFrom<typeof projectMachineV1>;
type EventType = ProjectEvent['type'];
type State = 'open' | 'awarded' | 'in_progress' | 'completed' | 'incomplete' | 'cancelled';

const EMPLOYER = 'user-employer';
const FREELANCER = 'user-freelancer';
const OUTSIDER = 'user-outsider';

const input: ProjectInput = { id: 'project-1', employerId: EMPLOYER, title: 'Brand refresh', currency: 'USD' };

/** Who sends an event. `impostor` claims the system's name but lacks the flag only the engine sets. */
type Sender = 'employer' | 'freelancer' | 'system' | 'outsider' | 'impostor';
const actorFields: Record<Sender, ActorFields> = {
  employer: { actor: EMPLOYER },
  // Before the award is accepted this user is not yet a party; the tables still try them.
  freelancer: { actor: FREELANCER },
  system: { actor: 'system', system: true },
  outsider: { actor: OUTSIDER },
  impostor: { actor: 'system' },
};

/** The roles docs/concepts.md lets send each event. */
const SENDERS_OF: Record<EventType, readonly Sender[]> = {
  AWARD: ['employer'],
  ACCEPT_AWARD: ['freelancer'],
  REJECT_AWARD: ['freelancer'],
  CANCEL_PROJECT: ['employer'],
  COMPLETE: ['employer'],
  MARK_INCOMPLETE: ['employer'],
  LEAVE_FEEDBACK: ['employer', 'freelancer'],
  MILESTONE_REQUESTED: ['system'],
  MILESTONE_OPENED: ['system'],
  MILESTONE_RELEASED: ['system'],
  MILESTONE_CLOSED: ['system'],
};

const defaultPayload: Record<EventType, object> = {
  AWARD: { freelancerId: FREELANCER },
  ACCEPT_AWARD: {},
  REJECT_AWARD: {},
  CANCEL_PROJECT: {},
  COMPLETE: {},
  MARK_INCOMPLETE: {},
  LEAVE_FEEDBACK: { rating: 5, comment: 'Great to work with' },
  MILESTONE_REQUESTED: { milestoneId: 'milestone-1' },
  MILESTONE_OPENED: { milestoneId: 'milestone-1' },
  MILESTONE_RELEASED: { milestoneId: 'milestone-1', amount: '100' },
  MILESTONE_CLOSED: { milestoneId: 'milestone-1' },
};

const { ev, start, send, drive, reached, expectRefused, describeRoleTables } = machineTestKit({
  machine: projectMachineV1,
  input,
  actorFields,
  sendersOf: SENDERS_OF,
  defaultPayload,
});

const released = (amount: string): ProjectEvent => ev('MILESTONE_RELEASED', 'system', { amount });

/** A fresh project in progress: awarded and accepted, no milestones yet. */
function inProgress(): Snapshot {
  return drive(start(), ev('AWARD'), ev('ACCEPT_AWARD'));
}

/** In progress with one milestone opened (still pending). */
function withPending(): Snapshot {
  return drive(inProgress(), ev('MILESTONE_OPENED'));
}

/** In progress with one milestone partly released (100) and still pending. */
function withPendingAndReleased(): Snapshot {
  return drive(withPending(), released('100'));
}

/** In progress with one milestone released in full (100) and closed: nothing pending. */
function withReleasedAndClosed(): Snapshot {
  return drive(withPendingAndReleased(), ev('MILESTONE_CLOSED'));
}

/** Completed after a released milestone, so both parties may leave feedback. */
function completedAfterRelease(): Snapshot {
  return drive(withReleasedAndClosed(), ev('COMPLETE'));
}

/** Completed without any milestone ever released. */
function completedWithNothingReleased(): Snapshot {
  return drive(inProgress(), ev('COMPLETE'));
}

/** Marked incomplete after a partial release, with that milestone still pending. */
function incompleteWithPending(): Snapshot {
  return drive(withPendingAndReleased(), ev('MARK_INCOMPLETE'));
}

/** One representative snapshot of each state, reached by real events. */
const AT: Record<State, () => Snapshot> = {
  open: start,
  awarded: () => drive(start(), ev('AWARD')),
  in_progress: inProgress,
  completed: completedAfterRelease,
  incomplete: incompleteWithPending,
  cancelled: () => drive(start(), ev('CANCEL_PROJECT')),
};
const STATES = Object.keys(AT) as State[];

const at = (state: State): Snapshot => reached(state, AT[state]());

// ---------------------------------------------------------------------------------------------------------
// Every handled event: allowed for its roles, refused for every other sender.

type Handler = HandlerRow<State, EventType, Sender, Snapshot>;

const HANDLERS: readonly Handler[] = [
  { state: 'open', event: 'AWARD', to: 'awarded' },
  { state: 'open', event: 'CANCEL_PROJECT', to: 'cancelled' },
  { state: 'awarded', event: 'ACCEPT_AWARD', to: 'in_progress' },
  { state: 'awarded', event: 'REJECT_AWARD', to: 'open' },
  { state: 'awarded', event: 'CANCEL_PROJECT', to: 'cancelled' },
  { state: 'in_progress', event: 'MILESTONE_REQUESTED', to: 'in_progress' },
  { state: 'in_progress', event: 'MILESTONE_OPENED', to: 'in_progress' },
  { state: 'in_progress', event: 'MILESTONE_RELEASED', to: 'in_progress', from: withPending },
  { state: 'in_progress', event: 'MILESTONE_CLOSED', to: 'in_progress', from: withPending },
  { state: 'in_progress', event: 'CANCEL_PROJECT', to: 'cancelled' },
  { state: 'in_progress', event: 'COMPLETE', to: 'completed' },
  { state: 'in_progress', event: 'MARK_INCOMPLETE', to: 'incomplete', from: withPendingAndReleased },
  { state: 'completed', event: 'LEAVE_FEEDBACK', to: 'completed' },
  { state: 'incomplete', event: 'MILESTONE_RELEASED', to: 'incomplete' },
  { state: 'incomplete', event: 'MILESTONE_CLOSED', to: 'incomplete' },
];

describeRoleTables('project v1', { states: STATES, handlers: HANDLERS, at });

// ---------------------------------------------------------------------------------------------------------
// Guards, each both ways.

describe('project v1: awardeeIsNotEmployer', () => {
  it('refuses AWARD of the project to its own employer', () => {
    expectRefused(start(), ev('AWARD', 'employer', { freelancerId: EMPLOYER }));
  });

  it('accepts AWARD to another user, records them and notifies them', () => {
    const [next, effects] = send(start(), ev('AWARD', 'employer', { freelancerId: FREELANCER }));
    expect(next.value).toBe('awarded');
    expect(next.context.freelancerId).toBe(FREELANCER);
    expect(effects).toEqual([{ type: 'notify', params: { to: 'freelancer', type: 'project.awarded' } }]);
  });
});

describe('project v1: nothingPendingOrReleased', () => {
  it('accepts CANCEL_PROJECT in progress with no milestone ever opened', () => {
    const [next] = send(inProgress(), ev('CANCEL_PROJECT'));
    expect(next.value).toBe('cancelled');
    expect(next.status).toBe('done');
  });

  it('refuses CANCEL_PROJECT while a milestone is pending', () => {
    expectRefused(withPending(), ev('CANCEL_PROJECT'));
  });

  it('refuses CANCEL_PROJECT once anything was released, even with nothing pending', () => {
    const snapshot = withReleasedAndClosed();
    expect(snapshot.context.pendingMilestones).toBe(0);
    expectRefused(snapshot, ev('CANCEL_PROJECT'));
  });

  it('accepts CANCEL_PROJECT after a milestone closed without any release', () => {
    const snapshot = drive(withPending(), ev('MILESTONE_CLOSED'));
    expect(snapshot.can(ev('CANCEL_PROJECT'))).toBe(true);
  });
});

describe('project v1: noPendingMilestones', () => {
  it('refuses COMPLETE while a milestone is pending', () => {
    expectRefused(withPendingAndReleased(), ev('COMPLETE'));
  });

  it('accepts COMPLETE once the pending milestone closed', () => {
    const [next] = send(withReleasedAndClosed(), ev('COMPLETE'));
    expect(next.value).toBe('completed');
    expect(next.status).toBe('active');
  });

  it('accepts COMPLETE when no milestone was ever opened', () => {
    expect(inProgress().can(ev('COMPLETE'))).toBe(true);
  });
});

describe('project v1: anythingReleased', () => {
  it('refuses MARK_INCOMPLETE when nothing was released', () => {
    expectRefused(inProgress(), ev('MARK_INCOMPLETE'));
  });

  it('refuses MARK_INCOMPLETE with a pending milestone but nothing released', () => {
    expectRefused(withPending(), ev('MARK_INCOMPLETE'));
  });

  it('accepts MARK_INCOMPLETE once anything was released, leaving pending milestones to run', () => {
    const [next] = send(withPendingAndReleased(), ev('MARK_INCOMPLETE'));
    expect(next.value).toBe('incomplete');
    expect(next.context.pendingMilestones).toBe(1);
  });
});

describe('project v1: mayLeaveFeedback', () => {
  it('refuses LEAVE_FEEDBACK from either party when nothing was released', () => {
    const snapshot = completedWithNothingReleased();
    expectRefused(snapshot, ev('LEAVE_FEEDBACK', 'employer'), '(employer)');
    expectRefused(snapshot, ev('LEAVE_FEEDBACK', 'freelancer'), '(freelancer)');
  });

  it('accepts LEAVE_FEEDBACK from the employer and records it under their role', () => {
    const [next, effects] = send(
      completedAfterRelease(),
      ev('LEAVE_FEEDBACK', 'employer', { rating: 4, comment: 'Solid' }),
    );
    expect(next.value).toBe('completed');
    expect(next.context.feedback).toEqual([{ role: 'employer', actor: EMPLOYER, rating: 4, comment: 'Solid' }]);
    expect(effects).toEqual([]);
  });

  it('records a missing comment as null', () => {
    const event = { type: 'LEAVE_FEEDBACK', rating: 3, actor: FREELANCER } as const;
    const [next] = send(completedAfterRelease(), event);
    expect(next.context.feedback).toEqual([{ role: 'freelancer', actor: FREELANCER, rating: 3, comment: null }]);
  });

  it('refuses a second LEAVE_FEEDBACK from the employer', () => {
    const once = drive(completedAfterRelease(), ev('LEAVE_FEEDBACK', 'employer'));
    expectRefused(once, ev('LEAVE_FEEDBACK', 'employer'));
  });

  it('still accepts LEAVE_FEEDBACK from the freelancer after the employer left theirs', () => {
    const once = drive(completedAfterRelease(), ev('LEAVE_FEEDBACK', 'employer'));
    const [next] = send(once, ev('LEAVE_FEEDBACK', 'freelancer', { rating: 2 }));
    expect(next.context.feedback.map((f) => [f.role, f.rating])).toEqual([
      ['employer', 5],
      ['freelancer', 2],
    ]);
  });

  it('refuses a second LEAVE_FEEDBACK from the freelancer, and the employer may still leave theirs', () => {
    const once = drive(completedAfterRelease(), ev('LEAVE_FEEDBACK', 'freelancer'));
    expectRefused(once, ev('LEAVE_FEEDBACK', 'freelancer'));
    expect(once.can(ev('LEAVE_FEEDBACK', 'employer'))).toBe(true);
  });

  it('refuses LEAVE_FEEDBACK from both parties once each has left theirs', () => {
    const both = drive(completedAfterRelease(), ev('LEAVE_FEEDBACK', 'employer'), ev('LEAVE_FEEDBACK', 'freelancer'));
    expectRefused(both, ev('LEAVE_FEEDBACK', 'employer'), '(employer)');
    expectRefused(both, ev('LEAVE_FEEDBACK', 'freelancer'), '(freelancer)');
  });
});

// ---------------------------------------------------------------------------------------------------------
// The award handshake.

describe('project v1: award', () => {
  it('ACCEPT_AWARD moves to in_progress and notifies the employer', () => {
    const [next, effects] = send(at('awarded'), ev('ACCEPT_AWARD'));
    expect(next.value).toBe('in_progress');
    expect(next.context.freelancerId).toBe(FREELANCER);
    expect(effects).toEqual([{ type: 'notify', params: { to: 'employer', type: 'project.award_accepted' } }]);
  });

  it('REJECT_AWARD goes back to open, forgets the awardee and notifies the employer', () => {
    const [next, effects] = send(at('awarded'), ev('REJECT_AWARD'));
    expect(next.value).toBe('open');
    expect(next.context.freelancerId).toBeNull();
    expect(effects).toEqual([{ type: 'notify', params: { to: 'employer', type: 'project.award_rejected' } }]);
  });

  it('refuses ACCEPT_AWARD from a former awardee once the project was awarded to someone else', () => {
    const reawarded = drive(at('awarded'), ev('REJECT_AWARD'), ev('AWARD', 'employer', { freelancerId: 'user-other' }));
    expectRefused(reawarded, ev('ACCEPT_AWARD', 'freelancer'));
    expect(reawarded.can({ type: 'ACCEPT_AWARD', actor: 'user-other' })).toBe(true);
  });

  it('CANCEL_PROJECT before any milestone is final', () => {
    expect(at('cancelled').status).toBe('done');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Milestone counters fed by derived events.

describe('project v1: milestone counters', () => {
  it('MILESTONE_OPENED adds one pending milestone each time', () => {
    const one = drive(inProgress(), ev('MILESTONE_OPENED'));
    expect(one.context.pendingMilestones).toBe(1);
    const two = drive(one, ev('MILESTONE_OPENED'));
    expect(two.context.pendingMilestones).toBe(2);
  });

  it('MILESTONE_CLOSED removes one pending milestone', () => {
    const snapshot = drive(inProgress(), ev('MILESTONE_OPENED'), ev('MILESTONE_OPENED'), ev('MILESTONE_CLOSED'));
    expect(snapshot.context.pendingMilestones).toBe(1);
  });

  it('refuses MILESTONE_CLOSED with no pending milestone, in in_progress and in incomplete', () => {
    expectRefused(inProgress(), ev('MILESTONE_CLOSED'));
    const [emptied] = send(incompleteWithPending(), ev('MILESTONE_CLOSED'));
    expectRefused(emptied, ev('MILESTONE_CLOSED'));
  });

  it('MILESTONE_RELEASED adds the amount to releasedTotal as a decimal string', () => {
    const snapshot = drive(withPending(), released('100'), released('250'));
    expect(snapshot.context.releasedTotal).toBe('350');
    expect(snapshot.context.pendingMilestones).toBe(1);
  });

  it('MILESTONE_RELEASED sums beyond 2^63-1 exactly', () => {
    const snapshot = drive(withPending(), released('9223372036854775807'), released('1'));
    expect(snapshot.context.releasedTotal).toBe('9223372036854775808');
  });

  it('MILESTONE_REQUESTED changes no counter', () => {
    const before = inProgress();
    const [after, effects] = send(before, ev('MILESTONE_REQUESTED'));
    expect(after.value).toBe('in_progress');
    expect(after.context).toEqual(before.context);
    expect(effects).toEqual([]);
  });

  it('in incomplete, MILESTONE_RELEASED still adds to releasedTotal', () => {
    const [next] = send(incompleteWithPending(), released('40'));
    expect(next.value).toBe('incomplete');
    expect(next.context.releasedTotal).toBe('140');
  });

  it('in incomplete, MILESTONE_CLOSED still removes the pending milestone', () => {
    const [next] = send(incompleteWithPending(), ev('MILESTONE_CLOSED'));
    expect(next.value).toBe('incomplete');
    expect(next.context.pendingMilestones).toBe(0);
  });
});

describe('project v1: final states', () => {
  for (const state of STATES) {
    const status = state === 'cancelled' ? 'done' : 'active';
    it(`${state} has status ${status}`, () => {
      expect(at(state).status).toBe(status);
    });
  }
});
