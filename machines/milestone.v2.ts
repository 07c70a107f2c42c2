import { and, cancel, raise, setup } from 'xstate';
import { z } from 'zod';
import type { MachineDefinition } from './definition.js';
import { milestonePayloads, milestoneStatesV1, pendingStatesV1 } from './milestone.v1.js';
import type { MilestoneEvent, MilestoneInput, SettlementKind } from './milestone.v1.js';
import type { MilestoneContext } from './milestone.v1.js';
import { initialMilestoneContext, milestoneRulesV1, milestoneUpdatesV1, remainingOf } from './milestone.v1.rules.js';
import {
  currentDispute,
  disputeDeadlines,
  disputeDelays,
  disputeTimers,
  milestoneEffectsV2,
  milestoneRolesV2,
  milestoneRulesV2,
  milestoneUpdatesV2,
  type MilestoneEventFieldsV2,
} from './milestone.v2.rules.js';
import { moneyString, text } from './payloads.js';
import { otherParty, partyOf, type ActorFields, type PartyRole } from './roles.js';
import { guardsOf } from './rules.js';
import { assignAll } from './updates.js';

export { milestoneRolesV2 } from './milestone.v2.rules.js';

// Milestone machine, version 2: version 1 plus the Dispute Resolution Service (docs/concepts.md "disputed").
// Every state and rule of version 1 is kept as it is (its states, rules and updates are reused, not copied),
// so a v1 instance migrated to v2 behaves the same until a dispute is opened.
//
// Stages: awaiting_response (respondent's deadline) → negotiation (offers, accept, withdraw) →
// arbitration_pending (one fee paid, the other party's deadline) → arbitration (support RULE) → resolving.
// An offer is always "amount to the freelancer", 0 … remaining; the rest goes back to the employer.

/** Durations and the arbitration fee an instance started with: configuration, fixed per instance. */
export interface DisputeRules {
  /** How long the freelancer has to respond to a dispute the employer filed (default 4 days). */
  freelancerResponseMs: number;
  /** How long the employer has to respond to a dispute the freelancer filed (default 14 days). */
  employerResponseMs: number;
  /** How long the other party has to match a paid arbitration fee (default 7 days). */
  arbitrationFeeMs: number;
  /** Arbitration fee per party, minor units of the milestone's currency. */
  arbitrationFee: string;
}

export interface DisputeOutcome {
  amountToFreelancer: string;
  amountToEmployer: string;
  decidedBy: 'agreement' | 'response_timeout' | 'fee_timeout' | 'ruling';
  /** Parties whose paid arbitration fee goes back to them, and whose fee the platform keeps. */
  feeRefunds: PartyRole[];
  feeForfeits: PartyRole[];
}

/** A piece of evidence as version 2 records it: its text, in the snapshot. */
export interface EvidenceText {
  by: PartyRole;
  text: string;
}

/**
 * A piece of evidence as version 3 records it: who sent it and its size in UTF-8 bytes. The text stays in the
 * SUBMIT_EVIDENCE history entry only, so the snapshot (rewritten on every event, read by every list) stays small.
 */
export interface EvidenceSize {
  by: PartyRole;
  bytes: number;
}

export interface Dispute {
  filedBy: PartyRole;
  reason: string;
  /** Each side's latest proposal of the amount to the freelancer. */
  offers: Record<PartyRole, string | null>;
  /** Version 2 appends EvidenceText, version 3 EvidenceSize (a migration 2→3 turns the one into the other). */
  evidence: (EvidenceText | EvidenceSize)[];
  /** Parties that paid the arbitration fee, in order. */
  feesPaid: PartyRole[];
  outcome: DisputeOutcome | null;
}

export interface MilestoneInputV2 extends MilestoneInput {
  disputeRules: DisputeRules;
}

export interface MilestoneContextV2 extends MilestoneContext {
  disputeRules: DisputeRules;
  dispute: Dispute | null;
}

type Ev<T extends string, P = object> = { type: T } & ActorFields & P;
export type MilestoneEventV2 =
  | MilestoneEvent
  | Ev<'OPEN_DISPUTE', { reason: string; offer: string }>
  | Ev<'RESPOND', { offer: string }>
  | Ev<'MAKE_OFFER', { amountToFreelancer: string }>
  | Ev<'ACCEPT_OFFER'>
  | Ev<'WITHDRAW_DISPUTE'>
  | Ev<'PAY_ARBITRATION_FEE'>
  | Ev<'SUBMIT_EVIDENCE', { text: string }>
  | Ev<'RULE', { amountToFreelancer: string }>
  | Ev<'RETRY_SETTLEMENT'>
  | Ev<'RESPONSE_TIMEOUT'>
  | Ev<'ARBITRATION_FEE_TIMEOUT'>;

