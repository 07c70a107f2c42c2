import { describe, expect, it } from 'vitest';
import { type SnapshotFrom } from 'xstate';
import { milestoneMachineV1, type MilestoneEvent, type MilestoneInput } from '../../machines/milestone.v1.js';
import { machineTestKit, type ActorFields, type Handler as HandlerRow } from './support/machine-test-kit.js';

// Pure unit tests for the milestone machine, version 1 (docs/concepts.md "Milestone"). Every allowed and every
// refused transition, every guard both ways. Snapshots are only ever reached by driving real events from
// initialTransition, never built by hand, so a fixture cannot describe a state the machine cannot reach.

type Snapshot = SnapshotFrom<typeof milestoneMachineV1>;
type EventType = MilestoneEvent['type'];
type State =
  | 'draft'
  | 'requested'
  | 'funding'
  | 'funding_failed'
  | 'in_progress'
  | 'releasing'
  | 'cancelling'
  | 'released'
  | 'cancelled'
  | 'rejected'
  | 'deleted'
  | 'abandoned';

const EMPLOYER = 'user-employer';
const FREELANCER = 'user-freelancer';
const OUTSIDER = 'user-outsider';

const input: MilestoneInput = {
  id: 'milestone-1',
  projectId: 'project-1',
  employerId: EMPLOYER,
  freelancerId: FREELANCER,
  currency: 'USD',
};

/** Who sends an event. `impostor` claims the system's name but lacks the flag only the engine sets. */
type Sender = 'employer' | 'freelancer' | 'system' | 'outsider' | 'impostor';
const actorFields: Record<Sender, ActorFields> = {
  employer: { actor: EMPLOYER },
  freelancer: { actor: FREELANCER },
  system: { actor: 'system', system: true },
  outsider: { actor: OUTSIDER },
  impostor: { actor: 'system' },
};

/** The one role docs/concepts.md lets send each event. */
const SENDERS_OF: Record<EventType, readonly [Sender]> = {
  CREATE: ['employer'],
  REQUEST: ['freelancer'],
  ACCEPT_REQUEST: ['employer'],
  REJECT_REQUEST: ['employer'],
  DELETE_REQUEST: ['freelancer'],
  FUND: ['employer'],
  ABANDON: ['employer'],
  RELEASE: ['employer'],
  REQUEST_RELEASE: ['freelancer'],
  REQUEST_CANCEL: ['employer'],
  REJECT_CANCEL: ['freelancer'],
  CANCEL: ['freelancer'],
  SETTLED: ['system'],
  SETTLEMENT_FAILED: ['system'],
};

const defaultPayload: Record<EventType, object> = {
  CREATE: { amount: '100', description: 'Logo design' },
  REQUEST: { amount: '100', description: 'Logo design' },
  ACCEPT_REQUEST: {},
  REJECT_REQUEST: {},
  DELETE_REQUEST: {},
  FUND: {},
  ABANDON: {},
  RELEASE: {},
  REQUEST_RELEASE: {},
  REQUEST_CANCEL: { reason: 'Scope changed' },
  REJECT_CANCEL: {},
  CANCEL: {},
  SETTLED: {},
  SETTLEMENT_FAILED: { reason: 'insufficient funds' },
};

const { ev, start, send, drive, reached, expectRefused, describeRoleTables } = machineTestKit({
  machine: milestoneMachineV1,
  input,
  actorFields,
  sendersOf: SENDERS_OF,
  defaultPayload,
});

