import { and, setup } from 'xstate';
import { z } from 'zod';
import type { MachineDefinition } from './definition.js';
import { moneyEffects } from './money-moves.js';
import { noPayload, positiveMoneyString, text } from './payloads.js';
import {
  initialPayoutContext,
  payoutEffectsV1,
  payoutMoves,
  payoutRoles,
  payoutRulesV1,
  payoutUpdatesV1,
} from './payout.v1.rules.js';
import type { ActorFields } from './roles.js';
import { guardsOf } from './rules.js';
import { assignAll } from './updates.js';

// Payout machine, version 1 (docs/money.md "Payouts"): money leaving the platform. The request holds
// the owner's money at once (available → payout hold, in the request's transaction); the owner may CANCEL while
// it is `requested`. Support pays manual payouts by hand (MARK_PAID with the bank's reference, or MARK_FAILED);
// the payout worker hands the others to their provider (PROCESS → `processing`) and applies its outcome
// (PROVIDER_PAID / PROVIDER_FAILED). `paid` sends the held money to the external account; `failed` and
// `cancelled` return it to available.

export interface PayoutInput {
  id: string;
  ownerId: string;
  currency: string;
  /** The provider configured when the payout was requested: it keeps that one for its whole life. */
  provider: string;
}

export interface Destination {
  /** What kind of account the money goes to, e.g. `bank_account`. */
  kind: string;
  /** Where exactly, in that kind's own terms (an IBAN, an account id at the provider). */
  reference: string;
}

export interface PayoutContext extends PayoutInput {
  amount: string;
  destination: Destination | null;
  /** The provider's (or the bank's) reference of the payment, once paid. */
  reference: string | null;
  failureReason: string | null;
}

type Ev<T extends string, P = object> = { type: T } & ActorFields & P;
export type PayoutEvent =
  | Ev<'REQUEST', { amount: string; destination: Destination }>
  | Ev<'CANCEL'>
  | Ev<'MARK_PAID', { reference: string }>
  | Ev<'MARK_FAILED', { reason: string }>
  | Ev<'PROCESS'>
  | Ev<'PROVIDER_PAID', { reference: string }>
  | Ev<'PROVIDER_FAILED', { reason: string }>;

export const destinationSchema = z.strictObject({
  kind: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a kind of account such as bank_account'),
  reference: text(200),
});

export const payoutPayloads = {
  REQUEST: z.strictObject({ amount: positiveMoneyString, destination: destinationSchema }),
  CANCEL: noPayload,
  MARK_PAID: z.strictObject({ reference: text(200) }),
  MARK_FAILED: z.strictObject({ reason: text(2000) }),
};

const move = (which: keyof typeof payoutMoves) =>
  ({
    type: 'moveMoney',
    params: ({ context }: { context: PayoutContext }) => ({ ...payoutMoves[which], amount: context.amount }),
  }) as const;

const notifyOwner = (type: string) => ({ type: 'notify', params: { to: 'owner' as const, type } }) as const;

export const payoutMachineV1 = setup({
  types: { context: {} as PayoutContext, events: {} as PayoutEvent, input: {} as PayoutInput },
  guards: guardsOf(payoutRulesV1),
  actions: { ...assignAll<PayoutContext, PayoutEvent>()(payoutUpdatesV1), ...moneyEffects, ...payoutEffectsV1 },
}).createMachine({
  id: 'payout',
  initial: 'draft',
  context: ({ input }) => initialPayoutContext(input),
  states: {
    // Never persisted on its own: the engine applies REQUEST in the transaction that creates the row.
    draft: {
      on: {
        REQUEST: [
          {
            guard: and(['actorMaySend', 'providerIsAutomatic']),
            target: 'requested',
            actions: ['recordRequest', 'handToProvider'],
          },
          { guard: 'actorMaySend', target: 'requested', actions: 'recordRequest' },
        ],
      },
    },
    // The money is held from here until the payout ends (tag read by verification and the ledger checks).
    requested: {
      tags: ['holds_funds'],
      entry: move('hold'),
      on: {
        CANCEL: { guard: 'actorMaySend', target: 'cancelled' },
        MARK_PAID: { guard: and(['actorMaySend', 'providerIsManual']), target: 'paid', actions: 'recordReference' },
        MARK_FAILED: { guard: and(['actorMaySend', 'providerIsManual']), target: 'failed', actions: 'recordFailure' },
        PROCESS: { guard: and(['actorMaySend', 'providerIsAutomatic']), target: 'processing' },
      },
    },
    // The provider has it: only its outcome moves the payout on (the owner can no longer take it back).
    processing: {
      tags: ['holds_funds'],
      on: {
        PROVIDER_PAID: { guard: 'actorMaySend', target: 'paid', actions: 'recordReference' },
        PROVIDER_FAILED: { guard: 'actorMaySend', target: 'failed', actions: 'recordFailure' },
      },
    },
    paid: { type: 'final', entry: [move('pay'), notifyOwner('payout.paid')] },
    failed: { type: 'final', entry: [move('release'), notifyOwner('payout.failed')] },
    cancelled: { type: 'final', entry: move('release') },
  },
});

/** States in which the payout hold account holds the payout's amount. */
export const openPayoutStates = ['requested', 'processing'];

export const payoutV1: MachineDefinition = {
  name: 'payout',
  version: 1,
  machine: payoutMachineV1,
  roles: payoutRoles,
  payloads: payoutPayloads,
  rules: payoutRulesV1,
  effectRules: [
    {
      id: 'insufficient_funds',
      events: ['REQUEST'],
      requires: "the owner's available balance in the currency covers the payout's amount",
    },
  ],
  deadlines: {},
  pendingStates: [],
};
