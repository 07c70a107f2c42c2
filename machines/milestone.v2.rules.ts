import type { Deadline } from './definition.js';
import { milestoneRoles, remainingOf, type MilestoneEventFields } from './milestone.v1.rules.js';
import type { Dispute, DisputeOutcome, MilestoneContextV2, SettlementCommandV2 } from './milestone.v2.js';
import { actorMaySendRule, otherParty, partyOf, type EventRoles, type PartyRole } from './roles.js';
import { ruleBook } from './rules.js';
import type { Update } from './updates.js';

// The rules, context updates and effects version 2 adds for disputes (docs/concepts.md "disputed"), typed with
// version 2's context and the event fields they read, so later versions reuse them as they are.

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

/** A milestone event of any version from 2 on as version 2's rules and updates read it. */
export type MilestoneEventFieldsV2 = MilestoneEventFields & {
  offer?: string;
  amountToFreelancer?: string;
  text?: string;
};

export const currentDispute = (c: MilestoneContextV2): Dispute => {
  if (!c.dispute) throw new Error(`milestone ${c.id}: dispute rule applied with no dispute open`);
  return c.dispute;
};

/** The amount an event proposes to the freelancer, if it proposes one. */
function proposedAmount(event: MilestoneEventFieldsV2): string | null {
  switch (event.type) {
    case 'OPEN_DISPUTE':
    case 'RESPOND':
      return event.offer ?? null;
    case 'MAKE_OFFER':
    case 'RULE':
      return event.amountToFreelancer ?? null;
    default:
      return null;
  }
}

export const milestoneRulesV2 = ruleBook<MilestoneContextV2, MilestoneEventFieldsV2>()({
  actorMaySend: actorMaySendRule(milestoneRolesV2),
  // Offers and rulings split what remains: 0 … remaining.
  proposalWithinRemaining: {
    id: 'offer_within_remaining',
    kind: 'payload',
    check: ({ context, event }) => {
      const amount = proposedAmount(event);
      return amount !== null && BigInt(amount) >= 0n && BigInt(amount) <= remainingOf(context);
    },
    message: ({ context, event }) =>
      `${event.type} of ${proposedAmount(event) ?? 'no amount'} exceeds the ${remainingOf(context)} that remains.`,
    details: ({ context, event }) => ({ requested: proposedAmount(event), remaining: String(remainingOf(context)) }),
  },
  isFiler: {
    id: 'filer_only',
    kind: 'state',
    check: ({ context, event }) => partyOf(context, event) === currentDispute(context).filedBy,
    message: ({ context, event }) =>
      `Only the ${currentDispute(context).filedBy}, who filed the dispute, may send ${event.type}.`,
    details: ({ context }) => ({ filedBy: currentDispute(context).filedBy }),
  },
  isRespondent: {
    id: 'respondent_only',
    kind: 'state',
    check: ({ context, event }) => partyOf(context, event) === otherParty(currentDispute(context).filedBy),
    message: ({ context, event }) =>
      `Only the ${otherParty(currentDispute(context).filedBy)}, who must answer the dispute, may send ${event.type}.`,
    details: ({ context }) => ({ respondent: otherParty(currentDispute(context).filedBy) }),
  },
  // ACCEPT_OFFER accepts the other side's last offer, so there must be one.
  otherSideHasOffered: {
    id: 'no_offer_to_accept',
    kind: 'state',
    check: ({ context, event }) => currentDispute(context).offers[otherParty(partyOf(context, event))] !== null,
    message: ({ context, event }) =>
      `${event.type} accepts the ${otherParty(partyOf(context, event))}'s last offer, and there is none.`,
    details: ({ context }) => ({ offers: currentDispute(context).offers }),
  },
  hasNotPaidFee: {
    id: 'fee_already_paid',
    kind: 'state',
    check: ({ context, event }) => !currentDispute(context).feesPaid.includes(partyOf(context, event)),
    message: ({ context, event }) => `The ${partyOf(context, event)} has already paid the arbitration fee.`,
    details: ({ context }) => ({ feesPaid: currentDispute(context).feesPaid }),
  },
});

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
 * After a ruling the winner's fee is refunded and the loser's kept (docs/concepts.md). The winner is the party whose
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

type UpdateV2 = Update<MilestoneContextV2, MilestoneEventFieldsV2>;

