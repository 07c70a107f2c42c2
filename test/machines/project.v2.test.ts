import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { projectMachineV1, type ProjectEvent, type ProjectInput } from '../../machines/project.v1.js';
import {
  projectMachineV2,
  type ProjectEventV2,
  type ProjectInputV2,
  type ProjectRules,
} from '../../machines/project.v2.js';
import {
  cancelTimer,
  effectsOf,
  machineTestKit,
  notify,
  type ActorFields,
  type Effect,
  type Handler as HandlerRow,
} from './support/machine-test-kit.js';

// Pure unit tests for the project machine, version 2 (docs/concepts.md "Project"): version 1's rules unchanged, plus the
// feedback window (a durable timer after completion, then `closed`) and the freelancer's request to cancel the
// project (employer accepts or rejects; ignored, it is auto-accepted only when nothing is pending or released,
// otherwise it lapses). Every allowed and every refused transition per role, every guard both ways. Snapshots
// are only ever reached by driving real events from initialTransition.

type Snapshot = SnapshotFrom<typeof projectMachineV2>;
type EventType = ProjectEventV2['type'];
type State = 'open' | 'awarded' | 'in_progress' | 'completed' | 'incomplete' | 'cancelled' | 'closed';

const EMPLOYER = 'user-employer';
const FREELANCER = 'user-freelancer';
const OUTSIDER = 'user-outsider';
const SUPPORT = 'user-support';

const DAY_MS = 24 * 60 * 60 * 1000;
// Distinct values, so a test can tell which rule a delay came from.
const RULES: ProjectRules = { feedbackWindowMs: 90 * DAY_MS, cancelRequestMs: 3 * DAY_MS };

const input: ProjectInputV2 = {
  id: 'project-1',
  employerId: EMPLOYER,
  title: 'Brand refresh',
  currency: 'USD',
  rules: RULES,
};

/**
 * Who sends an event. `support` is a support-scoped user who is no party; `impostor` claims the system's name
 * but lacks the flag only the engine sets.
 */
type Sender = 'employer' | 'freelancer' | 'system' | 'support' | 'outsider' | 'impostor';
const actorFields: Record<Sender, ActorFields> = {
  employer: { actor: EMPLOYER },
  // Before the award is accepted this user is not yet a party; the tables still try them.
  freelancer: { actor: FREELANCER },
  system: { actor: 'system', system: true },
  support: { actor: SUPPORT, support: true },
  outsider: { actor: OUTSIDER },
  impostor: { actor: 'system' },
};

/** The roles docs/concepts.md (and version 2's rules) let send each event. */
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
  REQUEST_PROJECT_CANCEL: ['freelancer'],
  ACCEPT_PROJECT_CANCEL: ['employer'],
  REJECT_PROJECT_CANCEL: ['employer'],
  CANCEL_REQUEST_TIMEOUT: ['system'],
  FEEDBACK_WINDOW_CLOSED: ['system'],
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
  REQUEST_PROJECT_CANCEL: {},
  ACCEPT_PROJECT_CANCEL: {},
  REJECT_PROJECT_CANCEL: {},
  CANCEL_REQUEST_TIMEOUT: {},
  FEEDBACK_WINDOW_CLOSED: {},
};

const { ev, start, send, drive, reached, expectRefused, armTimer, firedTimer, describeRoleTables } = machineTestKit({
  machine: projectMachineV2,
  input,
  actorFields,
  sendersOf: SENDERS_OF,
  defaultPayload,
});

const released = (amount: string): ProjectEventV2 => ev('MILESTONE_RELEASED', 'system', { amount });

// ---------------------------------------------------------------------------------------------------------
// Fixtures.

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

function completedWithNothingReleased(): Snapshot {
  return drive(inProgress(), ev('COMPLETE'));
}

/** Marked incomplete after a partial release, with that milestone still pending. */
function incompleteWithPending(): Snapshot {
  return drive(withPendingAndReleased(), ev('MARK_INCOMPLETE'));
}

/** `from` with the freelancer's request to cancel the project outstanding. */
function withCancelRequest(from: Snapshot = inProgress()): Snapshot {
  return drive(from, ev('REQUEST_PROJECT_CANCEL'));
}

