import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { milestoneMachineV1, type MilestoneEvent, type MilestoneInput } from '../../machines/milestone.v1.js';
import {
  milestoneMachineV2,
  type DisputeRules,
  type MilestoneContextV2,
  type MilestoneEventV2,
  type MilestoneInputV2,
} from '../../machines/milestone.v2.js';
import {
  cancelTimer,
  effectsOf,
  flatState,
  machineTestKit,
  notify,
  type ActorFields,
  type Effect,
  type Handler as HandlerRow,
} from './support/machine-test-kit.js';

// Pure unit tests for the milestone machine, version 2 (docs/concepts.md "Milestone", stages of "disputed"): version 1's
// rules unchanged, plus the Dispute Resolution Service. Every allowed and every refused transition per role,
// every guard both ways. Snapshots are reached by driving real events from initialTransition; the one
// exception (a guard branch no event sequence can reach) says so where it builds its snapshot.

type Snapshot = SnapshotFrom<typeof milestoneMachineV2>;
type EventType = MilestoneEventV2['type'];
type Party = 'employer' | 'freelancer';

/** A state as a flat key: top-level name, or `disputed.<stage>`. */
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
  | 'abandoned'
  | 'disputed.awaiting_response'
  | 'disputed.negotiation'
  | 'disputed.arbitration_pending'
  | 'disputed.arbitration'
  | 'resolving'
  | 'resolution_failed'
  | 'resolved';

const EMPLOYER = 'user-employer';
const FREELANCER = 'user-freelancer';
const OUTSIDER = 'user-outsider';
const SUPPORT = 'user-support';

const DAY_MS = 24 * 60 * 60 * 1000;
// Distinct values, so a test can tell which rule a delay came from.
const RULES: DisputeRules = {
  freelancerResponseMs: 4 * DAY_MS,
  employerResponseMs: 14 * DAY_MS,
  arbitrationFeeMs: 7 * DAY_MS,
  arbitrationFee: '2500',
};

const input: MilestoneInputV2 = {
  id: 'milestone-1',
  projectId: 'project-1',
  employerId: EMPLOYER,
  freelancerId: FREELANCER,
  currency: 'USD',
  disputeRules: RULES,
};

/**
 * Who sends an event. `support` is a support-scoped user who is no party; `impostor` claims the system's name
 * but lacks the flag only the engine sets.
 */
type Sender = 'employer' | 'freelancer' | 'system' | 'support' | 'outsider' | 'impostor';
const actorFields: Record<Sender, ActorFields> = {
  employer: { actor: EMPLOYER },
  freelancer: { actor: FREELANCER },
  system: { actor: 'system', system: true },
  support: { actor: SUPPORT, support: true },
  outsider: { actor: OUTSIDER },
  impostor: { actor: 'system' },
};

/** The roles docs/concepts.md lets send each event (a stage may narrow it further: respondent, filer, non-payer). */
const SENDERS_OF: Record<EventType, readonly Sender[]> = {
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
  OPEN_DISPUTE: ['employer', 'freelancer'],
  RESPOND: ['employer', 'freelancer'],
  MAKE_OFFER: ['employer', 'freelancer'],
  ACCEPT_OFFER: ['employer', 'freelancer'],
  WITHDRAW_DISPUTE: ['employer', 'freelancer'],
  PAY_ARBITRATION_FEE: ['employer', 'freelancer'],
  SUBMIT_EVIDENCE: ['employer', 'freelancer'],
  RULE: ['support'],
  RETRY_SETTLEMENT: ['support'],
  RESPONSE_TIMEOUT: ['system'],
  ARBITRATION_FEE_TIMEOUT: ['system'],
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
  OPEN_DISPUTE: { reason: 'Work not delivered', offer: '30' },
  RESPOND: { offer: '80' },
  MAKE_OFFER: { amountToFreelancer: '50' },
  ACCEPT_OFFER: {},
  WITHDRAW_DISPUTE: {},
  PAY_ARBITRATION_FEE: {},
  SUBMIT_EVIDENCE: { text: 'Screenshot of the delivered files' },
  RULE: { amountToFreelancer: '50' },
  RETRY_SETTLEMENT: {},
  RESPONSE_TIMEOUT: {},
  ARBITRATION_FEE_TIMEOUT: {},
};

const {
  SENDERS,
  EVENT_TYPES,
  ev,
  start,
  send,
  drive,
  reached,
  stateOf,
  expectRefused,
  armTimer,
  firedTimer,
  describeRoleTables,
} = machineTestKit({
  machine: milestoneMachineV2,
  input,
  actorFields,
  sendersOf: SENDERS_OF,
  defaultPayload,
  stateOf: flatState,
});

const other = (p: Party): Party => (p === 'employer' ? 'freelancer' : 'employer');
const PARTIES: readonly Party[] = ['employer', 'freelancer'];

function dispute(snapshot: Snapshot): NonNullable<MilestoneContextV2['dispute']> {
  const d = snapshot.context.dispute;
  if (d === null) throw new Error(`fixture: no dispute in ${JSON.stringify(snapshot.value)}`);
  return d;
}

const remaining = (s: Snapshot): bigint => BigInt(s.context.amount) - BigInt(s.context.releasedAmount);

// ---------------------------------------------------------------------------------------------------------
// Fixtures. Canonical dispute: the employer files offering 30 of 100, the freelancer responds with 80, the
// employer pays the arbitration fee first.

const OFFER: Record<Party, string> = { employer: '30', freelancer: '80' };

function inProgress(amount = '100'): Snapshot {
  return drive(start(), ev('CREATE', 'employer', { amount }), ev('SETTLED'));
}

/** in_progress with `released` of `amount` already paid out by a settled partial release. */
function partlyReleased(released: string, amount = '100'): Snapshot {
  return drive(inProgress(amount), ev('RELEASE', 'employer', { amount: released }), ev('SETTLED'));
}

function awaitingResponse(
  filer: Party = 'employer',
  offer: string = OFFER[filer],
  from: Snapshot = inProgress(),
): Snapshot {
  return drive(from, ev('OPEN_DISPUTE', filer, { offer }));
}

function negotiating(filer: Party = 'employer', from: Snapshot = awaitingResponse(filer)): Snapshot {
  return drive(from, ev('RESPOND', other(filer), { offer: OFFER[other(filer)] }));
}

function feePending(filer: Party = 'employer', payer: Party = 'employer'): Snapshot {
  return drive(negotiating(filer), ev('PAY_ARBITRATION_FEE', payer));
}

function inArbitration(filer: Party = 'employer', firstPayer: Party = 'employer'): Snapshot {
  return drive(feePending(filer, firstPayer), ev('PAY_ARBITRATION_FEE', other(firstPayer)));
}

function resolvingByTimeout(): Snapshot {
  return drive(awaitingResponse(), ev('RESPONSE_TIMEOUT'));
}

