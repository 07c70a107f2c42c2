import { and, setup } from 'xstate';
import { z } from 'zod';
import type { MachineDefinition } from './definition.js';
import {
  initialMilestoneContext,
  milestoneEffectsV1,
  milestoneRoles,
  milestoneRulesV1,
  milestoneUpdatesV1,
  remainingOf,
  type MilestoneEventFields,
} from './milestone.v1.rules.js';
import { noPayload, positiveMoneyString, text } from './payloads.js';
import type { ActorFields } from './roles.js';
import { guardsOf } from './rules.js';
import { assignAll } from './updates.js';

export { milestoneRoles } from './milestone.v1.rules.js';

// Milestone machine, version 1 (docs/concepts.md "Milestone"): request / create, funding, release in full or in
// part, release and cancel requests, freelancer cancel. Disputes arrive in version 2. Money in context and
// events is a decimal string of minor units because snapshots are JSON; arithmetic is done in bigint.

export interface MilestoneInput {
  id: string;
  projectId: string;
  employerId: string;
  freelancerId: string;
  currency: string;
}

export interface MilestoneContext extends MilestoneInput {
  amount: string;
  releasedAmount: string;
  description: string;
  releaseRequested: boolean;
  cancelRequested: boolean;
  cancelReason: string | null;
  /** Amount of the release being settled while in `releasing`. */
  pendingRelease: string | null;
  lastSettlementFailure: string | null;
}

export type SettlementKind = 'fund' | 'release' | 'cancel';

type Ev<T extends string, P = object> = { type: T } & ActorFields & P;
export type MilestoneEvent =
  | Ev<'CREATE', { amount: string; description: string }>
  | Ev<'REQUEST', { amount: string; description: string }>
  | Ev<'ACCEPT_REQUEST'>
  | Ev<'REJECT_REQUEST'>
  | Ev<'DELETE_REQUEST'>
  | Ev<'FUND'>
  | Ev<'ABANDON'>
  | Ev<'RELEASE', { amount?: string }>
  | Ev<'REQUEST_RELEASE'>
  | Ev<'REQUEST_CANCEL', { reason: string }>
  | Ev<'REJECT_CANCEL'>
  | Ev<'CANCEL'>
  | Ev<'SETTLED'>
  | Ev<'SETTLEMENT_FAILED', { reason: string }>;

const creation = z.strictObject({ amount: positiveMoneyString, description: text(2000) });

export const milestonePayloads = {
  CREATE: creation,
  REQUEST: creation,
  ACCEPT_REQUEST: noPayload,
  REJECT_REQUEST: noPayload,
  DELETE_REQUEST: noPayload,
  FUND: noPayload,
  ABANDON: noPayload,
  RELEASE: z.strictObject({ amount: positiveMoneyString.optional() }),
  REQUEST_RELEASE: noPayload,
  REQUEST_CANCEL: z.strictObject({ reason: text(2000) }),
  REJECT_CANCEL: noPayload,
  CANCEL: noPayload,
};

// Version 1's states, typed with its base context and the event fields its rules read: later versions spread
// them into their own machines (their context extends this one, their events carry these fields).
const family = setup({
  types: { context: {} as MilestoneContext, events: {} as MilestoneEventFields },
  guards: guardsOf(milestoneRulesV1),
  actions: { ...assignAll<MilestoneContext, MilestoneEventFields>()(milestoneUpdatesV1), ...milestoneEffectsV1 },
});

const released = (type: 'MILESTONE_RELEASED') =>
  ({
    type: 'informProject',
    params: ({ context }: { context: MilestoneContext }) => ({ type, amount: context.pendingRelease ?? '0' }),
  }) as const;