/** Canonical event path from `draft` to each state (each event sent by its rightful role). */
const PATH_TO: Record<State, readonly EventType[]> = {
  draft: [],
  requested: ['REQUEST'],
  funding: ['CREATE'],
  funding_failed: ['CREATE', 'SETTLEMENT_FAILED'],
  in_progress: ['CREATE', 'SETTLED'],
  releasing: ['CREATE', 'SETTLED', 'RELEASE'],
  cancelling: ['CREATE', 'SETTLED', 'CANCEL'],
  released: ['CREATE', 'SETTLED', 'RELEASE', 'SETTLED'],
  cancelled: ['CREATE', 'SETTLED', 'CANCEL', 'SETTLED'],
  rejected: ['REQUEST', 'REJECT_REQUEST'],
  deleted: ['REQUEST', 'DELETE_REQUEST'],
  abandoned: ['CREATE', 'SETTLEMENT_FAILED', 'ABANDON'],
};
const STATES = Object.keys(PATH_TO) as State[];
const FINAL_STATES: readonly State[] = ['released', 'cancelled', 'rejected', 'deleted', 'abandoned'];
const SETTLING_STATES: readonly State[] = ['funding', 'releasing', 'cancelling'];

/** A milestone of `amount` minor units in `state`, reached by real events. */
function at(state: State, amount = '100'): Snapshot {
  const events = PATH_TO[state].map((type) =>
    type === 'CREATE' || type === 'REQUEST' ? ev(type, SENDERS_OF[type][0], { amount }) : ev(type),
  );
  return reached(state, drive(start(), ...events));
}

/** in_progress with `released` of `amount` already paid out by a settled partial release. */
function partlyReleased(released: string, amount = '100'): Snapshot {
  return drive(at('in_progress', amount), ev('RELEASE', 'employer', { amount: released }), ev('SETTLED'));
}

function withCancelRequested(): Snapshot {
  return drive(at('in_progress'), ev('REQUEST_CANCEL'));
}

const remaining = (s: Snapshot): bigint => BigInt(s.context.amount) - BigInt(s.context.releasedAmount);

// ---------------------------------------------------------------------------------------------------------
// Every handled event: allowed for its role, refused for every other sender.

type Handler = HandlerRow<State, EventType, Sender, Snapshot>;

const HANDLERS: readonly Handler[] = [
  { state: 'draft', event: 'CREATE', to: 'funding' },
  { state: 'draft', event: 'REQUEST', to: 'requested' },
  { state: 'requested', event: 'ACCEPT_REQUEST', to: 'funding' },
  { state: 'requested', event: 'REJECT_REQUEST', to: 'rejected' },
  { state: 'requested', event: 'DELETE_REQUEST', to: 'deleted' },
  { state: 'funding', event: 'SETTLED', to: 'in_progress' },
  { state: 'funding', event: 'SETTLEMENT_FAILED', to: 'funding_failed' },
  { state: 'funding_failed', event: 'FUND', to: 'funding' },
  { state: 'funding_failed', event: 'ABANDON', to: 'abandoned' },
  { state: 'in_progress', event: 'RELEASE', to: 'releasing' },
  { state: 'in_progress', event: 'REQUEST_RELEASE', to: 'in_progress' },
  { state: 'in_progress', event: 'REQUEST_CANCEL', to: 'in_progress' },
  { state: 'in_progress', event: 'REJECT_CANCEL', to: 'in_progress', from: withCancelRequested },
  { state: 'in_progress', event: 'CANCEL', to: 'cancelling' },
  { state: 'releasing', event: 'SETTLED', to: 'released' },
  { state: 'releasing', event: 'SETTLEMENT_FAILED', to: 'in_progress' },
  { state: 'cancelling', event: 'SETTLED', to: 'cancelled' },
  { state: 'cancelling', event: 'SETTLEMENT_FAILED', to: 'in_progress' },
];

describeRoleTables('milestone v1', { states: STATES, handlers: HANDLERS, at, acceptedMakesNewSnapshot: true });

// ---------------------------------------------------------------------------------------------------------
// Guards, each both ways.

