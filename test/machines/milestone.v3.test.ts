import { describe, expect, it } from 'vitest';
import {
  initialTransition,
  transition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type SnapshotFrom,
} from 'xstate';
import { contextMigration } from '../../machines/migrations.js';
import {
  milestoneMachineV2,
  type DisputeRules,
  type MilestoneEventV2,
  type MilestoneInputV2,
} from '../../machines/milestone.v2.js';
import {
  milestoneMachineV3,
  milestoneV3,
  type MilestoneInputV3,
  type MilestoneLimits,
} from '../../machines/milestone.v3.js';
import { availableEvents } from '../../src/engine/availability.js';
import { restoreSnapshot } from '../../src/engine/snapshot.js';
import { candidates, hasEffect, judge } from '../../src/engine/guard-tree.js';
import { allTransitions } from '../../src/paths/transitions.js';

// Pure unit tests for the milestone machine, version 3 (issue 15 "bounded growth"): version 2's behaviour with
// caps on evidence per dispute (count and bytes), on cancel requests and on disputes per milestone, each a named
// rule reading the limits the instance recorded. Version 2's tests cover everything the two versions share; this
// file shows they share it (same transitions) and tests what version 3 adds.

type Snapshot = SnapshotFrom<typeof milestoneMachineV3>;
type Party = 'employer' | 'freelancer';

const EMPLOYER = 'user-employer';
const FREELANCER = 'user-freelancer';
const ACTOR: Record<Party, string> = { employer: EMPLOYER, freelancer: FREELANCER };

const RULES: DisputeRules = {
  freelancerResponseMs: 1000,
  employerResponseMs: 2000,
  arbitrationFeeMs: 3000,
  arbitrationFee: '0',
};
const LIMITS: MilestoneLimits = { evidencePerDispute: 3, evidenceBytesPerDispute: 100, cancelRequests: 2, disputes: 2 };

const inputV2: MilestoneInputV2 = {
  id: 'milestone-1',
  projectId: 'project-1',
  employerId: EMPLOYER,
  freelancerId: FREELANCER,
  currency: 'USD',
  disputeRules: RULES,
};
const inputWith = (limits: MilestoneLimits = LIMITS): MilestoneInputV3 => ({ ...inputV2, limits, platformFeeBps: 250 });

function ev(type: MilestoneEventV2['type'], by: Party | 'system', payload: object = {}): MilestoneEventV2 {
  const actor = by === 'system' ? { actor: 'system', system: true as const } : { actor: ACTOR[by] };
  return { type, ...payload, ...actor } as MilestoneEventV2;
}

/** Sends an event the fixture expects accepted: a refusal means the fixture is wrong. */
function send(snapshot: Snapshot, event: MilestoneEventV2): Snapshot {
  if (!snapshot.can(event)) throw new Error(`fixture: ${event.type} refused in ${JSON.stringify(snapshot.value)}`);
  return transition(milestoneMachineV3, snapshot, event)[0];
}

const drive = (s: Snapshot, ...events: MilestoneEventV2[]) => events.reduce(send, s);

function inProgress(limits: MilestoneLimits = LIMITS): Snapshot {
  const start = initialTransition(milestoneMachineV3, inputWith(limits))[0];
  return drive(start, ev('CREATE', 'employer', { amount: '100', description: 'Logo' }), ev('SETTLED', 'system'));
}

const openDispute = (s: Snapshot) => send(s, ev('OPEN_DISPUTE', 'employer', { reason: 'Late', offer: '10' }));
const evidence = (by: Party, text: string) => ev('SUBMIT_EVIDENCE', by, { text });

/** The refusal the engine would give (src/engine/refusal.ts): the failing rule's id, message and details. */
function refusal(snapshot: Snapshot, event: MilestoneEventV2) {
  expect(snapshot.can(event), `${event.type} should be refused`).toBe(false);
  const args = { context: snapshot.context, event };
  const [t] = candidates(snapshot as AnyMachineSnapshot, event.type).filter(hasEffect);
  const verdict = judge(t?.guard, milestoneV3.rules, args, 'evaluate');
  if (verdict.pass !== false) throw new Error(`no rule refuses ${event.type}`);
  const rule = milestoneV3.rules[verdict.rule]!;
  return { rule: rule.id, kind: rule.kind, message: rule.message(args), details: rule.details(args) };
}

const allowed = (s: Snapshot) =>
  availableEvents(milestoneV3, s as AnyMachineSnapshot, 'm', 'assumed').map((e) => e.type);