const PATH_TO_V1: Record<string, readonly EventType[]> = {
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

const byPath = (state: string) => () => drive(start(), ...(PATH_TO_V1[state] ?? []).map((type) => ev(type)));

/** One representative snapshot of each state, reached by real events. */
const AT: Record<State, () => Snapshot> = {
  draft: byPath('draft'),
  requested: byPath('requested'),
  funding: byPath('funding'),
  funding_failed: byPath('funding_failed'),
  in_progress: byPath('in_progress'),
  releasing: byPath('releasing'),
  cancelling: byPath('cancelling'),
  released: byPath('released'),
  cancelled: byPath('cancelled'),
  rejected: byPath('rejected'),
  deleted: byPath('deleted'),
  abandoned: byPath('abandoned'),
  'disputed.awaiting_response': () => awaitingResponse(),
  'disputed.negotiation': () => negotiating(),
  'disputed.arbitration_pending': () => feePending(),
  'disputed.arbitration': () => inArbitration(),
  resolving: resolvingByTimeout,
  resolution_failed: () => drive(resolvingByTimeout(), ev('SETTLEMENT_FAILED')),
  resolved: () => drive(resolvingByTimeout(), ev('SETTLED')),
};
const STATES = Object.keys(AT) as State[];
const FINAL_STATES: readonly State[] = ['released', 'cancelled', 'rejected', 'deleted', 'abandoned', 'resolved'];
const DISPUTE_STAGES: readonly State[] = [
  'disputed.awaiting_response',
  'disputed.negotiation',
  'disputed.arbitration_pending',
  'disputed.arbitration',
];

const at = (state: State): Snapshot => reached(state, AT[state]());

const split = (fields: {
  amount?: string;
  amountToFreelancer: string;
  amountToEmployer: string;
  decidedBy: string;
  feeRefunds?: Party[];
  feeForfeits?: Party[];
}): Effect => ({
  type: 'requestSettlement',
  params: {
    kind: 'split',
    amount: fields.amount ?? '100',
    amountToFreelancer: fields.amountToFreelancer,
    amountToEmployer: fields.amountToEmployer,
    decidedBy: fields.decidedBy,
    feeRefunds: fields.feeRefunds ?? [],
    feeForfeits: fields.feeForfeits ?? [],
    arbitrationFee: RULES.arbitrationFee,
  },
});

const holdFee = (payer: Party): Effect => ({
  type: 'holdArbitrationFee',
  params: { payer, amount: RULES.arbitrationFee },
});

// ---------------------------------------------------------------------------------------------------------
// Every handled event: allowed for its senders, refused for every other sender.

type Handler = HandlerRow<State, EventType, Sender, Snapshot>;

const withCancelRequested = (): Snapshot => drive(inProgress(), ev('REQUEST_CANCEL'));

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
  { state: 'in_progress', event: 'OPEN_DISPUTE', to: 'disputed.awaiting_response' },
  { state: 'releasing', event: 'SETTLED', to: 'released' },
  { state: 'releasing', event: 'SETTLEMENT_FAILED', to: 'in_progress' },
  { state: 'cancelling', event: 'SETTLED', to: 'cancelled' },
  { state: 'cancelling', event: 'SETTLEMENT_FAILED', to: 'in_progress' },
  // The canonical dispute was filed by the employer: the freelancer responds, the employer may withdraw.
  { state: 'disputed.awaiting_response', event: 'SUBMIT_EVIDENCE', to: 'disputed.awaiting_response' },
  { state: 'disputed.awaiting_response', event: 'RESPOND', to: 'disputed.negotiation', by: ['freelancer'] },
  { state: 'disputed.awaiting_response', event: 'WITHDRAW_DISPUTE', to: 'in_progress', by: ['employer'] },
  { state: 'disputed.awaiting_response', event: 'RESPONSE_TIMEOUT', to: 'resolving' },
  { state: 'disputed.negotiation', event: 'SUBMIT_EVIDENCE', to: 'disputed.negotiation' },
  { state: 'disputed.negotiation', event: 'MAKE_OFFER', to: 'disputed.negotiation' },
  { state: 'disputed.negotiation', event: 'ACCEPT_OFFER', to: 'resolving' },
  { state: 'disputed.negotiation', event: 'WITHDRAW_DISPUTE', to: 'in_progress', by: ['employer'] },
  { state: 'disputed.negotiation', event: 'PAY_ARBITRATION_FEE', to: 'disputed.arbitration_pending' },
  // The employer paid first: only the freelancer may still pay.
  { state: 'disputed.arbitration_pending', event: 'SUBMIT_EVIDENCE', to: 'disputed.arbitration_pending' },
  { state: 'disputed.arbitration_pending', event: 'MAKE_OFFER', to: 'disputed.arbitration_pending' },
  { state: 'disputed.arbitration_pending', event: 'ACCEPT_OFFER', to: 'resolving' },
  {
    state: 'disputed.arbitration_pending',
    event: 'PAY_ARBITRATION_FEE',
    to: 'disputed.arbitration',
    by: ['freelancer'],
  },
  { state: 'disputed.arbitration_pending', event: 'ARBITRATION_FEE_TIMEOUT', to: 'resolving' },
  { state: 'disputed.arbitration', event: 'RULE', to: 'resolving' },
  { state: 'resolving', event: 'SETTLED', to: 'resolved' },
  { state: 'resolving', event: 'SETTLEMENT_FAILED', to: 'resolution_failed' },
  { state: 'resolution_failed', event: 'RETRY_SETTLEMENT', to: 'resolving' },
];

describeRoleTables('milestone v2', { states: STATES, handlers: HANDLERS, at, acceptedMakesNewSnapshot: true });

// ---------------------------------------------------------------------------------------------------------
// Version 1's rules still hold.

interface V1Row {
  rule: string;
  from: () => Snapshot;
  event: MilestoneEventV2;
  to: State;
  effects: Effect[];
}