/** One representative snapshot of each state, reached by real events. */
const AT: Record<State, () => Snapshot> = {
  open: start,
  awarded: () => drive(start(), ev('AWARD')),
  in_progress: inProgress,
  completed: completedAfterRelease,
  incomplete: incompleteWithPending,
  cancelled: () => drive(start(), ev('CANCEL_PROJECT')),
  closed: () => drive(completedAfterRelease(), ev('FEEDBACK_WINDOW_CLOSED')),
};
const STATES = Object.keys(AT) as State[];
const FINAL_STATES: readonly State[] = ['cancelled', 'closed'];

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
  { state: 'in_progress', event: 'REQUEST_PROJECT_CANCEL', to: 'in_progress' },
  { state: 'in_progress', event: 'ACCEPT_PROJECT_CANCEL', to: 'cancelled', from: () => withCancelRequest() },
  { state: 'in_progress', event: 'REJECT_PROJECT_CANCEL', to: 'in_progress', from: () => withCancelRequest() },
  { state: 'in_progress', event: 'CANCEL_REQUEST_TIMEOUT', to: 'cancelled', from: () => withCancelRequest() },
  { state: 'completed', event: 'LEAVE_FEEDBACK', to: 'completed' },
  { state: 'completed', event: 'FEEDBACK_WINDOW_CLOSED', to: 'closed' },
  { state: 'incomplete', event: 'MILESTONE_RELEASED', to: 'incomplete' },
  { state: 'incomplete', event: 'MILESTONE_CLOSED', to: 'incomplete' },
];

describeRoleTables('project v2', { states: STATES, handlers: HANDLERS, at });

// ---------------------------------------------------------------------------------------------------------
// Version 1's rules still hold.