describe('milestone v3: version 2 with caps', () => {
  it('has exactly version 2 states and transitions', () => {
    expect(allTransitions(milestoneMachineV3).sort()).toEqual(allTransitions(milestoneMachineV2).sort());
  });

  it('has version 2 effects on the transitions it caps (notices, timers), beside its counting', () => {
    /** Each event's effects (notices, settlement, timers: context updates are not among them), as the engine gets them. */
    const effects = (machine: AnyStateMachine, input: object, events: MilestoneEventV2[]) => {
      let snapshot: AnyMachineSnapshot = initialTransition(machine, input)[0];
      return events.map((event) => {
        const [next, actions] = transition(machine, snapshot, event);
        snapshot = next;
        return actions.map((a) => ({ type: a.type, params: a.params }));
      });
    };
    const events = [
      ev('CREATE', 'employer', { amount: '100', description: 'Logo' }),
      ev('SETTLED', 'system'),
      ev('REQUEST_CANCEL', 'employer', { reason: 'Scope' }),
      ev('REJECT_CANCEL', 'freelancer'),
      ev('OPEN_DISPUTE', 'freelancer', { reason: 'Unpaid', offer: '90' }),
      evidence('freelancer', 'Invoice'),
      ev('RESPOND', 'employer', { offer: '10' }),
      evidence('employer', 'Chat log'),
    ];
    expect(effects(milestoneMachineV3, inputWith(), events)).toEqual(effects(milestoneMachineV2, inputV2, events));
  });

  it('records the limits of its input, and counts nothing yet', () => {
    const limits = { evidencePerDispute: 7, evidenceBytesPerDispute: 70, cancelRequests: 1, disputes: 9 };
    expect(inProgress(limits).context).toMatchObject({ limits, counts: { cancelRequests: 0, disputes: 0 } });
  });
});

describe('milestone v3: evidence per dispute', () => {
  it('keeps each piece as who sent it and its UTF-8 size, never its text', () => {
    const s = drive(openDispute(inProgress()), evidence('freelancer', 'Receipt'), evidence('employer', 'Café log'));
    expect(s.context.dispute?.evidence).toEqual([
      { by: 'freelancer', bytes: 7 },
      { by: 'employer', bytes: 9 }, // é is two bytes
    ]);
    expect(JSON.stringify(s.context)).not.toContain('Receipt');
  });

  it('refuses a piece past the count limit, naming evidence_count_limit with the count and the limit', () => {
    const full = drive(
      openDispute(inProgress()),
      evidence('freelancer', 'a'),
      evidence('employer', 'b'),
      evidence('freelancer', 'c'),
    );
    expect(refusal(full, evidence('employer', 'd'))).toEqual({
      rule: 'evidence_count_limit',
      kind: 'state',
      message: 'SUBMIT_EVIDENCE is refused: this dispute already holds 3 pieces of evidence, its limit of 3.',
      details: { count: 3, limit: 3 },
    });
    expect(allowed(full)).not.toContain('SUBMIT_EVIDENCE');
  });

  it('refuses a piece that would pass the byte limit, naming evidence_bytes_limit with the sizes', () => {
    const s = drive(openDispute(inProgress()), evidence('freelancer', 'x'.repeat(60)));
    expect(refusal(s, evidence('employer', 'é'.repeat(21)))).toEqual({
      rule: 'evidence_bytes_limit',
      kind: 'payload',
      message: "SUBMIT_EVIDENCE of 42 bytes would bring this dispute's evidence to 102 bytes, over its limit of 100.",
      details: { bytes: 42, total: 60, limit: 100 },
    });
    expect(allowed(s)).toContain('SUBMIT_EVIDENCE');
    // Exactly what is left fits; then nothing does, and availability says so without a payload.
    const full = send(s, evidence('employer', 'é'.repeat(20)));
    expect(full.context.dispute?.evidence.at(-1)).toEqual({ by: 'employer', bytes: 40 });
    expect(allowed(full)).not.toContain('SUBMIT_EVIDENCE');
    expect(refusal(full, evidence('freelancer', 'y'))).toMatchObject({
      rule: 'evidence_bytes_limit',
      details: { bytes: 1, total: 100, limit: 100 },
    });
  });

  it('applies the caps in every stage that takes evidence', () => {
    const fill = (s: Snapshot) =>
      drive(s, evidence('freelancer', 'a'), evidence('employer', 'b'), evidence('employer', 'c'));
    const awaiting = openDispute(inProgress());
    const negotiation = send(awaiting, ev('RESPOND', 'freelancer', { offer: '90' }));
    const arbitrationPending = send(negotiation, ev('PAY_ARBITRATION_FEE', 'employer'));
    for (const stage of [awaiting, negotiation, arbitrationPending]) {
      expect(refusal(fill(stage), evidence('freelancer', 'd')).rule, JSON.stringify(stage.value)).toBe(
        'evidence_count_limit',
      );
    }
  });

  it('gives each new dispute a fresh allowance', () => {
    const full = drive(
      openDispute(inProgress()),
      evidence('freelancer', 'a'),
      evidence('employer', 'b'),
      evidence('freelancer', 'c'),
    );
    const reopened = openDispute(send(full, ev('WITHDRAW_DISPUTE', 'employer')));
    expect(reopened.context.dispute?.evidence).toEqual([]);
    expect(reopened.can(evidence('freelancer', 'again'))).toBe(true);
  });
});