// Tags: `settling` = a settlement command is in flight (API ?wait=settled); `holds_funds` = the escrow account
// holds amount − releasedAmount (ledger invariants, verification).
export const milestoneStatesV1 = {
  // Never persisted on its own: the engine applies CREATE or REQUEST in the transaction that creates the row.
  draft: family.createStateConfig({
    on: {
      CREATE: {
        guard: 'actorMaySend',
        target: 'funding',
        actions: ['recordTerms', { type: 'informProject', params: { type: 'MILESTONE_OPENED' } }],
      },
      REQUEST: {
        guard: 'actorMaySend',
        target: 'requested',
        actions: [
          'recordTerms',
          { type: 'informProject', params: { type: 'MILESTONE_REQUESTED' } },
          { type: 'notify', params: { to: 'employer', type: 'milestone.requested' } },
        ],
      },
    },
  }),
  requested: family.createStateConfig({
    on: {
      ACCEPT_REQUEST: {
        guard: 'actorMaySend',
        target: 'funding',
        actions: { type: 'informProject', params: { type: 'MILESTONE_OPENED' } },
      },
      REJECT_REQUEST: {
        guard: 'actorMaySend',
        target: 'rejected',
        actions: { type: 'notify', params: { to: 'freelancer', type: 'milestone.request_rejected' } },
      },
      DELETE_REQUEST: { guard: 'actorMaySend', target: 'deleted' },
    },
  }),
  funding: family.createStateConfig({
    tags: ['settling'],
    entry: { type: 'requestSettlement', params: ({ context }) => ({ kind: 'fund' as const, amount: context.amount }) },
    on: {
      SETTLED: {
        guard: 'actorMaySend',
        target: 'in_progress',
        actions: ['clearSettlementFailure', { type: 'notify', params: { to: 'freelancer', type: 'milestone.funded' } }],
      },
      SETTLEMENT_FAILED: {
        guard: 'actorMaySend',
        target: 'funding_failed',
        actions: [
          'recordSettlementFailure',
          { type: 'notify', params: { to: 'employer', type: 'milestone.funding_failed' } },
        ],
      },
    },
  }),
  // Nothing was taken from the employer; they may deposit and FUND again, or ABANDON.
  funding_failed: family.createStateConfig({
    on: {
      FUND: { guard: 'actorMaySend', target: 'funding' },
      ABANDON: {
        guard: 'actorMaySend',
        target: 'abandoned',
        actions: { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
      },
    },
  }),
  in_progress: family.createStateConfig({
    tags: ['holds_funds'],
    on: {
      RELEASE: {
        guard: and(['actorMaySend', 'releaseWithinRemaining']),
        target: 'releasing',
        actions: 'recordPendingRelease',
      },
      REQUEST_RELEASE: {
        guard: and(['actorMaySend', 'releaseNotRequested']),
        actions: [
          'flagReleaseRequested',
          { type: 'notify', params: { to: 'employer', type: 'milestone.release_requested' } },
        ],
      },
      REQUEST_CANCEL: {
        guard: and(['actorMaySend', 'cancelNotRequested']),
        actions: [
          'flagCancelRequested',
          { type: 'notify', params: { to: 'freelancer', type: 'milestone.cancel_requested' } },
        ],
      },
      REJECT_CANCEL: {
        guard: and(['actorMaySend', 'cancelRequested']),
        actions: [
          'clearCancelRequest',
          { type: 'notify', params: { to: 'employer', type: 'milestone.cancel_rejected' } },
        ],
      },
      CANCEL: { guard: 'actorMaySend', target: 'cancelling' },
    },
  }),
  // Settlement in flight: users can do nothing until the settlement worker reports back.
  releasing: family.createStateConfig({
    tags: ['settling', 'holds_funds'],
    entry: {
      type: 'requestSettlement',
      params: ({ context }) => ({ kind: 'release' as const, amount: context.pendingRelease ?? '0' }),
    },
    on: {
      SETTLED: [
        {
          guard: and(['actorMaySend', 'releaseSettlesRemainder']),
          target: 'released',
          actions: [
            released('MILESTONE_RELEASED'),
            { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
            'recordRelease',
            { type: 'notify', params: { to: 'freelancer', type: 'milestone.released' } },
          ],
        },
        {
          guard: 'actorMaySend',
          target: 'in_progress',
          actions: [
            released('MILESTONE_RELEASED'),
            'recordRelease',
            { type: 'notify', params: { to: 'freelancer', type: 'milestone.partially_released' } },
          ],
        },
      ],
      // Releasing from escrow cannot lack funds; should the ledger refuse anyway, the milestone goes back to
      // in_progress with the failure visible, and the employer can try again.
      SETTLEMENT_FAILED: {
        guard: 'actorMaySend',
        target: 'in_progress',
        actions: [
          'recordSettlementFailure',
          { type: 'notify', params: { to: 'employer', type: 'milestone.release_failed' } },
        ],
      },
    },
  }),
  cancelling: family.createStateConfig({
    tags: ['settling', 'holds_funds'],
    entry: {
      type: 'requestSettlement',
      params: ({ context }) => ({ kind: 'cancel' as const, amount: remainingOf(context).toString() }),
    },
    on: {
      SETTLED: {
        guard: 'actorMaySend',
        target: 'cancelled',
        actions: [
          { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
          { type: 'notify', params: { to: 'employer', type: 'milestone.cancelled' } },
        ],
      },
      SETTLEMENT_FAILED: {
        guard: 'actorMaySend',
        target: 'in_progress',
        actions: [
          'recordSettlementFailure',
          { type: 'notify', params: { to: 'freelancer', type: 'milestone.cancel_failed' } },
        ],
      },
    },
  }),
  released: family.createStateConfig({ type: 'final' }),
  cancelled: family.createStateConfig({ type: 'final' }),
  rejected: family.createStateConfig({ type: 'final' }),
  deleted: family.createStateConfig({ type: 'final' }),
  abandoned: family.createStateConfig({ type: 'final' }),
};

export const milestoneMachineV1 = setup({
  types: {
    context: {} as MilestoneContext,
    events: {} as MilestoneEvent,
    input: {} as MilestoneInput,
  },
  guards: guardsOf(milestoneRulesV1),
  actions: { ...assignAll<MilestoneContext, MilestoneEvent>()(milestoneUpdatesV1), ...milestoneEffectsV1 },
}).createMachine({
  id: 'milestone',
  initial: 'draft',
  context: ({ input }) => initialMilestoneContext(input),
  states: milestoneStatesV1,
});

/** Top-level states in which a milestone counts as pending for its project (opened, not yet closed). */
export const pendingStatesV1 = ['funding', 'funding_failed', 'in_progress', 'releasing', 'cancelling'];

export const milestoneV1: MachineDefinition = {
  name: 'milestone',
  version: 1,
  machine: milestoneMachineV1,
  roles: milestoneRoles,
  payloads: milestonePayloads,
  rules: milestoneRulesV1,
  effectRules: [],
  deadlines: {},
  pendingStates: pendingStatesV1,
};