describe('milestone v1: releaseWithinRemaining', () => {
  it('accepts RELEASE of exactly the whole amount', () => {
    const snapshot = at('in_progress');
    const e = ev('RELEASE', 'employer', { amount: '100' });
    expect(snapshot.can(e)).toBe(true);
    const [next] = send(snapshot, e);
    expect(next.value).toBe('releasing');
    expect(next.context.pendingRelease).toBe('100');
  });

  it('refuses RELEASE of zero even if a payload check were bypassed', () => {
    expectRefused(at('in_progress'), ev('RELEASE', 'employer', { amount: '0' }));
  });

  it('refuses RELEASE of one more than the whole amount', () => {
    expectRefused(at('in_progress'), ev('RELEASE', 'employer', { amount: '101' }));
  });

  it('accepts RELEASE of exactly what remains after a partial release', () => {
    const snapshot = partlyReleased('40');
    const [next] = send(snapshot, ev('RELEASE', 'employer', { amount: '60' }));
    expect(next.value).toBe('releasing');
    expect(next.context.pendingRelease).toBe('60');
  });

  it('refuses RELEASE of one more than what remains after a partial release', () => {
    expectRefused(partlyReleased('40'), ev('RELEASE', 'employer', { amount: '61' }));
  });

  it('releases all that remains when RELEASE has no amount', () => {
    const [next, effects] = send(partlyReleased('40'), ev('RELEASE', 'employer'));
    expect(next.value).toBe('releasing');
    expect(next.context.pendingRelease).toBe('60');
    expect(effects).toEqual([{ type: 'requestSettlement', params: { kind: 'release', amount: '60' } }]);
  });
});