describe('milestone v3: cycles per milestone', () => {
  it('counts cancel requests and refuses one past the limit, naming cancel_request_limit', () => {
    const ask = ev('REQUEST_CANCEL', 'employer', { reason: 'Scope changed' });
    const reject = ev('REJECT_CANCEL', 'freelancer');
    const twice = drive(inProgress(), ask, reject, ask, reject);
    expect(twice.context.counts).toEqual({ cancelRequests: 2, disputes: 0 });
    expect(twice.context.cancelRequested).toBe(false);
    expect(refusal(twice, ask)).toEqual({
      rule: 'cancel_request_limit',
      kind: 'state',
      message: 'REQUEST_CANCEL is refused: 2 cancel requests have been made on this milestone, its limit of 2.',
      details: { count: 2, limit: 2 },
    });
    expect(allowed(twice)).not.toContain('REQUEST_CANCEL');
    // The freelancer can still cancel; nothing else is capped.
    expect(allowed(twice)).toEqual(expect.arrayContaining(['CANCEL', 'RELEASE', 'OPEN_DISPUTE']));
  });

  it('counts disputes and refuses one past the limit, naming dispute_limit', () => {
    const withdraw = ev('WITHDRAW_DISPUTE', 'employer');
    const once = send(openDispute(inProgress()), withdraw);
    const again = send(openDispute(once), withdraw);
    expect(again.context.counts).toEqual({ cancelRequests: 0, disputes: 2 });
    expect(refusal(again, ev('OPEN_DISPUTE', 'freelancer', { reason: 'Unpaid', offer: '100' }))).toEqual({
      rule: 'dispute_limit',
      kind: 'state',
      message: 'OPEN_DISPUTE is refused: 2 disputes have been opened on this milestone, its limit of 2.',
      details: { count: 2, limit: 2 },
    });
    expect(allowed(again)).not.toContain('OPEN_DISPUTE');
  });
});

describe('milestone 2 → 3 context migration', () => {
  const migrate = contextMigration('milestone', 2, 3)!;
  const v2InNegotiation = () => {
    const start = initialTransition(milestoneMachineV2, inputV2)[0];
    const steps = [
      ev('CREATE', 'employer', { amount: '100', description: 'Logo' }),
      ev('SETTLED', 'system'),
      ev('OPEN_DISPUTE', 'employer', { reason: 'Late', offer: '10' }),
      ...['one', 'two', 'thrée', 'four'].map((t) => evidence('freelancer', t)),
      ev('RESPOND', 'freelancer', { offer: '90' }),
    ];
    return steps.reduce((s, e) => transition(milestoneMachineV2, s, e)[0], start);
  };

  it('turns evidence texts into sizes, keeps every piece, and records the limits and the counts given', () => {
    const before = v2InNegotiation();
    const counts = { cancelRequests: 4, disputes: 1 };
    const context = migrate({ ...before.context }, { limits: LIMITS, counts, platformFeeBps: 250 });
    // As the migration command and replay restore it: the stored value with the migrated context.
    const after = restoreSnapshot(milestoneV3, { value: before.value, context, status: 'active' }) as Snapshot;
    expect(after.value).toEqual({ disputed: 'negotiation' });
    expect(after.context).toMatchObject({
      limits: LIMITS,
      counts,
      platformFeeBps: 250,
      amount: '100',
      disputeRules: RULES,
    });
    expect(() => migrate({ ...before.context }, { limits: LIMITS, counts })).toThrow(/platformFeeBps/);
    expect(after.context.dispute?.evidence).toEqual([
      { by: 'freelancer', bytes: 3 },
      { by: 'freelancer', bytes: 3 },
      { by: 'freelancer', bytes: 6 },
      { by: 'freelancer', bytes: 4 },
    ]);
    expect(after.context.dispute?.offers).toEqual({ employer: '10', freelancer: '90' });
    // More evidence than the cap: it keeps it all but can add no more; past cycles count against the caps.
    expect(refusal(after, evidence('employer', 'more'))).toMatchObject({
      rule: 'evidence_count_limit',
      details: { count: 4, limit: 3 },
    });
    expect(after.can(ev('MAKE_OFFER', 'employer', { amountToFreelancer: '50' }))).toBe(true);
  });

  it('needs the limits and the counts', () => {
    expect(() => migrate({ ...v2InNegotiation().context }, {})).toThrow(/limits/);
  });
});
