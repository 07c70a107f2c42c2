import type { AdjustmentContext, AdjustmentInput } from './adjustment.v1.js';
import type { MoneyMove } from './money-moves.js';
import { actorMaySendRule, type EventRoles, type SentEvent } from './roles.js';
import { ruleBook } from './rules.js';
import type { Update } from './updates.js';

// The adjustment's rules, context updates and money move (docs/money.md "Adjustments").

/** Support staff propose and decide; the four-eyes rules make the decider someone else, on another client. */
export const adjustmentRoles: EventRoles = {
  PROPOSE: ['support'],
  APPROVE: ['support'],
  REJECT: ['support'],
};

/** An adjustment event of any version as the rules and updates read it. */
export type AdjustmentEventFields = SentEvent & { amount?: string; reason?: string };

export function initialAdjustmentContext(input: AdjustmentInput): AdjustmentContext {
  return { ...input, amount: '0', reason: null, proposedBy: null, decidedBy: null, rejectionReason: null };
}

/** Who sent an event, as the adjustment records its proposer and its decider. */
const signer = (event: AdjustmentEventFields) => ({ actor: event.actor, client: event.client ?? null });

export const adjustmentRulesV1 = ruleBook<AdjustmentContext, AdjustmentEventFields>()({
  actorMaySend: actorMaySendRule(adjustmentRoles),
  // Four eyes: the person who proposed a correction never decides it. A role rule: its refusal is a 403.
  otherActorThanProposer: {
    id: 'four_eyes_actor',
    kind: 'role',
    check: ({ context, event }) => event.actor !== context.proposedBy?.actor,
    message: ({ event }) => `${event.type} must come from someone other than ${event.actor}, who proposed it.`,
    details: ({ context }) => ({ rule: 'four_eyes_actor', proposedBy: context.proposedBy }),
  },
  // …and not through the proposer's API client either: one integration holding two actor names is still one
  // pair of eyes. An event without a client (the availability probe: "some other client") passes.
  otherClientThanProposer: {
    id: 'four_eyes_client',
    kind: 'role',
    check: ({ context, event }) => event.client === undefined || event.client !== context.proposedBy?.client,
    message: ({ event }) =>
      `${event.type} must come through another API client than ${event.client ?? 'the one'} that proposed it.`,
    details: ({ context }) => ({ rule: 'four_eyes_client', proposedBy: context.proposedBy }),
  },
});

export const adjustmentUpdatesV1 = {
  recordProposal: ({ event }) =>
    event.type === 'PROPOSE' && event.amount !== undefined && event.reason !== undefined
      ? { amount: event.amount, reason: event.reason, proposedBy: signer(event) }
      : {},
  recordDecision: ({ event }) => ({ decidedBy: signer(event) }),
  recordRejection: ({ event }) => ({ rejectionReason: event.reason ?? null }),
} satisfies Record<string, Update<AdjustmentContext, AdjustmentEventFields>>;

/**
 * The transfer an applied adjustment posts: a positive amount credits the owner's available balance from the
 * platform's adjustments account, a negative one debits it back there. The ledger moves the magnitude.
 */
export function adjustmentMove(amount: string): MoneyMove {
  return amount.startsWith('-')
    ? { from: 'available', to: 'adjustments', amount: amount.slice(1), kind: 'adjustment' }
    : { from: 'adjustments', to: 'available', amount, kind: 'adjustment' };
}