const V1_ROWS: readonly V1Row[] = [
  {
    rule: 'REQUEST from the freelancer tells the project and notifies the employer',
    from: start,
    event: ev('REQUEST', 'freelancer', { amount: '700' }),
    to: 'requested',
    effects: [
      { type: 'informProject', params: { type: 'MILESTONE_REQUESTED' } },
      notify('employer', 'milestone.requested'),
    ],
  },
  {
    rule: 'ACCEPT_REQUEST opens the milestone and asks to fund it',
    from: byPath('requested'),
    event: ev('ACCEPT_REQUEST'),
    to: 'funding',
    effects: [
      { type: 'informProject', params: { type: 'MILESTONE_OPENED' } },
      { type: 'requestSettlement', params: { kind: 'fund', amount: '100' } },
    ],
  },
  {
    rule: 'REJECT_REQUEST ends the request and notifies the freelancer',
    from: byPath('requested'),
    event: ev('REJECT_REQUEST'),
    to: 'rejected',
    effects: [notify('freelancer', 'milestone.request_rejected')],
  },
  {
    rule: 'DELETE_REQUEST ends the request',
    from: byPath('requested'),
    event: ev('DELETE_REQUEST'),
    to: 'deleted',
    effects: [],
  },
  {
    rule: 'CREATE opens the milestone and asks to fund it',
    from: start,
    event: ev('CREATE', 'employer', { amount: '2500' }),
    to: 'funding',
    effects: [
      { type: 'informProject', params: { type: 'MILESTONE_OPENED' } },
      { type: 'requestSettlement', params: { kind: 'fund', amount: '2500' } },
    ],
  },
  {
    rule: 'SETTLED in funding puts the milestone in progress',
    from: byPath('funding'),
    event: ev('SETTLED'),
    to: 'in_progress',
    effects: [notify('freelancer', 'milestone.funded')],
  },
  {
    rule: 'SETTLEMENT_FAILED in funding lands in funding_failed',
    from: byPath('funding'),
    event: ev('SETTLEMENT_FAILED'),
    to: 'funding_failed',
    effects: [notify('employer', 'milestone.funding_failed')],
  },
  {
    rule: 'FUND retries the funding',
    from: byPath('funding_failed'),
    event: ev('FUND'),
    to: 'funding',
    effects: [{ type: 'requestSettlement', params: { kind: 'fund', amount: '100' } }],
  },
  {
    rule: 'ABANDON closes the milestone on the project',
    from: byPath('funding_failed'),
    event: ev('ABANDON'),
    to: 'abandoned',
    effects: [{ type: 'informProject', params: { type: 'MILESTONE_CLOSED' } }],
  },
  {
    rule: 'a partial RELEASE asks to settle just that part',
    from: () => inProgress(),
    event: ev('RELEASE', 'employer', { amount: '40' }),
    to: 'releasing',
    effects: [{ type: 'requestSettlement', params: { kind: 'release', amount: '40' } }],
  },
  {
    rule: 'a settled partial release goes back to in_progress',
    from: () => drive(inProgress(), ev('RELEASE', 'employer', { amount: '40' })),
    event: ev('SETTLED'),
    to: 'in_progress',
    effects: [
      { type: 'informProject', params: { type: 'MILESTONE_RELEASED', amount: '40' } },
      notify('freelancer', 'milestone.partially_released'),
    ],
  },
  {
    rule: 'RELEASE without an amount asks to settle all that remains',
    from: () => partlyReleased('40'),
    event: ev('RELEASE'),
    to: 'releasing',
    effects: [{ type: 'requestSettlement', params: { kind: 'release', amount: '60' } }],
  },
  {
    rule: 'a settled full release ends the milestone and closes it on the project',
    from: () => drive(inProgress(), ev('RELEASE')),
    event: ev('SETTLED'),
    to: 'released',
    effects: [
      { type: 'informProject', params: { type: 'MILESTONE_RELEASED', amount: '100' } },
      { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
      notify('freelancer', 'milestone.released'),
    ],
  },
  {
    rule: 'a failed release goes back to in_progress',
    from: byPath('releasing'),
    event: ev('SETTLEMENT_FAILED'),
    to: 'in_progress',
    effects: [notify('employer', 'milestone.release_failed')],
  },
  {
    rule: 'REQUEST_RELEASE notifies the employer',
    from: () => inProgress(),
    event: ev('REQUEST_RELEASE'),
    to: 'in_progress',
    effects: [notify('employer', 'milestone.release_requested')],
  },
  {
    rule: 'REQUEST_CANCEL notifies the freelancer',
    from: () => inProgress(),
    event: ev('REQUEST_CANCEL'),
    to: 'in_progress',
    effects: [notify('freelancer', 'milestone.cancel_requested')],
  },
  {
    rule: 'REJECT_CANCEL notifies the employer',
    from: withCancelRequested,
    event: ev('REJECT_CANCEL'),
    to: 'in_progress',
    effects: [notify('employer', 'milestone.cancel_rejected')],
  },
  {
    rule: 'CANCEL asks to return all that remains',
    from: () => partlyReleased('40'),
    event: ev('CANCEL'),
    to: 'cancelling',
    effects: [{ type: 'requestSettlement', params: { kind: 'cancel', amount: '60' } }],
  },
  {
    rule: 'a settled cancel ends the milestone and closes it on the project',
    from: byPath('cancelling'),
    event: ev('SETTLED'),
    to: 'cancelled',
    effects: [
      { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
      notify('employer', 'milestone.cancelled'),
    ],
  },
  {
    rule: 'a failed cancel goes back to in_progress',
    from: byPath('cancelling'),
    event: ev('SETTLEMENT_FAILED'),
    to: 'in_progress',
    effects: [notify('freelancer', 'milestone.cancel_failed')],
  },
];

describe('milestone v2: version 1 behaviour still holds', () => {
  it('starts in draft with version 1 context, the dispute rules from input and no dispute', () => {
    const snapshot = start();
    expect(snapshot.value).toBe('draft');
    expect(snapshot.context).toEqual({
      ...input,
      amount: '0',
      releasedAmount: '0',
      description: '',
      releaseRequested: false,
      cancelRequested: false,
      cancelReason: null,
      pendingRelease: null,
      lastSettlementFailure: null,
      dispute: null,
    });
  });

  for (const { rule, from, event, to, effects } of V1_ROWS) {
    it(rule, () => {
      const [next, actual] = send(from(), event);
      expect(stateOf(next)).toBe(to);
      expect(actual).toEqual(effects);
    });
  }

  it.each([
    ['RELEASE of 0', () => inProgress(), ev('RELEASE', 'employer', { amount: '0' })],
    ['RELEASE of one more than the amount', () => inProgress(), ev('RELEASE', 'employer', { amount: '101' })],
    ['RELEASE of one more than what remains', () => partlyReleased('40'), ev('RELEASE', 'employer', { amount: '61' })],
    ['a second REQUEST_RELEASE', () => drive(inProgress(), ev('REQUEST_RELEASE')), ev('REQUEST_RELEASE')],
    ['a second REQUEST_CANCEL', withCancelRequested, ev('REQUEST_CANCEL')],
    ['REJECT_CANCEL with no cancel requested', () => inProgress(), ev('REJECT_CANCEL')],
  ] as const)('still refuses %s', (_label, from, event) => {
    expectRefused(from(), event);
  });

  // The same event sequences through both versions give the same states, effects and (v1) context.
  const PATHS: ReadonlyArray<readonly MilestoneEventV2[]> = [
    [ev('REQUEST'), ev('ACCEPT_REQUEST'), ev('SETTLED'), ev('RELEASE')],
    [ev('CREATE'), ev('SETTLEMENT_FAILED'), ev('FUND'), ev('SETTLED'), ev('REQUEST_RELEASE')],
    [
      ev('CREATE'),
      ev('SETTLED'),
      ev('RELEASE', 'employer', { amount: '40' }),
      ev('SETTLED'),
      ev('RELEASE'),
      ev('SETTLED'),
    ],
    [
      ev('CREATE'),
      ev('SETTLED'),
      ev('REQUEST_CANCEL'),
      ev('REJECT_CANCEL'),
      ev('CANCEL'),
      ev('SETTLEMENT_FAILED'),
      ev('CANCEL'),
      ev('SETTLED'),
    ],
  ];

  for (const path of PATHS) {
    it(`matches version 1 step by step on ${path.map((e) => e.type).join(' → ')}`, () => {
      const { disputeRules: _rules, ...v1Input } = input;
      let v1: SnapshotFrom<typeof milestoneMachineV1> = initialTransition(
        milestoneMachineV1,
        v1Input satisfies MilestoneInput,
      )[0];
      let v2 = start();
      for (const event of path) {
        const [n1, a1] = transition(milestoneMachineV1, v1, event as MilestoneEvent);
        const [n2, a2] = transition(milestoneMachineV2, v2, event);
        expect(n1, `v1 accepts ${event.type}`).not.toBe(v1);
        expect(n2.value, event.type).toEqual(n1.value);
        expect(n2.status).toBe(n1.status);
        expect(effectsOf(a2), event.type).toEqual(effectsOf(a1));
        const { disputeRules: _r, dispute: _d, ...v2Context } = n2.context;
        expect(v2Context, event.type).toEqual(n1.context);
        v1 = n1;
        v2 = n2;
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// OPEN_DISPUTE.

describe('milestone v2: OPEN_DISPUTE', () => {
  for (const filer of PARTIES) {
    for (const offer of ['0', '1', '99', '100']) {
      it(`accepts OPEN_DISPUTE from the ${filer} offering ${offer} of 100`, () => {
        const [next] = send(inProgress(), ev('OPEN_DISPUTE', filer, { offer }));
        expect(next.value).toEqual({ disputed: 'awaiting_response' });
        expect(dispute(next).offers[filer]).toBe(offer);
      });
    }

    it(`refuses OPEN_DISPUTE from the ${filer} offering one more than the amount`, () => {
      expectRefused(inProgress(), ev('OPEN_DISPUTE', filer, { offer: '101' }));
    });

    it(`after a partial release of 40, accepts an offer of the remaining 60 from the ${filer} and refuses 61`, () => {
      const snapshot = partlyReleased('40');
      expect(remaining(snapshot)).toBe(60n);
      expect(snapshot.can(ev('OPEN_DISPUTE', filer, { offer: '60' }))).toBe(true);
      expectRefused(snapshot, ev('OPEN_DISPUTE', filer, { offer: '61' }));
    });
  }

  // docs/concepts.md: a settled dispute "splits the held amount"; a negative offer would pay the employer more than is
  // held. The payload schema refuses it at the HTTP edge; the machine's own guard must too (as RELEASE of 0 is).
  it('refuses OPEN_DISPUTE with a negative offer even if a payload check were bypassed', () => {
    expectRefused(inProgress(), ev('OPEN_DISPUTE', 'employer', { offer: '-1' }));
  });

  for (const by of ['system', 'support', 'outsider', 'impostor'] as const) {
    it(`refuses OPEN_DISPUTE from the ${by}`, () => {
      expectRefused(inProgress(), ev('OPEN_DISPUTE', by));
    });
  }

  for (const state of STATES.filter((s) => s !== 'in_progress')) {
    it(`refuses OPEN_DISPUTE in ${state} from either party`, () => {
      const snapshot = at(state);
      for (const party of PARTIES) expectRefused(snapshot, ev('OPEN_DISPUTE', party), `(${party})`);
    });
  }

  it('records the dispute filed by the employer, notifies the freelancer and gives them freelancerResponseMs', () => {
    const [next, effects] = send(
      inProgress(),
      ev('OPEN_DISPUTE', 'employer', { reason: 'Missed deadline', offer: '30' }),
    );
    expect(next.value).toEqual({ disputed: 'awaiting_response' });
    expect(next.context.dispute).toEqual({
      filedBy: 'employer',
      reason: 'Missed deadline',
      offers: { employer: '30', freelancer: null },
      evidence: [],
      feesPaid: [],
      outcome: null,
    });
    expect(effects).toEqual([
      notify('freelancer', 'milestone.dispute_opened'),
      armTimer('RESPONSE_TIMEOUT', 'response-deadline', RULES.freelancerResponseMs),
    ]);
  });

  it('records the dispute filed by the freelancer, notifies the employer and gives them employerResponseMs', () => {
    const [next, effects] = send(inProgress(), ev('OPEN_DISPUTE', 'freelancer', { reason: 'Not paid', offer: '80' }));
    expect(next.context.dispute).toEqual({
      filedBy: 'freelancer',
      reason: 'Not paid',
      offers: { employer: null, freelancer: '80' },
      evidence: [],
      feesPaid: [],
      outcome: null,
    });
    expect(effects).toEqual([
      notify('employer', 'milestone.dispute_opened'),
      armTimer('RESPONSE_TIMEOUT', 'response-deadline', RULES.employerResponseMs),
    ]);
  });

  it('takes the response deadline from the instance rules, not from constants', () => {
    const rules: DisputeRules = {
      freelancerResponseMs: 1234,
      employerResponseMs: 5678,
      arbitrationFeeMs: 91,
      arbitrationFee: '7',
    };
    const custom = initialTransition(milestoneMachineV2, { ...input, disputeRules: rules })[0];
    const funded = drive(custom, ev('CREATE'), ev('SETTLED'));
    const [, byEmployer] = send(funded, ev('OPEN_DISPUTE', 'employer'));
    const [, byFreelancer] = send(funded, ev('OPEN_DISPUTE', 'freelancer'));
    expect(byEmployer).toContainEqual(armTimer('RESPONSE_TIMEOUT', 'response-deadline', 1234));
    expect(byFreelancer).toContainEqual(armTimer('RESPONSE_TIMEOUT', 'response-deadline', 5678));
  });

  it('keeps the milestone holding funds and not settling while disputed', () => {
    const snapshot = awaitingResponse();
    expect(snapshot.hasTag('holds_funds')).toBe(true);
    expect(snapshot.hasTag('settling')).toBe(false);
    expect(snapshot.status).toBe('active');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Stage 1: awaiting_response.

describe('milestone v2: RESPOND (isRespondent, proposalWithinRemaining)', () => {
  for (const filer of PARTIES) {
    const respondent = other(filer);

    it(`refuses RESPOND from the ${filer}, who filed`, () => {
      expectRefused(awaitingResponse(filer), ev('RESPOND', filer, { offer: '50' }));
    });

    for (const offer of ['0', '100']) {
      it(`accepts RESPOND from the ${respondent} offering ${offer} when the ${filer} filed`, () => {
        const [next] = send(awaitingResponse(filer), ev('RESPOND', respondent, { offer }));
        expect(next.value).toEqual({ disputed: 'negotiation' });
        expect(dispute(next).offers).toEqual({ [filer]: OFFER[filer], [respondent]: offer });
      });
    }

    it(`refuses RESPOND from the ${respondent} offering one more than the amount`, () => {
      expectRefused(awaitingResponse(filer), ev('RESPOND', respondent, { offer: '101' }));
    });

    it(`moves to negotiation, cancels the response deadline and notifies the ${filer}`, () => {
      const [next, effects] = send(awaitingResponse(filer), ev('RESPOND', respondent, { offer: '55' }));
      expect(next.value).toEqual({ disputed: 'negotiation' });
      expect(effects).toEqual([cancelTimer('response-deadline'), notify(filer, 'milestone.dispute_responded')]);
    });
  }

  it('after a partial release of 40, accepts a response of 60 and refuses 61', () => {
    const snapshot = awaitingResponse('employer', '10', partlyReleased('40'));
    expect(snapshot.can(ev('RESPOND', 'freelancer', { offer: '60' }))).toBe(true);
    expectRefused(snapshot, ev('RESPOND', 'freelancer', { offer: '61' }));
  });

  it('refuses RESPOND with a negative offer even if a payload check were bypassed', () => {
    expectRefused(awaitingResponse('employer'), ev('RESPOND', 'freelancer', { offer: '-1' }));
  });

  it('refuses RESPOND once the dispute is past awaiting_response', () => {
    expectRefused(negotiating('employer'), ev('RESPOND', 'freelancer', { offer: '50' }));
  });
});

describe('milestone v2: RESPONSE_TIMEOUT', () => {
  for (const filer of PARTIES) {
    it(`settles in the ${filer}'s favour: the filer's offer is applied, no fees involved`, () => {
      const offer = OFFER[filer];
      const [next, effects] = send(awaitingResponse(filer), ev('RESPONSE_TIMEOUT'));
      expect(next.value).toBe('resolving');
      const amountToEmployer = (100n - BigInt(offer)).toString();
      expect(dispute(next).outcome).toEqual({
        amountToFreelancer: offer,
        amountToEmployer,
        decidedBy: 'response_timeout',
        feeRefunds: [],
        feeForfeits: [],
      });
      expect(effects).toEqual([
        cancelTimer('response-deadline'),
        split({ amountToFreelancer: offer, amountToEmployer, decidedBy: 'response_timeout' }),
      ]);
    });
  }

  it('splits only what remains after a partial release', () => {
    const snapshot = awaitingResponse('freelancer', '45', partlyReleased('40'));
    const [, effects] = send(snapshot, ev('RESPONSE_TIMEOUT'));
    expect(effects).toContainEqual(
      split({ amount: '60', amountToFreelancer: '45', amountToEmployer: '15', decidedBy: 'response_timeout' }),
    );
  });

  it('is accepted as the engine delivers the armed timer (its own event, with the system flag)', () => {
    const [armed, effects] = send(inProgress(), ev('OPEN_DISPUTE', 'employer'));
    const fired = firedTimer(effects, 'response-deadline');
    expect(fired.type).toBe('RESPONSE_TIMEOUT');
    const [next] = send(armed, fired);
    expect(next.value).toBe('resolving');
  });

  for (const by of ['employer', 'freelancer', 'support', 'outsider', 'impostor'] as const) {
    it(`refuses RESPONSE_TIMEOUT from the ${by}`, () => {
      expectRefused(awaitingResponse(), ev('RESPONSE_TIMEOUT', by));
    });
  }

  it('refuses a late RESPONSE_TIMEOUT once the respondent has responded', () => {
    expectRefused(negotiating(), ev('RESPONSE_TIMEOUT'));
  });
});

// ---------------------------------------------------------------------------------------------------------
// WITHDRAW_DISPUTE (isFiler).

describe('milestone v2: WITHDRAW_DISPUTE', () => {
  for (const filer of PARTIES) {
    it(`accepts WITHDRAW_DISPUTE from the ${filer} (filer) in awaiting_response, cancelling the response deadline`, () => {
      const [next, effects] = send(awaitingResponse(filer), ev('WITHDRAW_DISPUTE', filer));
      expect(next.value).toBe('in_progress');
      expect(next.context.dispute).toBeNull();
      expect(next.hasTag('holds_funds')).toBe(true);
      expect(effects).toEqual([cancelTimer('response-deadline')]);
    });

    it(`accepts WITHDRAW_DISPUTE from the ${filer} (filer) in negotiation`, () => {
      const [next, effects] = send(negotiating(filer), ev('WITHDRAW_DISPUTE', filer));
      expect(next.value).toBe('in_progress');
      expect(next.context.dispute).toBeNull();
      expect(effects).toEqual([]);
    });

    it(`refuses WITHDRAW_DISPUTE from the ${other(filer)} (respondent) in awaiting_response and negotiation`, () => {
      expectRefused(awaitingResponse(filer), ev('WITHDRAW_DISPUTE', other(filer)), '(awaiting_response)');
      expectRefused(negotiating(filer), ev('WITHDRAW_DISPUTE', other(filer)), '(negotiation)');
    });

    it(`refuses WITHDRAW_DISPUTE from the ${filer} (filer) once a fee is paid or arbitration started`, () => {
      for (const party of PARTIES) {
        expectRefused(feePending(filer, party), ev('WITHDRAW_DISPUTE', filer), `(arbitration_pending, ${party} paid)`);
      }
      expectRefused(inArbitration(filer), ev('WITHDRAW_DISPUTE', filer), '(arbitration)');
    });
  }

  it('leaves the milestone as it was: remaining unchanged, and a new dispute may be opened', () => {
    const before = partlyReleased('40');
    const withdrawn = drive(awaitingResponse('freelancer', '50', before), ev('WITHDRAW_DISPUTE', 'freelancer'));
    expect(withdrawn.context).toEqual(before.context);
    expect(withdrawn.can(ev('OPEN_DISPUTE', 'employer', { offer: '0' }))).toBe(true);
    expect(withdrawn.can(ev('RELEASE', 'employer', { amount: '60' }))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Stage 2: negotiation — offers and acceptance.

const OFFER_STAGES: ReadonlyArray<[string, () => Snapshot]> = [
  ['negotiation', () => negotiating()],
  ['arbitration_pending', () => feePending()],
];

describe('milestone v2: MAKE_OFFER (proposalWithinRemaining)', () => {
  for (const [stage, from] of OFFER_STAGES) {
    for (const party of PARTIES) {
      for (const amount of ['0', '100']) {
        it(`accepts MAKE_OFFER of ${amount} from the ${party} in ${stage}, recording it as their last offer`, () => {
          const before = from();
          const [next, effects] = send(before, ev('MAKE_OFFER', party, { amountToFreelancer: amount }));
          expect(stateOf(next)).toBe(stateOf(before));
          expect(dispute(next).offers).toEqual({ ...dispute(before).offers, [party]: amount });
          expect(effects).toEqual([]);
        });
      }

      it(`refuses MAKE_OFFER of one more than the amount from the ${party} in ${stage}`, () => {
        expectRefused(from(), ev('MAKE_OFFER', party, { amountToFreelancer: '101' }));
      });
    }
  }

  it('after a partial release of 40, accepts an offer of 60 and refuses 61', () => {
    const snapshot = drive(
      awaitingResponse('employer', '10', partlyReleased('40')),
      ev('RESPOND', 'freelancer', { offer: '50' }),
    );
    expect(snapshot.can(ev('MAKE_OFFER', 'employer', { amountToFreelancer: '60' }))).toBe(true);
    expectRefused(snapshot, ev('MAKE_OFFER', 'employer', { amountToFreelancer: '61' }));
  });

  it('refuses MAKE_OFFER of a negative amount even if a payload check were bypassed', () => {
    expectRefused(negotiating(), ev('MAKE_OFFER', 'employer', { amountToFreelancer: '-1' }));
  });
});

describe('milestone v2: ACCEPT_OFFER (otherSideHasOffered)', () => {
  for (const party of PARTIES) {
    it(`accepts the ${other(party)}'s last offer for the ${party} in negotiation: settled by agreement, no fees`, () => {
      const countered = drive(negotiating(), ev('MAKE_OFFER', other(party), { amountToFreelancer: '65' }));
      const [next, effects] = send(countered, ev('ACCEPT_OFFER', party));
      expect(next.value).toBe('resolving');
      expect(dispute(next).outcome).toEqual({
        amountToFreelancer: '65',
        amountToEmployer: '35',
        decidedBy: 'agreement',
        feeRefunds: [],
        feeForfeits: [],
      });
      expect(effects).toEqual([split({ amountToFreelancer: '65', amountToEmployer: '35', decidedBy: 'agreement' })]);
    });

    it(`accepts, for the ${party}, the ${other(party)}'s offer rather than their own`, () => {
      const [next] = send(negotiating(), ev('ACCEPT_OFFER', party));
      expect(dispute(next).outcome?.amountToFreelancer).toBe(OFFER[other(party)]);
    });
  }

  for (const payer of PARTIES) {
    it(`in arbitration_pending (the ${payer} paid), refunds the paid fee and cancels the fee deadline`, () => {
      const [next, effects] = send(feePending('employer', payer), ev('ACCEPT_OFFER', payer));
      expect(next.value).toBe('resolving');
      const accepted = OFFER[other(payer)];
      const amountToEmployer = (100n - BigInt(accepted)).toString();
      expect(effects).toEqual([
        cancelTimer('arbitration-fee-deadline'),
        split({ amountToFreelancer: accepted, amountToEmployer, decidedBy: 'agreement', feeRefunds: [payer] }),
      ]);
    });
  }

  it('every reachable negotiation has an offer from both sides (OPEN_DISPUTE and RESPOND each carry one)', () => {
    for (const filer of PARTIES) {
      const offers = dispute(negotiating(filer)).offers;
      expect(offers.employer).not.toBeNull();
      expect(offers.freelancer).not.toBeNull();
    }
  });

  // No event sequence leaves a side without an offer in negotiation, so this guard branch needs a hand-built
  // snapshot: the real negotiation snapshot with the freelancer's offer taken out.
  it('refuses ACCEPT_OFFER when the other side has no offer (hand-built snapshot)', () => {
    const real = negotiating('employer');
    const d = dispute(real);
    const snapshot = milestoneMachineV2.resolveState({
      value: { disputed: 'negotiation' },
      context: { ...real.context, dispute: { ...d, offers: { employer: '30', freelancer: null } } },
    });
    expectRefused(snapshot, ev('ACCEPT_OFFER', 'employer'), '(employer)');
    expect(snapshot.can(ev('ACCEPT_OFFER', 'freelancer'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Stage 3: arbitration_pending — fees.

describe('milestone v2: PAY_ARBITRATION_FEE (hasNotPaidFee)', () => {
  for (const payer of PARTIES) {
    it(`first fee from the ${payer}: holds it, notifies the ${other(payer)} and arms the fee deadline`, () => {
      const [next, effects] = send(negotiating(), ev('PAY_ARBITRATION_FEE', payer));
      expect(next.value).toEqual({ disputed: 'arbitration_pending' });
      expect(dispute(next).feesPaid).toEqual([payer]);
      expect(effects).toEqual([
        holdFee(payer),
        notify(other(payer), 'milestone.arbitration_fee_due'),
        armTimer('ARBITRATION_FEE_TIMEOUT', 'arbitration-fee-deadline', RULES.arbitrationFeeMs),
      ]);
    });

    it(`refuses a second fee from the ${payer}`, () => {
      expectRefused(feePending('employer', payer), ev('PAY_ARBITRATION_FEE', payer));
    });

    it(`the ${other(payer)}'s fee starts arbitration, cancels the fee deadline and holds the fee`, () => {
      const [next, effects] = send(feePending('employer', payer), ev('PAY_ARBITRATION_FEE', other(payer)));
      expect(next.value).toEqual({ disputed: 'arbitration' });
      expect(dispute(next).feesPaid).toEqual([payer, other(payer)]);
      expect(effects).toEqual([cancelTimer('arbitration-fee-deadline'), holdFee(other(payer))]);
    });
  }

  it('refuses PAY_ARBITRATION_FEE before the respondent has responded and once arbitration started', () => {
    for (const party of PARTIES) {
      expectRefused(awaitingResponse(), ev('PAY_ARBITRATION_FEE', party), `(awaiting_response, ${party})`);
      expectRefused(inArbitration(), ev('PAY_ARBITRATION_FEE', party), `(arbitration, ${party})`);
    }
  });
});

describe('milestone v2: ARBITRATION_FEE_TIMEOUT', () => {
  for (const filer of PARTIES) {
    for (const payer of PARTIES) {
      it(`${filer} filed, the ${payer} paid: the payer wins with their own offer and gets the fee back`, () => {
        const [next, effects] = send(feePending(filer, payer), ev('ARBITRATION_FEE_TIMEOUT'));
        expect(next.value).toBe('resolving');
        const offer = OFFER[payer];
        const amountToEmployer = (100n - BigInt(offer)).toString();
        expect(dispute(next).outcome).toEqual({
          amountToFreelancer: offer,
          amountToEmployer,
          decidedBy: 'fee_timeout',
          feeRefunds: [payer],
          feeForfeits: [],
        });
        expect(effects).toEqual([
          cancelTimer('arbitration-fee-deadline'),
          split({ amountToFreelancer: offer, amountToEmployer, decidedBy: 'fee_timeout', feeRefunds: [payer] }),
        ]);
      });
    }
  }

  it("applies the payer's latest offer, made while waiting for the other fee", () => {
    const revised = drive(
      feePending('employer', 'freelancer'),
      ev('MAKE_OFFER', 'freelancer', { amountToFreelancer: '70' }),
    );
    const [next] = send(revised, ev('ARBITRATION_FEE_TIMEOUT'));
    expect(dispute(next).outcome?.amountToFreelancer).toBe('70');
  });

  it('is accepted as the engine delivers the armed timer', () => {
    const [armed, effects] = send(negotiating(), ev('PAY_ARBITRATION_FEE', 'employer'));
    const [next] = send(armed, firedTimer(effects, 'arbitration-fee-deadline'));
    expect(next.value).toBe('resolving');
  });

  for (const by of ['employer', 'freelancer', 'support', 'outsider', 'impostor'] as const) {
    it(`refuses ARBITRATION_FEE_TIMEOUT from the ${by}`, () => {
      expectRefused(feePending(), ev('ARBITRATION_FEE_TIMEOUT', by));
    });
  }

  it('refuses a late ARBITRATION_FEE_TIMEOUT once both fees are paid', () => {
    expectRefused(inArbitration(), ev('ARBITRATION_FEE_TIMEOUT'));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Stage 4: arbitration — RULE.

describe('milestone v2: RULE', () => {
  it('accepts RULE from support in arbitration', () => {
    expect(inArbitration().can(ev('RULE', 'support'))).toBe(true);
  });

  for (const by of ['employer', 'freelancer', 'system', 'outsider', 'impostor'] as const) {
    it(`refuses RULE from the ${by}`, () => {
      expectRefused(inArbitration(), ev('RULE', by));
    });
  }

  for (const party of PARTIES) {
    it(`refuses RULE from the ${party} even when their token carries the support scope`, () => {
      expectRefused(inArbitration(), { ...ev('RULE', party), support: true });
    });
  }

  for (const state of STATES.filter((s) => s !== 'disputed.arbitration')) {
    it(`refuses RULE from support in ${state}`, () => {
      expectRefused(at(state), ev('RULE', 'support'));
    });
  }

  it('accepts a ruling of 0 and of everything, refuses one more than everything', () => {
    const snapshot = inArbitration();
    expect(snapshot.can(ev('RULE', 'support', { amountToFreelancer: '0' }))).toBe(true);
    expect(snapshot.can(ev('RULE', 'support', { amountToFreelancer: '100' }))).toBe(true);
    expectRefused(snapshot, ev('RULE', 'support', { amountToFreelancer: '101' }));
  });

  it('after a partial release of 40, accepts a ruling of 60 and refuses 61', () => {
    const filed = awaitingResponse('employer', '10', partlyReleased('40'));
    const arbitration = drive(
      filed,
      ev('RESPOND', 'freelancer', { offer: '50' }),
      ev('PAY_ARBITRATION_FEE', 'employer'),
      ev('PAY_ARBITRATION_FEE', 'freelancer'),
    );
    expect(arbitration.can(ev('RULE', 'support', { amountToFreelancer: '60' }))).toBe(true);
    expectRefused(arbitration, ev('RULE', 'support', { amountToFreelancer: '61' }));
  });

  it('refuses a negative ruling even if a payload check were bypassed', () => {
    expectRefused(inArbitration(), ev('RULE', 'support', { amountToFreelancer: '-1' }));
  });

  // Offers: employer 30, freelancer 80 (equidistant at 55). The party whose last offer is closer to the ruling
  // wins and gets its fee back; the loser's fee is kept. A tie refunds both.
  const RULINGS: ReadonlyArray<{ ruled: string; refunds: Party[]; forfeits: Party[] }> = [
    { ruled: '0', refunds: ['employer'], forfeits: ['freelancer'] },
    { ruled: '30', refunds: ['employer'], forfeits: ['freelancer'] },
    { ruled: '54', refunds: ['employer'], forfeits: ['freelancer'] },
    { ruled: '55', refunds: ['employer', 'freelancer'], forfeits: [] },
    { ruled: '56', refunds: ['freelancer'], forfeits: ['employer'] },
    { ruled: '80', refunds: ['freelancer'], forfeits: ['employer'] },
    { ruled: '100', refunds: ['freelancer'], forfeits: ['employer'] },
  ];

  for (const { ruled, refunds, forfeits } of RULINGS) {
    for (const firstPayer of PARTIES) {
      it(`ruling ${ruled} (offers 30/80, ${firstPayer} paid first) refunds [${refunds.join(', ')}] and keeps [${forfeits.join(', ')}]`, () => {
        const [next, effects] = send(
          inArbitration('employer', firstPayer),
          ev('RULE', 'support', { amountToFreelancer: ruled }),
        );
        expect(next.value).toBe('resolving');
        const outcome = dispute(next).outcome;
        expect(outcome?.decidedBy).toBe('ruling');
        expect(outcome?.amountToFreelancer).toBe(ruled);
        expect(outcome?.amountToEmployer).toBe((100n - BigInt(ruled)).toString());
        expect([...(outcome?.feeRefunds ?? [])].sort()).toEqual(refunds);
        expect([...(outcome?.feeForfeits ?? [])].sort()).toEqual(forfeits);
        expect(effects).toHaveLength(1);
        expect(effects[0]).toMatchObject({
          type: 'requestSettlement',
          params: { kind: 'split', amount: '100', decidedBy: 'ruling' },
        });
      });
    }
  }

  it('emits the whole split command for a ruling', () => {
    const [, effects] = send(
      inArbitration('freelancer', 'freelancer'),
      ev('RULE', 'support', { amountToFreelancer: '40' }),
    );
    expect(effects).toEqual([
      split({
        amountToFreelancer: '40',
        amountToEmployer: '60',
        decidedBy: 'ruling',
        feeRefunds: ['employer'],
        feeForfeits: ['freelancer'],
      }),
    ]);
  });

  it('judges closeness by each side’s last offer, including offers made while the fee was pending', () => {
    // Freelancer moves from 80 to 60; ruling 50: employer 20 away, freelancer 10 away → freelancer wins.
    const revised = drive(
      feePending('employer', 'employer'),
      ev('MAKE_OFFER', 'freelancer', { amountToFreelancer: '60' }),
      ev('PAY_ARBITRATION_FEE', 'freelancer'),
    );
    const [next] = send(revised, ev('RULE', 'support', { amountToFreelancer: '50' }));
    expect(dispute(next).outcome?.feeRefunds).toEqual(['freelancer']);
    expect(dispute(next).outcome?.feeForfeits).toEqual(['employer']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// SUBMIT_EVIDENCE.

describe('milestone v2: SUBMIT_EVIDENCE', () => {
  const EVIDENCE_STAGES: ReadonlyArray<[string, () => Snapshot]> = [
    ['awaiting_response', () => awaitingResponse()],
    ['negotiation', () => negotiating()],
    ['arbitration_pending', () => feePending()],
  ];

  for (const [stage, from] of EVIDENCE_STAGES) {
    it(`accepts evidence from both parties in ${stage}, in order, without changing stage or effects`, () => {
      const before = from();
      const [once, e1] = send(before, ev('SUBMIT_EVIDENCE', 'freelancer', { text: 'Delivery receipt' }));
      const [twice, e2] = send(once, ev('SUBMIT_EVIDENCE', 'employer', { text: 'Chat log' }));
      expect(stateOf(twice)).toBe(stateOf(before));
      expect(dispute(twice).evidence).toEqual([
        { by: 'freelancer', text: 'Delivery receipt' },
        { by: 'employer', text: 'Chat log' },
      ]);
      expect(e1).toEqual([]);
      expect(e2).toEqual([]);
    });

    for (const by of ['system', 'support', 'outsider', 'impostor'] as const) {
      it(`refuses evidence from the ${by} in ${stage}`, () => {
        expectRefused(from(), ev('SUBMIT_EVIDENCE', by));
      });
    }
  }

  it('refuses evidence from everyone once arbitration started', () => {
    const snapshot = inArbitration();
    for (const by of SENDERS) expectRefused(snapshot, ev('SUBMIT_EVIDENCE', by), `(${by})`);
  });

  it('keeps evidence across stages', () => {
    const withEvidence = drive(awaitingResponse(), ev('SUBMIT_EVIDENCE', 'employer', { text: 'Brief' }));
    const later = drive(
      withEvidence,
      ev('RESPOND', 'freelancer', { offer: '80' }),
      ev('PAY_ARBITRATION_FEE', 'employer'),
    );
    expect(dispute(later).evidence).toEqual([{ by: 'employer', text: 'Brief' }]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// resolving → resolved.

describe('milestone v2: resolving and resolved', () => {
  it('resolving carries the settling and holds_funds tags', () => {
    const snapshot = at('resolving');
    expect(snapshot.hasTag('settling')).toBe(true);
    expect(snapshot.hasTag('holds_funds')).toBe(true);
    expect(snapshot.status).toBe('active');
  });

  it('SETTLED ends the dispute: resolved, final, the freelancer share released and the milestone closed', () => {
    const [next, effects] = send(at('resolving'), ev('SETTLED'));
    expect(next.value).toBe('resolved');
    expect(next.status).toBe('done');
    expect(next.context.releasedAmount).toBe('30');
    expect(effects).toEqual([
      { type: 'informProject', params: { type: 'MILESTONE_RELEASED', amount: '30' } },
      { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
      notify('employer', 'milestone.dispute_resolved'),
      notify('freelancer', 'milestone.dispute_resolved'),
    ]);
  });

  it('adds the dispute share to what a partial release had already paid', () => {
    const resolving = drive(awaitingResponse('freelancer', '45', partlyReleased('40')), ev('RESPONSE_TIMEOUT'));
    const [next, effects] = send(resolving, ev('SETTLED'));
    expect(next.context.releasedAmount).toBe('85');
    expect(effects).toContainEqual({ type: 'informProject', params: { type: 'MILESTONE_RELEASED', amount: '45' } });
  });

  it('settles an agreement of 0 to the freelancer with nothing more released', () => {
    const agreed = drive(
      negotiating('employer'),
      ev('MAKE_OFFER', 'employer', { amountToFreelancer: '0' }),
      ev('ACCEPT_OFFER', 'freelancer'),
    );
    const [next] = send(agreed, ev('SETTLED'));
    expect(next.value).toBe('resolved');
    expect(next.context.releasedAmount).toBe('0');
  });

  it('refuses every user event while resolving', () => {
    const snapshot = at('resolving');
    for (const event of EVENT_TYPES) {
      for (const by of SENDERS.filter((s) => s !== 'system'))
        expectRefused(snapshot, ev(event, by), `(${event} from ${by})`);
    }
  });

  // docs/concepts.md: "`releasing` / `cancelling` / `resolving` — settlement in flight; the machine accepts nothing from
  // users until SETTLED (or SETTLEMENT_FAILED, which must land somewhere recoverable and visible)". The settlement
  // worker sends SETTLEMENT_FAILED when the ledger refuses a transfer, whatever the command's kind.
  it('accepts SETTLEMENT_FAILED in resolving and keeps the failure visible in a non-final state', () => {
    const snapshot = at('resolving');
    const e = ev('SETTLEMENT_FAILED', 'system', { reason: 'ledger refused' });
    expect(snapshot.can(e)).toBe(true);
    const [next] = transition(milestoneMachineV2, snapshot, e);
    expect(next).not.toBe(snapshot);
    expect(next.status).toBe('active');
    expect(next.context.lastSettlementFailure).toBe('ledger refused');
  });

  it('resolved carries neither tag', () => {
    const snapshot = at('resolved');
    expect(snapshot.hasTag('settling')).toBe(false);
    expect(snapshot.hasTag('holds_funds')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Tags and final states across all states.

describe('milestone v2: tags and status', () => {
  const SETTLING: readonly State[] = ['funding', 'releasing', 'cancelling', 'resolving'];
  const HOLDING: readonly State[] = [
    'in_progress',
    'releasing',
    'cancelling',
    ...DISPUTE_STAGES,
    'resolving',
    'resolution_failed',
  ];

  for (const state of STATES) {
    const settling = SETTLING.includes(state);
    const holding = HOLDING.includes(state);
    const status = FINAL_STATES.includes(state) ? 'done' : 'active';
    it(`${state}: settling ${settling}, holds_funds ${holding}, status ${status}`, () => {
      const snapshot = at(state);
      expect(snapshot.hasTag('settling')).toBe(settling);
      expect(snapshot.hasTag('holds_funds')).toBe(holding);
      expect(snapshot.status).toBe(status);
    });
  }
});

describe('milestone v2: a failed dispute settlement', () => {
  it('keeps the failure visible and lets support re-drive the same outcome', () => {
    const failed = at('resolution_failed');
    expect(failed.context.lastSettlementFailure).toBe('insufficient funds');
    const outcome = failed.context.dispute?.outcome;
    const [again, effects] = transition(milestoneMachineV2, failed, ev('RETRY_SETTLEMENT', 'support'));
    expect(again.value).toBe('resolving');
    expect(again.context.lastSettlementFailure).toBeNull();
    expect(effects).toEqual([
      expect.objectContaining({
        type: 'requestSettlement',
        params: expect.objectContaining({ kind: 'split', ...outcome }),
      }),
    ]);
  });
});