const disputeUpdates = {
  openDispute: ({ context, event }) => {
    const party = partyOf(context, event);
    if (event.type !== 'OPEN_DISPUTE' || event.reason === undefined || event.offer === undefined) return {};
    const offers: Dispute['offers'] = { employer: null, freelancer: null };
    offers[party] = event.offer;
    return { dispute: { filedBy: party, reason: event.reason, offers, evidence: [], feesPaid: [], outcome: null } };
  },
  recordOffer: ({ context, event }) => {
    const party = partyOf(context, event);
    const amount = proposedAmount(event);
    const d = currentDispute(context);
    if (amount === null) return {};
    return { dispute: { ...d, offers: { ...d.offers, [party]: amount } } };
  },
  recordEvidence: ({ context, event }) => {
    const party = partyOf(context, event);
    const d = currentDispute(context);
    if (event.type !== 'SUBMIT_EVIDENCE' || event.text === undefined) return {};
    return { dispute: { ...d, evidence: [...d.evidence, { by: party, text: event.text }] } };
  },
  recordFeePaid: ({ context, event }) => {
    const d = currentDispute(context);
    return { dispute: { ...d, feesPaid: [...d.feesPaid, partyOf(context, event)] } };
  },
  withdrawDispute: () => ({ dispute: null }),
} satisfies Record<string, UpdateV2>;

const settlementUpdates = {
  // Settling before arbitration refunds every fee paid (docs/concepts.md).
  settleByAgreement: ({ context, event }) => {
    const d = currentDispute(context);
    const accepted = d.offers[otherParty(partyOf(context, event))];
    if (accepted === null) return {};
    return { dispute: { ...d, outcome: outcome(context, accepted, 'agreement', [...d.feesPaid], []) } };
  },
  // docs/concepts.md: on the respondent's timeout "the filer's offer is applied".
  settleByResponseTimeout: ({ context }) => {
    const d = currentDispute(context);
    return { dispute: { ...d, outcome: outcome(context, d.offers[d.filedBy] ?? '0', 'response_timeout', [], []) } };
  },
  // docs/concepts.md: if the other party does not pay the fee in time "the payer wins": the payer's offer applies and
  // its fee comes back.
  settleByFeeTimeout: ({ context }) => {
    const d = currentDispute(context);
    const payer = d.feesPaid[0] ?? d.filedBy;
    return { dispute: { ...d, outcome: outcome(context, d.offers[payer] ?? '0', 'fee_timeout', [payer], []) } };
  },
  settleByRuling: ({ context, event }) => {
    const d = currentDispute(context);
    if (event.type !== 'RULE' || event.amountToFreelancer === undefined) return {};
    const { refunds, forfeits } = rulingFees(d, BigInt(event.amountToFreelancer));
    return { dispute: { ...d, outcome: outcome(context, event.amountToFreelancer, 'ruling', refunds, forfeits) } };
  },
  recordResolution: ({ context }) => ({
    releasedAmount: (
      BigInt(context.releasedAmount) + BigInt(currentDispute(context).outcome?.amountToFreelancer ?? '0')
    ).toString(),
    releaseRequested: false,
    cancelRequested: false,
  }),
} satisfies Record<string, UpdateV2>;

export const milestoneUpdatesV2 = { ...disputeUpdates, ...settlementUpdates };

// Effect actions: named, parameterised, carried out by the engine (see machines/milestone.v1.rules.ts).
export const milestoneEffectsV2 = {
  requestSettlement: (_args: unknown, _params: SettlementCommandV2) => {},
  notify: (_args: unknown, _params: { to: PartyRole; type: string }) => {},
  informProject: (_args: unknown, _params: { type: string; amount?: string }) => {},
  /** The engine holds the fee from the payer's available balance in the event's own transaction. */
  holdArbitrationFee: (_args: unknown, _params: { payer: PartyRole; amount: string }) => {},
};

export const disputeDelays = {
  // The respondent is whoever did not file: 4 days for a freelancer, 14 for an employer (configurable).
  responseDeadline: ({ context }: { context: MilestoneContextV2 }) =>
    currentDispute(context).filedBy === 'employer'
      ? context.disputeRules.freelancerResponseMs
      : context.disputeRules.employerResponseMs,
  arbitrationFeeDeadline: ({ context }: { context: MilestoneContextV2 }) => context.disputeRules.arbitrationFeeMs,
};

/** Durable timers of a dispute: the event each raises, and the delay and id that arm it. */
export const disputeTimers = {
  response: {
    event: { type: 'RESPONSE_TIMEOUT', actor: 'system' },
    options: { delay: 'responseDeadline', id: 'response-deadline' },
  },
  arbitrationFee: {
    event: { type: 'ARBITRATION_FEE_TIMEOUT', actor: 'system' },
    options: { delay: 'arbitrationFeeDeadline', id: 'arbitration-fee-deadline' },
  },
} as const;

/** Who must act before each dispute timer fires (docs/api.md Views: `deadlines[].party`). */
export const disputeDeadlines: Readonly<Record<string, Deadline<MilestoneContextV2>>> = {
  // The respondent answers, or the dispute closes in the filer's favour.
  RESPONSE_TIMEOUT: { party: (c) => otherParty(currentDispute(c).filedBy) },
  // The party who has not paid the arbitration fee pays it, or the payer wins.
  ARBITRATION_FEE_TIMEOUT: {
    party: (c) => {
      const [payer] = currentDispute(c).feesPaid;
      return payer === undefined ? null : otherParty(payer);
    },
  },
};
