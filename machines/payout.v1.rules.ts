import type { PayoutContext, PayoutInput } from './payout.v1.js';
import { actorMaySendRule, type EventRoles, type SentEvent } from './roles.js';
import { ruleBook } from './rules.js';
import type { Update } from './updates.js';

// The payout's rules, context updates and effects (docs/money.md "Payouts").

export const payoutRoles: EventRoles = {
  REQUEST: ['owner'],
  CANCEL: ['owner'],
  MARK_PAID: ['support'],
  MARK_FAILED: ['support'],
  PROCESS: ['system'],
  PROVIDER_PAID: ['system'],
  PROVIDER_FAILED: ['system'],
};

/** The provider support pays by hand (a bank transfer) and marks paid or failed with its reference. */
export const MANUAL_PROVIDER = 'manual';

/** A payout event of any version as the rules and updates read it. */
export type PayoutEventFields = SentEvent & {
  amount?: string;
  destination?: { kind: string; reference: string };
  reference?: string;
  reason?: string;
};

export function initialPayoutContext(input: PayoutInput): PayoutContext {
  return { ...input, amount: '0', destination: null, reference: null, failureReason: null };
}

export const payoutRulesV1 = ruleBook<PayoutContext, PayoutEventFields>()({
  actorMaySend: actorMaySendRule(payoutRoles),
  // docs/api.md: MARK_PAID / MARK_FAILED are the built-in manual provider's; a payout another provider took is
  // decided by that provider only, or support could return money the provider is paying out.
  providerIsManual: {
    id: 'manual_provider_only',
    kind: 'state',
    check: ({ context }) => context.provider === MANUAL_PROVIDER,
    message: ({ context, event }) =>
      `${event.type} is for payouts support pays by hand; this one is handed to the ${context.provider} provider.`,
    details: ({ context }) => ({ provider: context.provider }),
  },
  // Only a payout recorded for an automatic provider is handed over by the payout worker.
  providerIsAutomatic: {
    id: 'automatic_provider_only',
    kind: 'state',
    check: ({ context }) => context.provider !== MANUAL_PROVIDER,
    message: ({ event }) => `${event.type} is refused: support pays this payout by hand (manual provider).`,
    details: ({ context }) => ({ provider: context.provider }),
  },
});

export const payoutUpdatesV1 = {
  recordRequest: ({ event }) =>
    event.type === 'REQUEST' && event.amount !== undefined && event.destination !== undefined
      ? { amount: event.amount, destination: event.destination }
      : {},
  recordReference: ({ event }) => ({ reference: event.reference ?? null }),
  recordFailure: ({ event }) => ({ failureReason: event.reason ?? null }),
} satisfies Record<string, Update<PayoutContext, PayoutEventFields>>;

/** The money moves of a payout's life: each moves the payout's whole amount. */
export const payoutMoves = {
  /** The request holds the money at once (two-phase: available → payout hold). */
  hold: { from: 'available', to: 'payout_hold', kind: 'payout_hold' },
  /** Paid: the held money leaves the platform. */
  pay: { from: 'payout_hold', to: 'external', kind: 'payout' },
  /** Failed or cancelled: the held money goes back to available. */
  release: { from: 'payout_hold', to: 'available', kind: 'payout_return' },
} as const;

export const payoutEffectsV1 = {
  /** Hands the payout to its (automatic) provider: an outbox row for the payout worker. */
  handToProvider: () => {},
  notify: (_args: unknown, _params: { to: 'owner'; type: string }) => {},
};