describe('project v2: version 1 behaviour still holds', () => {
  it('starts open with version 1 context, the rules from input and no cancel request', () => {
    const snapshot = start();
    expect(snapshot.value).toBe('open');
    expect(snapshot.context).toEqual({
      ...input,
      freelancerId: null,
      pendingMilestones: 0,
      releasedTotal: '0',
      feedback: [],
      cancelRequested: false,
    });
  });

  interface Row {
    rule: string;
    from: () => Snapshot;
    event: ProjectEventV2;
    to: State;
    effects?: Effect[];
  }
  const ROWS: readonly Row[] = [
    {
      rule: 'AWARD records the awardee and notifies them',
      from: start,
      event: ev('AWARD'),
      to: 'awarded',
      effects: [notify('freelancer', 'project.awarded')],
    },
    {
      rule: 'ACCEPT_AWARD starts the work',
      from: AT.awarded,
      event: ev('ACCEPT_AWARD'),
      to: 'in_progress',
      effects: [notify('employer', 'project.award_accepted')],
    },
    {
      rule: 'REJECT_AWARD reopens the project',
      from: AT.awarded,
      event: ev('REJECT_AWARD'),
      to: 'open',
      effects: [notify('employer', 'project.award_rejected')],
    },
    { rule: 'CANCEL_PROJECT while open', from: start, event: ev('CANCEL_PROJECT'), to: 'cancelled', effects: [] },
    {
      rule: 'CANCEL_PROJECT while awarded',
      from: AT.awarded,
      event: ev('CANCEL_PROJECT'),
      to: 'cancelled',
      effects: [],
    },
    {
      rule: 'CANCEL_PROJECT in progress with nothing pending or released',
      from: inProgress,
      event: ev('CANCEL_PROJECT'),
      to: 'cancelled',
    },
    {
      rule: 'CANCEL_PROJECT after a milestone closed unreleased',
      from: () => drive(withPending(), ev('MILESTONE_CLOSED')),
      event: ev('CANCEL_PROJECT'),
      to: 'cancelled',
    },
    { rule: 'COMPLETE once nothing is pending', from: withReleasedAndClosed, event: ev('COMPLETE'), to: 'completed' },
    {
      rule: 'MARK_INCOMPLETE once anything was released',
      from: withPendingAndReleased,
      event: ev('MARK_INCOMPLETE'),
      to: 'incomplete',
    },
    {
      rule: 'MILESTONE_OPENED counts a pending milestone',
      from: inProgress,
      event: ev('MILESTONE_OPENED'),
      to: 'in_progress',
      effects: [],
    },
    {
      rule: 'MILESTONE_RELEASED adds to the released total',
      from: withPending,
      event: released('40'),
      to: 'in_progress',
      effects: [],
    },
    {
      rule: 'MILESTONE_CLOSED in incomplete',
      from: incompleteWithPending,
      event: ev('MILESTONE_CLOSED'),
      to: 'incomplete',
      effects: [],
    },
    {
      rule: 'LEAVE_FEEDBACK after a release',
      from: completedAfterRelease,
      event: ev('LEAVE_FEEDBACK', 'freelancer'),
      to: 'completed',
      effects: [],
    },
  ];

  for (const { rule, from, event, to, effects } of ROWS) {
    it(`accepts ${rule}`, () => {
      const [next, actual] = send(from(), event);
      expect(next.value).toBe(to);
      if (effects) expect(actual).toEqual(effects);
    });
  }

  it.each([
    ['AWARD of the project to its own employer', start, ev('AWARD', 'employer', { freelancerId: EMPLOYER })],
    ['CANCEL_PROJECT while a milestone is pending', withPending, ev('CANCEL_PROJECT')],
    ['CANCEL_PROJECT once anything was released', withReleasedAndClosed, ev('CANCEL_PROJECT')],
    ['COMPLETE while a milestone is pending', withPendingAndReleased, ev('COMPLETE')],
    ['MARK_INCOMPLETE when nothing was released', withPending, ev('MARK_INCOMPLETE')],
    ['MILESTONE_CLOSED with nothing pending', inProgress, ev('MILESTONE_CLOSED')],
    ['LEAVE_FEEDBACK when nothing was released', completedWithNothingReleased, ev('LEAVE_FEEDBACK', 'employer')],
    [
      'a second LEAVE_FEEDBACK from one party',
      () => drive(completedAfterRelease(), ev('LEAVE_FEEDBACK', 'employer')),
      ev('LEAVE_FEEDBACK', 'employer'),
    ],
  ] as const)('still refuses %s', (_label, from, event) => {
    expectRefused(from(), event);
  });

  it('records feedback per role, once each', () => {
    const both = drive(
      completedAfterRelease(),
      ev('LEAVE_FEEDBACK', 'employer', { rating: 4, comment: 'Solid' }),
      ev('LEAVE_FEEDBACK', 'freelancer', { rating: 2 }),
    );
    expect(both.context.feedback).toEqual([
      { role: 'employer', actor: EMPLOYER, rating: 4, comment: 'Solid' },
      { role: 'freelancer', actor: FREELANCER, rating: 2, comment: 'Great to work with' },
    ]);
  });

  it('keeps counters exactly: pending count and released total beyond 2^63-1', () => {
    const snapshot = drive(
      inProgress(),
      ev('MILESTONE_OPENED'),
      ev('MILESTONE_OPENED'),
      released('9223372036854775807'),
      released('1'),
      ev('MILESTONE_CLOSED'),
    );
    expect(snapshot.context.pendingMilestones).toBe(1);
    expect(snapshot.context.releasedTotal).toBe('9223372036854775808');
  });

  // The same event sequences through both versions give the same states and (v1) context; effects differ only
  // by version 2's timer actions.
  const PATHS: ReadonlyArray<readonly ProjectEventV2[]> = [
    [ev('AWARD'), ev('REJECT_AWARD'), ev('AWARD'), ev('ACCEPT_AWARD'), ev('CANCEL_PROJECT')],
    [
      ev('AWARD'),
      ev('ACCEPT_AWARD'),
      ev('MILESTONE_REQUESTED'),
      ev('MILESTONE_OPENED'),
      released('40'),
      ev('MILESTONE_CLOSED'),
      ev('COMPLETE'),
      ev('LEAVE_FEEDBACK', 'employer'),
      ev('LEAVE_FEEDBACK', 'freelancer'),
    ],
    [
      ev('AWARD'),
      ev('ACCEPT_AWARD'),
      ev('MILESTONE_OPENED'),
      released('40'),
      ev('MARK_INCOMPLETE'),
      released('60'),
      ev('MILESTONE_CLOSED'),
    ],
  ];

  const withoutTimers = (effects: Effect[]) => effects.filter((e) => !e.type.startsWith('xstate.'));

  for (const path of PATHS) {
    it(`matches version 1 step by step on ${path.map((e) => e.type).join(' → ')}`, () => {
      const { rules: _rules, ...v1Input } = input;
      let v1: SnapshotFrom<typeof projectMachineV1> = initialTransition(
        projectMachineV1,
        v1Input satisfies ProjectInput,
      )[0];
      let v2 = start();
      for (const event of path) {
        expect(v1.can(event as ProjectEvent), `v1 accepts ${event.type}`).toBe(true);
        expect(v2.can(event), `v2 accepts ${event.type}`).toBe(true);
        const [n1, a1] = transition(projectMachineV1, v1, event as ProjectEvent);
        const [n2, a2] = transition(projectMachineV2, v2, event);
        expect(n2.value, event.type).toEqual(n1.value);
        expect(n2.status).toBe(n1.status);
        expect(withoutTimers(effectsOf(a2)), event.type).toEqual(effectsOf(a1));
        const { rules: _r, cancelRequested: _c, ...v2Context } = n2.context;
        expect(v2Context, event.type).toEqual(n1.context);
        v1 = n1;
        v2 = n2;
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// The freelancer's request to cancel the project.

describe('project v2: REQUEST_PROJECT_CANCEL', () => {
  it('accepts it from the freelancer in progress: flags it, arms cancel-request and notifies the employer', () => {
    const [next, effects] = send(inProgress(), ev('REQUEST_PROJECT_CANCEL', 'freelancer'));
    expect(next.value).toBe('in_progress');
    expect(next.context.cancelRequested).toBe(true);
    expect(effects).toEqual([
      armTimer('CANCEL_REQUEST_TIMEOUT', 'cancel-request', RULES.cancelRequestMs),
      notify('employer', 'project.cancel_requested'),
    ]);
  });

  it('takes the deadline from the instance rules, not from constants', () => {
    const custom = initialTransition(projectMachineV2, {
      ...input,
      rules: { feedbackWindowMs: 11, cancelRequestMs: 22 },
    })[0];
    const [, effects] = send(drive(custom, ev('AWARD'), ev('ACCEPT_AWARD')), ev('REQUEST_PROJECT_CANCEL'));
    expect(effects).toContainEqual(armTimer('CANCEL_REQUEST_TIMEOUT', 'cancel-request', 22));
  });

  for (const by of ['employer', 'system', 'support', 'outsider', 'impostor'] as const) {
    it(`refuses it from the ${by}`, () => {
      expectRefused(inProgress(), ev('REQUEST_PROJECT_CANCEL', by));
    });
  }

  it('refuses a second request while the first is outstanding', () => {
    expectRefused(withCancelRequest(), ev('REQUEST_PROJECT_CANCEL'));
  });

  it('accepts a new request after the employer rejected the first, re-arming the timer', () => {
    const rejected = drive(withCancelRequest(), ev('REJECT_PROJECT_CANCEL'));
    const [next, effects] = send(rejected, ev('REQUEST_PROJECT_CANCEL'));
    expect(next.context.cancelRequested).toBe(true);
    expect(effects).toContainEqual(armTimer('CANCEL_REQUEST_TIMEOUT', 'cancel-request', RULES.cancelRequestMs));
  });

  it('accepts a new request after the first lapsed', () => {
    const lapsed = drive(withCancelRequest(withPending()), ev('CANCEL_REQUEST_TIMEOUT'));
    expect(lapsed.can(ev('REQUEST_PROJECT_CANCEL'))).toBe(true);
  });

  for (const state of STATES.filter((s) => s !== 'in_progress')) {
    it(`refuses it in ${state}`, () => {
      expectRefused(at(state), ev('REQUEST_PROJECT_CANCEL', 'freelancer'));
    });
  }

  it('leaves the timer armed while milestone events arrive', () => {
    const requested = withCancelRequest();
    for (const event of [ev('MILESTONE_REQUESTED'), ev('MILESTONE_OPENED')]) {
      const [, actions] = transition(projectMachineV2, requested, event);
      expect(effectsOf(actions), event.type).not.toContainEqual(cancelTimer('cancel-request'));
    }
  });
});

describe('project v2: ACCEPT_PROJECT_CANCEL (cancelRequested, nothingPendingOrReleased)', () => {
  it('accepts it from the employer when requested and nothing is pending or released: cancelled, final', () => {
    const [next, effects] = send(withCancelRequest(), ev('ACCEPT_PROJECT_CANCEL'));
    expect(next.value).toBe('cancelled');
    expect(next.status).toBe('done');
    expect(effects).toEqual([cancelTimer('cancel-request'), notify('freelancer', 'project.cancel_accepted')]);
  });

  it('refuses it when no cancel was requested', () => {
    expectRefused(inProgress(), ev('ACCEPT_PROJECT_CANCEL'));
  });

  it('refuses it after the employer rejected the request', () => {
    expectRefused(drive(withCancelRequest(), ev('REJECT_PROJECT_CANCEL')), ev('ACCEPT_PROJECT_CANCEL'));
  });

  it('refuses it while a milestone is pending (requested before the milestone opened)', () => {
    expectRefused(drive(withCancelRequest(), ev('MILESTONE_OPENED')), ev('ACCEPT_PROJECT_CANCEL'));
  });

  it('refuses it while a milestone is pending (requested after the milestone opened)', () => {
    expectRefused(withCancelRequest(withPending()), ev('ACCEPT_PROJECT_CANCEL'));
  });

  it('refuses it once anything was released, even with nothing pending', () => {
    const snapshot = withCancelRequest(withReleasedAndClosed());
    expect(snapshot.context.pendingMilestones).toBe(0);
    expectRefused(snapshot, ev('ACCEPT_PROJECT_CANCEL'));
  });

  it('accepts it after a milestone closed without any release', () => {
    const snapshot = withCancelRequest(drive(withPending(), ev('MILESTONE_CLOSED')));
    expect(snapshot.can(ev('ACCEPT_PROJECT_CANCEL'))).toBe(true);
  });

  for (const by of ['freelancer', 'system', 'support', 'outsider', 'impostor'] as const) {
    it(`refuses it from the ${by}`, () => {
      expectRefused(withCancelRequest(), ev('ACCEPT_PROJECT_CANCEL', by));
    });
  }
});

describe('project v2: REJECT_PROJECT_CANCEL (cancelRequested)', () => {
  it('accepts it from the employer: clears the flag, cancels the timer and notifies the freelancer', () => {
    const [next, effects] = send(withCancelRequest(), ev('REJECT_PROJECT_CANCEL'));
    expect(next.value).toBe('in_progress');
    expect(next.context.cancelRequested).toBe(false);
    expect(effects).toEqual([cancelTimer('cancel-request'), notify('freelancer', 'project.cancel_rejected')]);
  });

  it('accepts it with a milestone pending too', () => {
    expect(withCancelRequest(withPending()).can(ev('REJECT_PROJECT_CANCEL'))).toBe(true);
  });

  it('refuses it when no cancel was requested', () => {
    expectRefused(inProgress(), ev('REJECT_PROJECT_CANCEL'));
  });

  it('refuses it twice for one request', () => {
    expectRefused(drive(withCancelRequest(), ev('REJECT_PROJECT_CANCEL')), ev('REJECT_PROJECT_CANCEL'));
  });

  for (const by of ['freelancer', 'system', 'support', 'outsider', 'impostor'] as const) {
    it(`refuses it from the ${by}`, () => {
      expectRefused(withCancelRequest(), ev('REJECT_PROJECT_CANCEL', by));
    });
  }
});

describe('project v2: CANCEL_REQUEST_TIMEOUT', () => {
  it('auto-accepts the request when nothing is pending or released: cancelled, final, employer notified', () => {
    const [next, effects] = send(withCancelRequest(), ev('CANCEL_REQUEST_TIMEOUT'));
    expect(next.value).toBe('cancelled');
    expect(next.status).toBe('done');
    expect(effects).toEqual([cancelTimer('cancel-request'), notify('employer', 'project.cancel_auto_accepted')]);
  });

  it('lets the request lapse while a milestone is pending: flag cleared, still in progress, freelancer notified', () => {
    const requested = withCancelRequest(withPending());
    const [next, effects] = send(requested, ev('CANCEL_REQUEST_TIMEOUT'));
    expect(next.value).toBe('in_progress');
    expect(next.context.cancelRequested).toBe(false);
    expect(next.context.pendingMilestones).toBe(1);
    expect(effects).toEqual([notify('freelancer', 'project.cancel_request_lapsed')]);
  });

  it('lets the request lapse once anything was released, even with nothing pending', () => {
    const [next, effects] = send(withCancelRequest(withReleasedAndClosed()), ev('CANCEL_REQUEST_TIMEOUT'));
    expect(next.value).toBe('in_progress');
    expect(next.context.cancelRequested).toBe(false);
    expect(effects).toEqual([notify('freelancer', 'project.cancel_request_lapsed')]);
  });

  it('lets the request lapse when a milestone opened after the request', () => {
    const [next] = send(drive(withCancelRequest(), ev('MILESTONE_OPENED')), ev('CANCEL_REQUEST_TIMEOUT'));
    expect(next.value).toBe('in_progress');
    expect(next.context.cancelRequested).toBe(false);
  });

  it('is accepted as the engine delivers the armed timer (its own event, with the system flag)', () => {
    const [requested, effects] = send(inProgress(), ev('REQUEST_PROJECT_CANCEL'));
    const fired = firedTimer(effects, 'cancel-request');
    expect(fired.type).toBe('CANCEL_REQUEST_TIMEOUT');
    const [next] = send(requested, fired);
    expect(next.value).toBe('cancelled');
  });

  for (const by of ['employer', 'freelancer', 'support', 'outsider', 'impostor'] as const) {
    it(`refuses it from the ${by}`, () => {
      expectRefused(withCancelRequest(), ev('CANCEL_REQUEST_TIMEOUT', by));
    });
  }

  // The timeout auto-accepts the freelancer's request; with no request outstanding there is nothing to accept,
  // and docs/concepts.md lets only the employer cancel a project otherwise. A stale timer must not cancel it.
  it('refuses it when no cancel request is outstanding (never requested)', () => {
    expectRefused(inProgress(), ev('CANCEL_REQUEST_TIMEOUT'));
  });

  it('refuses it when no cancel request is outstanding (the employer rejected it)', () => {
    expectRefused(drive(withCancelRequest(), ev('REJECT_PROJECT_CANCEL')), ev('CANCEL_REQUEST_TIMEOUT'));
  });
});

describe('project v2: leaving in_progress ends a pending cancel request deadline', () => {
  const EXITS: ReadonlyArray<{ event: ProjectEventV2; from: () => Snapshot; to: State }> = [
    { event: ev('COMPLETE'), from: () => withCancelRequest(withReleasedAndClosed()), to: 'completed' },
    { event: ev('MARK_INCOMPLETE'), from: () => withCancelRequest(withPendingAndReleased()), to: 'incomplete' },
    { event: ev('CANCEL_PROJECT'), from: () => withCancelRequest(), to: 'cancelled' },
    { event: ev('ACCEPT_PROJECT_CANCEL'), from: () => withCancelRequest(), to: 'cancelled' },
    { event: ev('CANCEL_REQUEST_TIMEOUT'), from: () => withCancelRequest(), to: 'cancelled' },
  ];

  for (const { event, from, to } of EXITS) {
    it(`${event.type} (→ ${to}) emits xstate.cancel for cancel-request`, () => {
      const [next, effects] = send(from(), event);
      expect(next.value).toBe(to);
      expect(effects).toContainEqual(cancelTimer('cancel-request'));
    });
  }

  it('COMPLETE cancels the cancel-request timer and arms the feedback window, in that order', () => {
    const [, effects] = send(withCancelRequest(withReleasedAndClosed()), ev('COMPLETE'));
    expect(effects).toEqual([
      cancelTimer('cancel-request'),
      armTimer('FEEDBACK_WINDOW_CLOSED', 'feedback-window', RULES.feedbackWindowMs),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The feedback window.

describe('project v2: feedback window', () => {
  it('COMPLETE arms feedback-window with feedbackWindowMs', () => {
    const [next, effects] = send(withReleasedAndClosed(), ev('COMPLETE'));
    expect(next.value).toBe('completed');
    expect(effects).toContainEqual(armTimer('FEEDBACK_WINDOW_CLOSED', 'feedback-window', RULES.feedbackWindowMs));
  });

  it('takes the window from the instance rules, not from constants', () => {
    const custom = initialTransition(projectMachineV2, {
      ...input,
      rules: { feedbackWindowMs: 11, cancelRequestMs: 22 },
    })[0];
    const [, effects] = send(drive(custom, ev('AWARD'), ev('ACCEPT_AWARD')), ev('COMPLETE'));
    expect(effects).toContainEqual(armTimer('FEEDBACK_WINDOW_CLOSED', 'feedback-window', 11));
  });

  it('arms the window even when nothing was released (and FEEDBACK_WINDOW_CLOSED still closes the project)', () => {
    const [completed, effects] = send(inProgress(), ev('COMPLETE'));
    expect(effects).toContainEqual(armTimer('FEEDBACK_WINDOW_CLOSED', 'feedback-window', RULES.feedbackWindowMs));
    expect(send(completed, ev('FEEDBACK_WINDOW_CLOSED'))[0].value).toBe('closed');
  });

  it('LEAVE_FEEDBACK still works inside the window and does not re-arm it', () => {
    const [next, effects] = send(
      completedAfterRelease(),
      ev('LEAVE_FEEDBACK', 'employer', { rating: 4, comment: 'Solid' }),
    );
    expect(next.value).toBe('completed');
    expect(next.context.feedback).toEqual([{ role: 'employer', actor: EMPLOYER, rating: 4, comment: 'Solid' }]);
    expect(effects).toEqual([]);
  });

  it('FEEDBACK_WINDOW_CLOSED from the system closes the project for good', () => {
    const withFeedback = drive(completedAfterRelease(), ev('LEAVE_FEEDBACK', 'employer'));
    const [next, effects] = send(withFeedback, ev('FEEDBACK_WINDOW_CLOSED'));
    expect(next.value).toBe('closed');
    expect(next.status).toBe('done');
    expect(next.context.feedback).toEqual(withFeedback.context.feedback);
    expect(effects).toEqual([cancelTimer('feedback-window')]);
  });

  it('FEEDBACK_WINDOW_CLOSED is accepted as the engine delivers the armed timer', () => {
    const [completed, effects] = send(withReleasedAndClosed(), ev('COMPLETE'));
    expect(send(completed, firedTimer(effects, 'feedback-window'))[0].value).toBe('closed');
  });

  for (const by of ['employer', 'freelancer', 'support', 'outsider', 'impostor'] as const) {
    it(`refuses FEEDBACK_WINDOW_CLOSED from the ${by}`, () => {
      expectRefused(completedAfterRelease(), ev('FEEDBACK_WINDOW_CLOSED', by));
    });
  }

  for (const state of STATES.filter((s) => s !== 'completed')) {
    it(`refuses FEEDBACK_WINDOW_CLOSED in ${state}`, () => {
      expectRefused(at(state), ev('FEEDBACK_WINDOW_CLOSED'));
    });
  }

  it('refuses LEAVE_FEEDBACK from both parties once closed, even from a party who left none', () => {
    const closed = at('closed');
    expect(closed.context.feedback).toEqual([]);
    expectRefused(closed, ev('LEAVE_FEEDBACK', 'employer'), '(employer)');
    expectRefused(closed, ev('LEAVE_FEEDBACK', 'freelancer'), '(freelancer)');
  });
});

describe('project v2: final states', () => {
  for (const state of STATES) {
    const status = FINAL_STATES.includes(state) ? 'done' : 'active';
    it(`${state} has status ${status}`, () => {
      expect(at(state).status).toBe(status);
    });
  }
});
