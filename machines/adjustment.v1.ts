import { and, setup } from 'xstate';
import { z } from 'zod';
import {
  adjustmentMove,
  adjustmentRoles,
  adjustmentRulesV1,
  adjustmentUpdatesV1,
  initialAdjustmentContext,
} from './adjustment.v1.rules.js';
import type { MachineDefinition } from './definition.js';
import { moneyEffects } from './money-moves.js';
import { noPayload, signedMoneyString, text } from './payloads.js';
import type { ActorFields } from './roles.js';
import { guardsOf } from './rules.js';
import { assignAll } from './updates.js';

// Adjustment machine, version 1 (docs/money.md "Adjustments"): a four-eyes correction of one owner's available
// balance. Support proposes a signed amount with a reason; another support actor, through another API client,
// approves it (the money moves between the owner's available balance and the platform's adjustments account, in
// the approval's transaction) or rejects it (nothing moves).

export interface AdjustmentInput {
  id: string;
  ownerId: string;
  currency: string;
}

/** Who sent a proposal or decision: the acting person and the API client it came through. */
export interface Signer {
  actor: string;
  client: string | null;
}

export interface AdjustmentContext extends AdjustmentInput {
  /** Signed decimal string of minor units: positive credits the owner, negative debits them. */
  amount: string;
  reason: string | null;
  proposedBy: Signer | null;
  decidedBy: Signer | null;
  rejectionReason: string | null;
}

type Ev<T extends string, P = object> = { type: T } & ActorFields & P;
export type AdjustmentEvent =
  Ev<'PROPOSE', { amount: string; reason: string }> | Ev<'APPROVE'> | Ev<'REJECT', { reason?: string }>;

export const adjustmentPayloads = {
  PROPOSE: z.strictObject({ amount: signedMoneyString, reason: text(2000) }),
  APPROVE: noPayload,
  REJECT: z.strictObject({ reason: text(2000).optional() }),
};

const decided = ['actorMaySend', 'otherActorThanProposer', 'otherClientThanProposer'] as const;

export const adjustmentMachineV1 = setup({
  types: { context: {} as AdjustmentContext, events: {} as AdjustmentEvent, input: {} as AdjustmentInput },
  guards: guardsOf(adjustmentRulesV1),
  actions: { ...assignAll<AdjustmentContext, AdjustmentEvent>()(adjustmentUpdatesV1), ...moneyEffects },
}).createMachine({
  id: 'adjustment',
  initial: 'draft',
  context: ({ input }) => initialAdjustmentContext(input),
  states: {
    // Never persisted on its own: the engine applies PROPOSE in the transaction that creates the row.
    draft: {
      on: { PROPOSE: { guard: 'actorMaySend', target: 'proposed', actions: 'recordProposal' } },
    },
    proposed: {
      on: {
        APPROVE: { guard: and([...decided]), target: 'applied', actions: 'recordDecision' },
        REJECT: { guard: and([...decided]), target: 'rejected', actions: ['recordDecision', 'recordRejection'] },
      },
    },
    applied: {
      type: 'final',
      entry: {
        type: 'moveMoney',
        params: ({ context }: { context: AdjustmentContext }) => adjustmentMove(context.amount),
      },
    },
    rejected: { type: 'final' },
  },
});

export const adjustmentV1: MachineDefinition = {
  name: 'adjustment',
  version: 1,
  machine: adjustmentMachineV1,
  roles: adjustmentRoles,
  payloads: adjustmentPayloads,
  rules: adjustmentRulesV1,
  effectRules: [
    {
      id: 'insufficient_funds',
      events: ['APPROVE'],
      requires: "a negative adjustment's amount is covered by the owner's available balance in the currency",
    },
  ],
  deadlines: {},
  pendingStates: [],
};