export const milestonePayloadsV2 = {
  ...milestonePayloads,
  OPEN_DISPUTE: z.strictObject({ reason: text(2000), offer: moneyString }),
  RESPOND: z.strictObject({ offer: moneyString }),
  MAKE_OFFER: z.strictObject({ amountToFreelancer: moneyString }),
  ACCEPT_OFFER: z.strictObject({}),
  WITHDRAW_DISPUTE: z.strictObject({}),
  PAY_ARBITRATION_FEE: z.strictObject({}),
  SUBMIT_EVIDENCE: z.strictObject({ text: text(10_000) }),
  // The reason is the ruling's record (kept in the history with the event); the machine decides on the amount alone.
  RULE: z.strictObject({ amountToFreelancer: moneyString, reason: text(2000).optional() }),
  RETRY_SETTLEMENT: z.strictObject({}),
};

/** What the settlement worker is asked to do: version 1's kinds, plus the split that resolves a dispute. */
export type SettlementCommandV2 =
  | { kind: SettlementKind; amount: string }
  | ({ kind: 'split'; amount: string; arbitrationFee: string } & DisputeOutcome);

/** Every rule version 2 checks: version 1's, its own, and its own roles table behind actorMaySend. */
export const milestoneRulesOfV2 = { ...milestoneRulesV1, ...milestoneRulesV2 };

const { response, arbitrationFee } = disputeTimers;

// Version 2's states, typed with its base context and the event fields its rules read, for later versions to
// spread into their own machines (see machines/milestone.v1.ts).
const family = setup({
  types: { context: {} as MilestoneContextV2, events: {} as MilestoneEventFieldsV2 },
  guards: guardsOf(milestoneRulesOfV2),
  actions: {
    ...assignAll<MilestoneContextV2, MilestoneEventFieldsV2>()({ ...milestoneUpdatesV1, ...milestoneUpdatesV2 }),
    ...milestoneEffectsV2,
    armResponseDeadline: raise(response.event, response.options),
    disarmResponseDeadline: cancel(response.options.id),
    armArbitrationFeeDeadline: raise(arbitrationFee.event, arbitrationFee.options),
    disarmArbitrationFeeDeadline: cancel(arbitrationFee.options.id),
  },
  delays: disputeDelays,
});

/** Notifies the party that did not send the event (reused by later versions). */
export const notifyOther = (type: string) =>
  ({
    type: 'notify',
    params: ({ context, event }: { context: MilestoneContextV2; event: MilestoneEventFieldsV2 }) => ({
      to: otherParty(partyOf(context, event)),
      type,
    }),
  }) as const;

const holdArbitrationFee = {
  type: 'holdArbitrationFee',
  params: ({ context, event }: { context: MilestoneContextV2; event: MilestoneEventFieldsV2 }) => ({
    payer: partyOf(context, event),
    amount: context.disputeRules.arbitrationFee,
  }),
} as const;

const withdraw = {
  guard: and(['actorMaySend', 'isFiler']),
  target: '#milestone.in_progress',
  actions: 'withdrawDispute',
} as const;
const makeOffer = { guard: and(['actorMaySend', 'proposalWithinRemaining']), actions: 'recordOffer' } as const;
const acceptOffer = {
  guard: and(['actorMaySend', 'otherSideHasOffered']),
  target: '#milestone.resolving',
  actions: 'settleByAgreement',
} as const;
// docs/concepts.md: evidence may be submitted in stages 1–3, not once arbitration has started.
const evidence = { SUBMIT_EVIDENCE: { guard: 'actorMaySend', actions: 'recordEvidence' } } as const;

const disputed = family.createStateConfig({
  tags: ['holds_funds'],
  initial: 'awaiting_response',
  states: {
    awaiting_response: {
      entry: 'armResponseDeadline',
      exit: 'disarmResponseDeadline',
      on: {
        ...evidence,
        RESPOND: {
          guard: and(['actorMaySend', 'isRespondent', 'proposalWithinRemaining']),
          target: 'negotiation',
          actions: [
            'recordOffer',
            {
              type: 'notify',
              params: ({ context }) => ({ to: currentDispute(context).filedBy, type: 'milestone.dispute_responded' }),
            },
          ],
        },
        WITHDRAW_DISPUTE: withdraw,
        RESPONSE_TIMEOUT: { guard: 'actorMaySend', target: '#milestone.resolving', actions: 'settleByResponseTimeout' },
      },
    },
    negotiation: {
      on: {
        ...evidence,
        MAKE_OFFER: makeOffer,
        ACCEPT_OFFER: acceptOffer,
        WITHDRAW_DISPUTE: withdraw,
        PAY_ARBITRATION_FEE: {
          guard: and(['actorMaySend', 'hasNotPaidFee']),
          target: 'arbitration_pending',
          actions: ['recordFeePaid', holdArbitrationFee, notifyOther('milestone.arbitration_fee_due')],
        },
      },
    },
    arbitration_pending: {
      entry: 'armArbitrationFeeDeadline',
      exit: 'disarmArbitrationFeeDeadline',
      on: {
        ...evidence,
        // Agreement is still possible until arbitration starts; every fee paid is then refunded.
        MAKE_OFFER: makeOffer,
        ACCEPT_OFFER: acceptOffer,
        PAY_ARBITRATION_FEE: {
          guard: and(['actorMaySend', 'hasNotPaidFee']),
          target: 'arbitration',
          actions: ['recordFeePaid', holdArbitrationFee],
        },
        ARBITRATION_FEE_TIMEOUT: {
          guard: 'actorMaySend',
          target: '#milestone.resolving',
          actions: 'settleByFeeTimeout',
        },
      },
    },
    arbitration: {
      on: {
        RULE: {
          guard: and(['actorMaySend', 'proposalWithinRemaining']),
          target: '#milestone.resolving',
          actions: 'settleByRuling',
        },
      },
    },
  },
});