describe('milestone v1: releaseSettlesRemainder', () => {
  it('settles a partial release back to in_progress with the remainder still pending', () => {
    const releasing = drive(at('in_progress'), ev('RELEASE', 'employer', { amount: '40' }));
    const [next, effects] = send(releasing, ev('SETTLED'));
    expect(next.value).toBe('in_progress');
    expect(next.status).toBe('active');
    expect(next.context.releasedAmount).toBe('40');
    expect(next.context.pendingRelease).toBeNull();
    expect(remaining(next)).toBe(60n);
    expect(effects).toEqual([
      { type: 'informProject', params: { type: 'MILESTONE_RELEASED', amount: '40' } },
      { type: 'notify', params: { to: 'freelancer', type: 'milestone.partially_released' } },
    ]);
  });

  it('settles a full release to released and closes the milestone on the project', () => {
    const releasing = drive(at('in_progress'), ev('RELEASE', 'employer'));
    const [next, effects] = send(releasing, ev('SETTLED'));
    expect(next.value).toBe('released');
    expect(next.context.releasedAmount).toBe('100');
    expect(next.context.pendingRelease).toBeNull();
    expect(effects).toEqual([
      { type: 'informProject', params: { type: 'MILESTONE_RELEASED', amount: '100' } },
      { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
      { type: 'notify', params: { to: 'freelancer', type: 'milestone.released' } },
    ]);
  });

  it('settles to released when a second partial release takes the rest', () => {
    const releasing = drive(partlyReleased('40'), ev('RELEASE', 'employer', { amount: '60' }));
    const [next, effects] = send(releasing, ev('SETTLED'));
    expect(next.value).toBe('released');
    expect(next.context.releasedAmount).toBe('100');
    expect(effects).toContainEqual({ type: 'informProject', params: { type: 'MILESTONE_RELEASED', amount: '60' } });
    expect(effects).toContainEqual({ type: 'informProject', params: { type: 'MILESTONE_CLOSED' } });
  });
});

describe('milestone v1: releaseRequested', () => {
  it('accepts REQUEST_RELEASE from the freelancer once, flags it and notifies the employer', () => {
    const [next, effects] = send(at('in_progress'), ev('REQUEST_RELEASE'));
    expect(next.value).toBe('in_progress');
    expect(next.context.releaseRequested).toBe(true);
    expect(effects).toEqual([{ type: 'notify', params: { to: 'employer', type: 'milestone.release_requested' } }]);
  });

  it('refuses a second REQUEST_RELEASE while the first is outstanding', () => {
    const requested = drive(at('in_progress'), ev('REQUEST_RELEASE'));
    expectRefused(requested, ev('REQUEST_RELEASE'));
  });

  it('accepts REQUEST_RELEASE again once a partial release has answered the first', () => {
    const requested = drive(at('in_progress'), ev('REQUEST_RELEASE'));
    const answered = drive(requested, ev('RELEASE', 'employer', { amount: '40' }), ev('SETTLED'));
    expect(answered.context.releaseRequested).toBe(false);
    expect(answered.can(ev('REQUEST_RELEASE'))).toBe(true);
  });
});

describe('milestone v1: cancelRequested', () => {
  it('refuses REJECT_CANCEL when no cancel was requested', () => {
    expectRefused(at('in_progress'), ev('REJECT_CANCEL'));
  });

  it('accepts REQUEST_CANCEL from the employer, records the reason and notifies the freelancer', () => {
    const [next, effects] = send(at('in_progress'), ev('REQUEST_CANCEL', 'employer', { reason: 'Client paused' }));
    expect(next.context.cancelRequested).toBe(true);
    expect(next.context.cancelReason).toBe('Client paused');
    expect(effects).toEqual([{ type: 'notify', params: { to: 'freelancer', type: 'milestone.cancel_requested' } }]);
  });

  it('accepts REJECT_CANCEL after REQUEST_CANCEL, clears the request and notifies the employer', () => {
    const [next, effects] = send(withCancelRequested(), ev('REJECT_CANCEL'));
    expect(next.value).toBe('in_progress');
    expect(next.context.cancelRequested).toBe(false);
    expect(next.context.cancelReason).toBeNull();
    expect(effects).toEqual([{ type: 'notify', params: { to: 'employer', type: 'milestone.cancel_rejected' } }]);
  });

  it('refuses a second REQUEST_CANCEL while the first is outstanding', () => {
    expectRefused(withCancelRequested(), ev('REQUEST_CANCEL'));
  });

  it('refuses REJECT_CANCEL twice for one request', () => {
    const rejected = drive(withCancelRequested(), ev('REJECT_CANCEL'));
    expectRefused(rejected, ev('REJECT_CANCEL'));
  });

  it('accepts REQUEST_CANCEL again after the freelancer rejected the first', () => {
    const rejected = drive(withCancelRequested(), ev('REJECT_CANCEL'));
    expect(rejected.can(ev('REQUEST_CANCEL'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Effects and context, transition by transition.

describe('milestone v1: effects', () => {
  it('CREATE records the terms, opens the milestone on the project and asks to fund the amount', () => {
    const [next, effects] = send(start(), ev('CREATE', 'employer', { amount: '2500', description: 'Wireframes' }));
    expect(next.value).toBe('funding');
    expect(next.context.amount).toBe('2500');
    expect(next.context.description).toBe('Wireframes');
    expect(next.context.releasedAmount).toBe('0');
    expect(effects).toEqual([
      { type: 'informProject', params: { type: 'MILESTONE_OPENED' } },
      { type: 'requestSettlement', params: { kind: 'fund', amount: '2500' } },
    ]);
  });

  it('REQUEST records the terms, tells the project and notifies the employer, without funding', () => {
    const [next, effects] = send(start(), ev('REQUEST', 'freelancer', { amount: '700', description: 'Copy' }));
    expect(next.value).toBe('requested');
    expect(next.context.amount).toBe('700');
    expect(next.context.description).toBe('Copy');
    expect(effects).toEqual([
      { type: 'informProject', params: { type: 'MILESTONE_REQUESTED' } },
      { type: 'notify', params: { to: 'employer', type: 'milestone.requested' } },
    ]);
  });

  it('ACCEPT_REQUEST opens the milestone on the project and asks to fund the requested amount', () => {
    const [next, effects] = send(at('requested', '700'), ev('ACCEPT_REQUEST'));
    expect(next.value).toBe('funding');
    expect(effects).toEqual([
      { type: 'informProject', params: { type: 'MILESTONE_OPENED' } },
      { type: 'requestSettlement', params: { kind: 'fund', amount: '700' } },
    ]);
  });

  it('REJECT_REQUEST ends the request and notifies the freelancer', () => {
    const [next, effects] = send(at('requested'), ev('REJECT_REQUEST'));
    expect(next.value).toBe('rejected');
    expect(next.status).toBe('done');
    expect(effects).toEqual([{ type: 'notify', params: { to: 'freelancer', type: 'milestone.request_rejected' } }]);
  });

  it('DELETE_REQUEST ends the request with no effects', () => {
    const [next, effects] = send(at('requested'), ev('DELETE_REQUEST'));
    expect(next.value).toBe('deleted');
    expect(next.status).toBe('done');
    expect(effects).toEqual([]);
  });

  it('SETTLED in funding puts the milestone in progress and notifies the freelancer', () => {
    const [next, effects] = send(at('funding'), ev('SETTLED'));
    expect(next.value).toBe('in_progress');
    expect(effects).toEqual([{ type: 'notify', params: { to: 'freelancer', type: 'milestone.funded' } }]);
  });

  it('SETTLEMENT_FAILED in funding lands in funding_failed with the reason visible', () => {
    const [next, effects] = send(at('funding'), ev('SETTLEMENT_FAILED', 'system', { reason: 'insufficient funds' }));
    expect(next.value).toBe('funding_failed');
    expect(next.context.lastSettlementFailure).toBe('insufficient funds');
    expect(effects).toEqual([{ type: 'notify', params: { to: 'employer', type: 'milestone.funding_failed' } }]);
  });

  it('FUND from funding_failed goes back to funding with a new settlement request', () => {
    const [next, effects] = send(at('funding_failed', '300'), ev('FUND'));
    expect(next.value).toBe('funding');
    expect(effects).toEqual([{ type: 'requestSettlement', params: { kind: 'fund', amount: '300' } }]);
  });

  it('SETTLED after a retried FUND clears the earlier failure', () => {
    const funded = drive(at('funding_failed'), ev('FUND'), ev('SETTLED'));
    expect(funded.value).toBe('in_progress');
    expect(funded.context.lastSettlementFailure).toBeNull();
  });

  it('ABANDON from funding_failed ends the milestone and closes it on the project', () => {
    const [next, effects] = send(at('funding_failed'), ev('ABANDON'));
    expect(next.value).toBe('abandoned');
    expect(next.status).toBe('done');
    expect(effects).toEqual([{ type: 'informProject', params: { type: 'MILESTONE_CLOSED' } }]);
  });

  it('RELEASE of 40 out of 100 asks to settle a release of 40', () => {
    const [next, effects] = send(at('in_progress'), ev('RELEASE', 'employer', { amount: '40' }));
    expect(next.value).toBe('releasing');
    expect(next.context.pendingRelease).toBe('40');
    expect(effects).toEqual([{ type: 'requestSettlement', params: { kind: 'release', amount: '40' } }]);
  });

  it('SETTLEMENT_FAILED in releasing returns to in_progress with nothing released and the failure visible', () => {
    const releasing = drive(at('in_progress'), ev('RELEASE', 'employer', { amount: '40' }));
    const [next, effects] = send(releasing, ev('SETTLEMENT_FAILED', 'system', { reason: 'ledger refused' }));
    expect(next.value).toBe('in_progress');
    expect(next.context.releasedAmount).toBe('0');
    expect(next.context.pendingRelease).toBeNull();
    expect(next.context.lastSettlementFailure).toBe('ledger refused');
    expect(effects).toEqual([{ type: 'notify', params: { to: 'employer', type: 'milestone.release_failed' } }]);
    expect(next.can(ev('RELEASE', 'employer', { amount: '100' }))).toBe(true);
  });

  it('CANCEL asks to settle a cancel of the whole amount when nothing was released', () => {
    const [next, effects] = send(at('in_progress'), ev('CANCEL'));
    expect(next.value).toBe('cancelling');
    expect(effects).toEqual([{ type: 'requestSettlement', params: { kind: 'cancel', amount: '100' } }]);
  });

  it('CANCEL after a partial release asks to settle a cancel of only what remains', () => {
    const [next, effects] = send(partlyReleased('40'), ev('CANCEL'));
    expect(next.value).toBe('cancelling');
    expect(effects).toEqual([{ type: 'requestSettlement', params: { kind: 'cancel', amount: '60' } }]);
  });

  it('SETTLED in cancelling ends the milestone, closes it on the project and notifies the employer', () => {
    const [next, effects] = send(at('cancelling'), ev('SETTLED'));
    expect(next.value).toBe('cancelled');
    expect(next.status).toBe('done');
    expect(effects).toEqual([
      { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
      { type: 'notify', params: { to: 'employer', type: 'milestone.cancelled' } },
    ]);
  });

  it('SETTLEMENT_FAILED in cancelling returns to in_progress with the failure visible', () => {
    const [next, effects] = send(at('cancelling'), ev('SETTLEMENT_FAILED', 'system', { reason: 'ledger refused' }));
    expect(next.value).toBe('in_progress');
    expect(next.context.lastSettlementFailure).toBe('ledger refused');
    expect(effects).toEqual([{ type: 'notify', params: { to: 'freelancer', type: 'milestone.cancel_failed' } }]);
  });
});

describe('milestone v1: tags and final states', () => {
  for (const state of SETTLING_STATES) {
    it(`${state} carries the settling tag`, () => {
      expect(at(state).hasTag('settling')).toBe(true);
    });
  }

  for (const state of STATES.filter((s) => !SETTLING_STATES.includes(s))) {
    it(`${state} does not carry the settling tag`, () => {
      expect(at(state).hasTag('settling')).toBe(false);
    });
  }

  for (const state of STATES) {
    const status = FINAL_STATES.includes(state) ? 'done' : 'active';
    it(`${state} has status ${status}`, () => {
      expect(at(state).status).toBe(status);
    });
  }
});

describe('milestone v1: money is exact decimal strings', () => {
  const MAX = '9223372036854775807'; // 2^63 - 1

  it('releases 1 of 2^63-1 and keeps the remainder exact', () => {
    const releasing = drive(at('in_progress', MAX), ev('RELEASE', 'employer', { amount: '1' }));
    const [next, effects] = send(releasing, ev('SETTLED'));
    expect(next.value).toBe('in_progress');
    expect(next.context.amount).toBe(MAX);
    expect(next.context.releasedAmount).toBe('1');
    expect(effects).toContainEqual({ type: 'informProject', params: { type: 'MILESTONE_RELEASED', amount: '1' } });
    // The rest, released without an amount, is exactly 2^63-2: a float would round it to 2^63.
    const [rest, restEffects] = send(next, ev('RELEASE', 'employer'));
    expect(rest.context.pendingRelease).toBe('9223372036854775806');
    expect(restEffects).toEqual([
      { type: 'requestSettlement', params: { kind: 'release', amount: '9223372036854775806' } },
    ]);
  });

  it('accepts RELEASE of exactly the huge remainder and refuses the whole original amount', () => {
    const snapshot = partlyReleased('1', MAX);
    expect(snapshot.can(ev('RELEASE', 'employer', { amount: '9223372036854775806' }))).toBe(true);
    expectRefused(snapshot, ev('RELEASE', 'employer', { amount: MAX }));
  });

  it('settles the huge remainder to released with the whole amount released', () => {
    const released = drive(partlyReleased('1', MAX), ev('RELEASE', 'employer'), ev('SETTLED'));
    expect(released.value).toBe('released');
    expect(released.context.releasedAmount).toBe(MAX);
  });
});
