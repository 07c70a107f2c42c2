import { and, assign, not, setup } from 'xstate';
import { z } from 'zod';
import type { MachineDefinition } from './definition.js';
import { noPayload, positiveMoneyString, text } from './payloads.js';
import { mayActorSend, type ActorFields, type EventRoles } from './roles.js';

// Milestone machine, version 1 (DESIGN.md "Milestone"): request / create, funding, release in full or in
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

export const milestoneRoles: EventRoles = {
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
};

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

const remainingOf = (c: MilestoneContext): bigint => BigInt(c.amount) - BigInt(c.releasedAmount);

// Tags: `settling` = a settlement command is in flight (API ?wait=settled); `holds_funds` = the escrow account
// holds amount − releasedAmount (ledger invariants, verification).
export const milestoneMachineV1 = setup({
  types: {
    context: {} as MilestoneContext,
    events: {} as MilestoneEvent,
    input: {} as MilestoneInput,
  },
  guards: {
    actorMaySend: ({ context, event }) => mayActorSend(milestoneRoles, context, event),
    // DESIGN.md: RELEASE amount "must be 1..remaining"; absent means all that remains.
    releaseWithinRemaining: ({ context, event }) => {
      if (event.type !== 'RELEASE' || event.amount === undefined) return true;
      const amount = BigInt(event.amount);
      return amount >= 1n && amount <= remainingOf(context);
    },
    releaseSettlesRemainder: ({ context }) =>
      context.pendingRelease !== null && BigInt(context.pendingRelease) === remainingOf(context),
    releaseRequested: ({ context }) => context.releaseRequested,
    cancelRequested: ({ context }) => context.cancelRequested,
  },
  actions: {
    // Effects are named actions with parameters; the engine turns them into outbox rows and derived events
    // after transition() returns them, so the machine itself never performs I/O (STYLE §1).
    requestSettlement: (_, _params: { kind: SettlementKind; amount: string }) => {},
    notify: (_, _params: { to: 'employer' | 'freelancer'; type: string }) => {},
    informProject: (_, _params: { type: string; amount?: string }) => {},
    recordTerms: assign(({ event }) =>
      event.type === 'CREATE' || event.type === 'REQUEST'
        ? { amount: event.amount, description: event.description }
        : {},
    ),
    recordPendingRelease: assign(({ context, event }) => ({
      pendingRelease:
        event.type === 'RELEASE' && event.amount !== undefined ? event.amount : remainingOf(context).toString(),
    })),
    recordRelease: assign(({ context }) => ({
      releasedAmount: (BigInt(context.releasedAmount) + BigInt(context.pendingRelease ?? '0')).toString(),
      pendingRelease: null,
      releaseRequested: false,
      lastSettlementFailure: null,
    })),
    recordSettlementFailure: assign(({ event }) => ({
      pendingRelease: null,
      lastSettlementFailure: event.type === 'SETTLEMENT_FAILED' ? event.reason : 'unknown',
    })),
    clearSettlementFailure: assign({ lastSettlementFailure: null }),
    flagReleaseRequested: assign({ releaseRequested: true }),
    flagCancelRequested: assign(({ event }) => ({
      cancelRequested: true,
      cancelReason: event.type === 'REQUEST_CANCEL' ? event.reason : null,
    })),
    clearCancelRequest: assign({ cancelRequested: false, cancelReason: null }),
  },
}).createMachine({
  id: 'milestone',
  initial: 'draft',
  context: ({ input }) => ({
    ...input,
    amount: '0',
    releasedAmount: '0',
    description: '',
    releaseRequested: false,
    cancelRequested: false,
    cancelReason: null,
    pendingRelease: null,
    lastSettlementFailure: null,
  }),
  states: {
    // Never persisted on its own: the engine applies CREATE or REQUEST in the transaction that creates the row.
    draft: {
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
    },
    requested: {
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
    },
    funding: {
      tags: ['settling'],
      entry: {
        type: 'requestSettlement',
        params: ({ context }) => ({ kind: 'fund' as const, amount: context.amount }),
      },
      on: {
        SETTLED: {
          guard: 'actorMaySend',
          target: 'in_progress',
          actions: [
            'clearSettlementFailure',
            { type: 'notify', params: { to: 'freelancer', type: 'milestone.funded' } },
          ],
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
    },
    // Nothing was taken from the employer; they may deposit and FUND again, or ABANDON.
    funding_failed: {
      on: {
        FUND: { guard: 'actorMaySend', target: 'funding' },
        ABANDON: {
          guard: 'actorMaySend',
          target: 'abandoned',
          actions: { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
        },
      },
    },
    in_progress: {
      tags: ['holds_funds'],
      on: {
        RELEASE: {
          guard: and(['actorMaySend', 'releaseWithinRemaining']),
          target: 'releasing',
          actions: 'recordPendingRelease',
        },
        REQUEST_RELEASE: {
          guard: and(['actorMaySend', not('releaseRequested')]),
          actions: [
            'flagReleaseRequested',
            { type: 'notify', params: { to: 'employer', type: 'milestone.release_requested' } },
          ],
        },
        REQUEST_CANCEL: {
          guard: and(['actorMaySend', not('cancelRequested')]),
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
    },
    // Settlement in flight: users can do nothing until the settlement worker reports back.
    releasing: {
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
              {
                type: 'informProject',
                params: ({ context }) => ({ type: 'MILESTONE_RELEASED', amount: context.pendingRelease ?? '0' }),
              },
              { type: 'informProject', params: { type: 'MILESTONE_CLOSED' } },
              'recordRelease',
              { type: 'notify', params: { to: 'freelancer', type: 'milestone.released' } },
            ],
          },
          {
            guard: 'actorMaySend',
            target: 'in_progress',
            actions: [
              {
                type: 'informProject',
                params: ({ context }) => ({ type: 'MILESTONE_RELEASED', amount: context.pendingRelease ?? '0' }),
              },
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
    },
    cancelling: {
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
    },
    released: { type: 'final' },
    cancelled: { type: 'final' },
    rejected: { type: 'final' },
    deleted: { type: 'final' },
    abandoned: { type: 'final' },
  },
});

export const milestoneV1: MachineDefinition = {
  name: 'milestone',
  version: 1,
  machine: milestoneMachineV1,
  roles: milestoneRoles,
  payloads: milestonePayloads,
};