export const milestoneStatesV2 = {
  ...milestoneStatesV1,
  in_progress: family.createStateConfig({
    tags: ['holds_funds'],
    on: {
      ...milestoneStatesV1.in_progress.on,
      OPEN_DISPUTE: {
        guard: and(['actorMaySend', 'proposalWithinRemaining']),
        target: 'disputed',
        actions: ['openDispute', notifyOther('milestone.dispute_opened')],
      },
    },
  }),
  disputed,
  // A split only moves money already held (escrow and fee holds), so a refusal would be a ledger fault; it
  // lands in resolution_failed, visible with its reason, and support re-drives the same outcome.
  resolving: family.createStateConfig({
    tags: ['settling', 'holds_funds'],
    entry: {
      type: 'requestSettlement',
      params: ({ context }) => {
        const o = currentDispute(context).outcome;
        if (!o) throw new Error(`milestone ${context.id}: resolving without an outcome`);
        return {
          kind: 'split' as const,
          amount: remainingOf(context).toString(),
          ...o,
          arbitrationFee: context.disputeRules.arbitrationFee,
        };
      },
    },
    on: {
      SETTLED: {
        guard: 'actorMaySend',
        target: 'resolved',
        actions: [
          {
            type: 'informProject',
            params: ({ context }) => ({
              type: 'MILESTONE_RELEASED',
              amount: currentDispute(context).outcome?.amountToFreelancer ?? '0',
            }),
          },
          { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
          'recordResolution',
          { type: 'notify', params: { to: 'employer', type: 'milestone.dispute_resolved' } },
          { type: 'notify', params: { to: 'freelancer', type: 'milestone.dispute_resolved' } },
        ],
      },
      SETTLEMENT_FAILED: { guard: 'actorMaySend', target: 'resolution_failed', actions: 'recordSettlementFailure' },
    },
  }),
  resolution_failed: family.createStateConfig({
    tags: ['holds_funds'],
    on: { RETRY_SETTLEMENT: { guard: 'actorMaySend', target: 'resolving', actions: 'clearSettlementFailure' } },
  }),
  resolved: family.createStateConfig({ type: 'final' }),
};

export const milestoneMachineV2 = setup({
  types: {
    context: {} as MilestoneContextV2,
    events: {} as MilestoneEventV2,
    input: {} as MilestoneInputV2,
  },
  guards: guardsOf(milestoneRulesOfV2),
  actions: {
    ...assignAll<MilestoneContextV2, MilestoneEventV2>()({ ...milestoneUpdatesV1, ...milestoneUpdatesV2 }),
    ...milestoneEffectsV2,
    armResponseDeadline: raise(response.event, response.options),
    disarmResponseDeadline: cancel(response.options.id),
    armArbitrationFeeDeadline: raise(arbitrationFee.event, arbitrationFee.options),
    disarmArbitrationFeeDeadline: cancel(arbitrationFee.options.id),
  },
  delays: disputeDelays,
}).createMachine({
  id: 'milestone',
  initial: 'draft',
  context: ({ input }) => ({ ...initialMilestoneContext(input), disputeRules: input.disputeRules, dispute: null }),
  states: milestoneStatesV2,
});

export const milestoneV2: MachineDefinition = {
  name: 'milestone',
  version: 2,
  machine: milestoneMachineV2,
  roles: milestoneRolesV2,
  payloads: milestonePayloadsV2,
  rules: milestoneRulesOfV2,
  effectRules: [
    {
      id: 'insufficient_funds',
      events: ['PAY_ARBITRATION_FEE'],
      requires: "the payer's available balance covers the arbitration fee, held in the event's own transaction",
    },
  ],
  deadlines: disputeDeadlines,
  pendingStates: [...pendingStatesV1, 'disputed', 'resolving', 'resolution_failed'],
};
