import { and, assign, cancel, raise, setup } from 'xstate';
import { z } from 'zod';
import type { MachineDefinition } from './definition.js';
import {
  milestoneMachineV1,
  milestonePayloads,
  milestoneRoles,
  type MilestoneContext,
  type MilestoneEvent,
  type MilestoneInput,
  type SettlementKind,
} from './milestone.v1.js';
import { moneyString, text } from './payloads.js';
import { otherParty, roleOf, type ActorFields, type EventRoles, type PartyRole } from './roles.js';

// Milestone machine, version 2: version 1 plus the Dispute Resolution Service (DESIGN.md "disputed").
// Every state and rule of version 1 is kept as it is (its config and implementations are reused, not copied),
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

export interface Dispute {
  filedBy: PartyRole;
  reason: string;
  /** Each side's latest proposal of the amount to the freelancer. */
  offers: Record<PartyRole, string | null>;
  evidence: { by: PartyRole; text: string }[];
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

export const milestoneRolesV2: EventRoles = {
  ...milestoneRoles,
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

type Args = { context: MilestoneContextV2; event: MilestoneEventV2 };

const remainingOf = (c: MilestoneContextV2): bigint => BigInt(c.amount) - BigInt(c.releasedAmount);
const partyOf = (c: MilestoneContextV2, e: MilestoneEventV2): PartyRole | null => {
  const role = roleOf(c, e);
  return role === 'employer' || role === 'freelancer' ? role : null;
};
const currentDispute = (c: MilestoneContextV2): Dispute => {
  if (!c.dispute) throw new Error(`milestone ${c.id}: dispute rule applied with no dispute open`);
  return c.dispute;
};

/** The amount an event proposes to the freelancer, if it proposes one. */
function proposedAmount(event: MilestoneEventV2): string | null {
  switch (event.type) {
    case 'OPEN_DISPUTE':
    case 'RESPOND':
      return event.offer;
    case 'MAKE_OFFER':
    case 'RULE':
      return event.amountToFreelancer;
    default:
      return null;
  }
}

function outcome(
  c: MilestoneContextV2,
  amountToFreelancer: string,
  decidedBy: DisputeOutcome['decidedBy'],
  feeRefunds: PartyRole[],
  feeForfeits: PartyRole[],
): DisputeOutcome {
  return {
    amountToFreelancer,
    amountToEmployer: (remainingOf(c) - BigInt(amountToFreelancer)).toString(),
    decidedBy,
    feeRefunds,
    feeForfeits,
  };
}

/**
 * After a ruling the winner's fee is refunded and the loser's kept (DESIGN.md). The winner is the party whose
 * last offer is closer to the ruled amount; on a tie neither lost, so both fees are refunded.
 */
function rulingFees(d: Dispute, ruled: bigint): { refunds: PartyRole[]; forfeits: PartyRole[] } {
  const distance = (role: PartyRole) => {
    const offer = d.offers[role];
    if (offer === null) return null;
    const diff = BigInt(offer) - ruled;
    return diff < 0n ? -diff : diff;
  };
  const e = distance('employer');
  const f = distance('freelancer');
  const winner: PartyRole | null = e === null || f === null || e === f ? null : e < f ? 'employer' : 'freelancer';
  if (winner === null) return { refunds: [...d.feesPaid], forfeits: [] };
  return { refunds: d.feesPaid.filter((r) => r === winner), forfeits: d.feesPaid.filter((r) => r !== winner) };
}

const v1 = milestoneMachineV1;
// Version 1's rule implementations, reused by name: typed loosely here because they were written against
// version 1's (narrower) context and events, which version 2 extends without changing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v1Guards = v1.implementations.guards as Record<string, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v1Actions = v1.implementations.actions as Record<string, any>;

/** What the settlement worker is asked to do: version 1's kinds, plus the split that resolves a dispute. */
export type SettlementCommandV2 =
  | { kind: SettlementKind; amount: string }
  | ({ kind: 'split'; amount: string; arbitrationFee: string } & DisputeOutcome);

// DESIGN.md: evidence may be submitted in stages 1–3, not once arbitration has started.
const evidence = { SUBMIT_EVIDENCE: { guard: 'actorMaySend', actions: 'recordEvidence' } } as const;

export const milestoneMachineV2 = setup({
  types: {
    context: {} as MilestoneContextV2,
    events: {} as MilestoneEventV2,
    input: {} as MilestoneInputV2,
  },
  guards: {
    releaseWithinRemaining: v1Guards.releaseWithinRemaining,
    releaseSettlesRemainder: v1Guards.releaseSettlesRemainder,
    releaseRequested: v1Guards.releaseRequested,
    cancelRequested: v1Guards.cancelRequested,
    actorMaySend: ({ context, event }: Args) => {
      const role = roleOf(context, event);
      return role !== null && (milestoneRolesV2[event.type] ?? []).includes(role);
    },
    // Offers and rulings split what remains: 0 … remaining.
    proposalWithinRemaining: ({ context, event }: Args) => {
      const amount = proposedAmount(event);
      return amount !== null && BigInt(amount) >= 0n && BigInt(amount) <= remainingOf(context);
    },
    isFiler: ({ context, event }: Args) => partyOf(context, event) === currentDispute(context).filedBy,
    isRespondent: ({ context, event }: Args) => partyOf(context, event) === otherParty(currentDispute(context).filedBy),
    // ACCEPT_OFFER accepts the other side's last offer, so there must be one.
    otherSideHasOffered: ({ context, event }: Args) => {
      const party = partyOf(context, event);
      return party !== null && currentDispute(context).offers[otherParty(party)] !== null;
    },
    hasNotPaidFee: ({ context, event }: Args) => {
      const party = partyOf(context, event);
      return party !== null && !currentDispute(context).feesPaid.includes(party);
    },
  },
  actions: {
    recordTerms: v1Actions.recordTerms,
    recordPendingRelease: v1Actions.recordPendingRelease,
    recordRelease: v1Actions.recordRelease,
    recordSettlementFailure: v1Actions.recordSettlementFailure,
    clearSettlementFailure: v1Actions.clearSettlementFailure,
    flagReleaseRequested: v1Actions.flagReleaseRequested,
    flagCancelRequested: v1Actions.flagCancelRequested,
    clearCancelRequest: v1Actions.clearCancelRequest,
    // Effect actions: named, parameterised, carried out by the engine (see machines/milestone.v1.ts).
    requestSettlement: (_, _params: SettlementCommandV2) => {},
    notify: (_, _params: { to: PartyRole; type: string }) => {},
    informProject: (_, _params: { type: string; amount?: string }) => {},
    /** The engine holds the fee from the payer's available balance in the event's own transaction. */
    holdArbitrationFee: (_, _params: { payer: PartyRole; amount: string }) => {},
    openDispute: assign(({ context, event }: Args) => {
      const party = partyOf(context, event);
      if (event.type !== 'OPEN_DISPUTE' || party === null) return {};
      const offers: Dispute['offers'] = { employer: null, freelancer: null };
      offers[party] = event.offer;
      return { dispute: { filedBy: party, reason: event.reason, offers, evidence: [], feesPaid: [], outcome: null } };
    }),
    recordOffer: assign(({ context, event }: Args) => {
      const party = partyOf(context, event);
      const amount = proposedAmount(event);
      const d = currentDispute(context);
      if (party === null || amount === null) return {};
      return { dispute: { ...d, offers: { ...d.offers, [party]: amount } } };
    }),
    recordEvidence: assign(({ context, event }: Args) => {
      const party = partyOf(context, event);
      const d = currentDispute(context);
      if (party === null || event.type !== 'SUBMIT_EVIDENCE') return {};
      return { dispute: { ...d, evidence: [...d.evidence, { by: party, text: event.text }] } };
    }),
    recordFeePaid: assign(({ context, event }: Args) => {
      const party = partyOf(context, event);
      const d = currentDispute(context);
      if (party === null) return {};
      return { dispute: { ...d, feesPaid: [...d.feesPaid, party] } };
    }),
    withdrawDispute: assign({ dispute: null }),
    // Settling before arbitration refunds every fee paid (DESIGN.md).
    settleByAgreement: assign(({ context, event }: Args) => {
      const party = partyOf(context, event);
      const d = currentDispute(context);
      const accepted = party === null ? null : d.offers[otherParty(party)];
      if (accepted === null || accepted === undefined) return {};
      return { dispute: { ...d, outcome: outcome(context, accepted, 'agreement', [...d.feesPaid], []) } };
    }),
    // DESIGN.md: on the respondent's timeout "the filer's offer is applied".
    settleByResponseTimeout: assign(({ context }: Args) => {
      const d = currentDispute(context);
      return { dispute: { ...d, outcome: outcome(context, d.offers[d.filedBy] ?? '0', 'response_timeout', [], []) } };
    }),
    // DESIGN.md: if the other party does not pay the fee in time "the payer wins": the payer's offer applies and
    // its fee comes back.
    settleByFeeTimeout: assign(({ context }: Args) => {
      const d = currentDispute(context);
      const payer = d.feesPaid[0] ?? d.filedBy;
      return { dispute: { ...d, outcome: outcome(context, d.offers[payer] ?? '0', 'fee_timeout', [payer], []) } };
    }),
    settleByRuling: assign(({ context, event }: Args) => {
      const d = currentDispute(context);
      if (event.type !== 'RULE') return {};
      const { refunds, forfeits } = rulingFees(d, BigInt(event.amountToFreelancer));
      return { dispute: { ...d, outcome: outcome(context, event.amountToFreelancer, 'ruling', refunds, forfeits) } };
    }),
    recordResolution: assign(({ context }: Args) => ({
      releasedAmount: (
        BigInt(context.releasedAmount) + BigInt(currentDispute(context).outcome?.amountToFreelancer ?? '0')
      ).toString(),
      releaseRequested: false,
      cancelRequested: false,
    })),
  },
  delays: {
    // The respondent is whoever did not file: 4 days for a freelancer, 14 for an employer (configurable).
    responseDeadline: ({ context }: { context: MilestoneContextV2 }) =>
      currentDispute(context).filedBy === 'employer'
        ? context.disputeRules.freelancerResponseMs
        : context.disputeRules.employerResponseMs,
    arbitrationFeeDeadline: ({ context }: { context: MilestoneContextV2 }) => context.disputeRules.arbitrationFeeMs,
  },
}).createMachine({
  id: 'milestone',
  initial: 'draft',
  context: ({ input }) => ({
    ...(v1.config.context as (args: { input: MilestoneInput }) => MilestoneContext)({ input }),
    disputeRules: input.disputeRules,
    dispute: null,
  }),
  states: {
    ...(v1.config.states as Record<string, never>),
    in_progress: {
      tags: ['holds_funds'],
      on: {
        ...(v1.config.states?.in_progress?.on as Record<string, never>),
        OPEN_DISPUTE: {
          guard: and(['actorMaySend', 'proposalWithinRemaining']),
          target: 'disputed',
          actions: [
            'openDispute',
            {
              type: 'notify',
              params: ({ context, event }) => ({
                to: otherParty(partyOf(context, event) ?? 'employer'),
                type: 'milestone.dispute_opened',
              }),
            },
          ],
        },
      },
    },
    disputed: {
      tags: ['holds_funds'],
      initial: 'awaiting_response',
      states: {
        awaiting_response: {
          entry: raise(
            { type: 'RESPONSE_TIMEOUT', actor: 'system' },
            { delay: 'responseDeadline', id: 'response-deadline' },
          ),
          exit: cancel('response-deadline'),
          on: {
            ...evidence,
            RESPOND: {
              guard: and(['actorMaySend', 'isRespondent', 'proposalWithinRemaining']),
              target: 'negotiation',
              actions: [
                'recordOffer',
                {
                  type: 'notify',
                  params: ({ context }) => ({
                    to: currentDispute(context).filedBy,
                    type: 'milestone.dispute_responded',
                  }),
                },
              ],
            },
            WITHDRAW_DISPUTE: {
              guard: and(['actorMaySend', 'isFiler']),
              target: '#milestone.in_progress',
              actions: 'withdrawDispute',
            },
            RESPONSE_TIMEOUT: {
              guard: 'actorMaySend',
              target: '#milestone.resolving',
              actions: 'settleByResponseTimeout',
            },
          },
        },
        negotiation: {
          on: {
            ...evidence,
            MAKE_OFFER: { guard: and(['actorMaySend', 'proposalWithinRemaining']), actions: 'recordOffer' },
            ACCEPT_OFFER: {
              guard: and(['actorMaySend', 'otherSideHasOffered']),
              target: '#milestone.resolving',
              actions: 'settleByAgreement',
            },
            WITHDRAW_DISPUTE: {
              guard: and(['actorMaySend', 'isFiler']),
              target: '#milestone.in_progress',
              actions: 'withdrawDispute',
            },
            PAY_ARBITRATION_FEE: {
              guard: and(['actorMaySend', 'hasNotPaidFee']),
              target: 'arbitration_pending',
              actions: [
                'recordFeePaid',
                {
                  type: 'holdArbitrationFee',
                  params: ({ context, event }) => ({
                    payer: partyOf(context, event) ?? 'employer',
                    amount: context.disputeRules.arbitrationFee,
                  }),
                },
                {
                  type: 'notify',
                  params: ({ context, event }) => ({
                    to: otherParty(partyOf(context, event) ?? 'employer'),
                    type: 'milestone.arbitration_fee_due',
                  }),
                },
              ],
            },
          },
        },
        arbitration_pending: {
          entry: raise(
            { type: 'ARBITRATION_FEE_TIMEOUT', actor: 'system' },
            { delay: 'arbitrationFeeDeadline', id: 'arbitration-fee-deadline' },
          ),
          exit: cancel('arbitration-fee-deadline'),
          on: {
            ...evidence,
            // Agreement is still possible until arbitration starts; every fee paid is then refunded.
            MAKE_OFFER: { guard: and(['actorMaySend', 'proposalWithinRemaining']), actions: 'recordOffer' },
            ACCEPT_OFFER: {
              guard: and(['actorMaySend', 'otherSideHasOffered']),
              target: '#milestone.resolving',
              actions: 'settleByAgreement',
            },
            PAY_ARBITRATION_FEE: {
              guard: and(['actorMaySend', 'hasNotPaidFee']),
              target: 'arbitration',
              actions: [
                'recordFeePaid',
                {
                  type: 'holdArbitrationFee',
                  params: ({ context, event }) => ({
                    payer: partyOf(context, event) ?? 'employer',
                    amount: context.disputeRules.arbitrationFee,
                  }),
                },
              ],
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
    },
    // A split only moves money already held (escrow and fee holds), so a refusal would be a ledger fault; it
    // lands in resolution_failed, visible with its reason, and support re-drives the same outcome.
    resolving: {
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
    },
    resolution_failed: {
      tags: ['holds_funds'],
      on: {
        RETRY_SETTLEMENT: { guard: 'actorMaySend', target: 'resolving', actions: 'clearSettlementFailure' },
      },
    },
    resolved: { type: 'final' },
  },
});

export const milestoneV2: MachineDefinition = {
  name: 'milestone',
  version: 2,
  machine: milestoneMachineV2,
  roles: milestoneRolesV2,
  payloads: milestonePayloadsV2,
};
