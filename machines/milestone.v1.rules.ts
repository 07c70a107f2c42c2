import type { MilestoneContext, MilestoneInput, SettlementKind } from './milestone.v1.js';
import { actorMaySendRule, type EventRoles, type PartyRole, type SentEvent } from './roles.js';
import { ruleBook } from './rules.js';
import type { Update } from './updates.js';

// The milestone's version 1 rules, context updates and effects (docs/concepts.md "Milestone"), typed with version 1's
// context and the event fields they read, so every later version reuses them as they are.

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

/** A milestone event of any version as version 1's rules and updates read it. */
export type MilestoneEventFields = SentEvent & { amount?: string; description?: string; reason?: string };

export const remainingOf = (c: MilestoneContext): bigint => BigInt(c.amount) - BigInt(c.releasedAmount);

export function initialMilestoneContext(input: MilestoneInput): MilestoneContext {
  return {
    ...input,
    amount: '0',
    releasedAmount: '0',
    description: '',
    releaseRequested: false,
    cancelRequested: false,
    cancelReason: null,
    pendingRelease: null,
    lastSettlementFailure: null,
  };
}

export const milestoneRulesV1 = ruleBook<MilestoneContext, MilestoneEventFields>()({
  actorMaySend: actorMaySendRule(milestoneRoles),
  // docs/concepts.md: RELEASE amount "must be 1..remaining"; absent means all that remains.
  releaseWithinRemaining: {
    id: 'release_within_remaining',
    kind: 'payload',
    check: ({ context, event }) => {
      if (event.type !== 'RELEASE' || event.amount === undefined) return true;
      const amount = BigInt(event.amount);
      return amount >= 1n && amount <= remainingOf(context);
    },
    message: ({ context, event }) =>
      BigInt(event.amount ?? '0') < 1n
        ? `RELEASE of ${event.amount ?? '0'} is not a release: the amount must be at least 1.`
        : `RELEASE of ${event.amount ?? '0'} exceeds the ${remainingOf(context)} that remains.`,
    details: ({ context, event }) => ({ requested: event.amount ?? null, remaining: String(remainingOf(context)) }),
  },
  // Chooses where SETTLED of a release leads (released, or back to in_progress with the rest pending).
  releaseSettlesRemainder: {
    id: 'release_settles_remainder',
    kind: 'state',
    check: ({ context }) => context.pendingRelease !== null && BigInt(context.pendingRelease) === remainingOf(context),
    message: ({ context }) =>
      `The release being settled (${context.pendingRelease ?? 'none'}) is not all of the ${remainingOf(context)} that remains.`,
    details: ({ context }) => ({ pendingRelease: context.pendingRelease, remaining: String(remainingOf(context)) }),
  },
  // docs/concepts.md: the freelancer's REQUEST_RELEASE "sets a flag"; once set, asking again changes nothing.
  releaseNotRequested: {
    id: 'release_already_requested',
    kind: 'state',
    check: ({ context }) => !context.releaseRequested,
    message: ({ event }) => `${event.type} is refused: the freelancer has already requested the release.`,
    details: () => ({ releaseRequested: true }),
  },
  // docs/concepts.md: "employer REQUEST_CANCEL {reason} (flag …); freelancer REJECT_CANCEL clears it".
  cancelNotRequested: {
    id: 'cancel_already_requested',
    kind: 'state',
    check: ({ context }) => !context.cancelRequested,
    message: ({ context, event }) =>
      `${event.type} is refused: a cancel request is already open (reason: ${context.cancelReason ?? 'none given'}).`,
    details: ({ context }) => ({ cancelRequested: true, cancelReason: context.cancelReason }),
  },
  cancelRequested: {
    id: 'no_open_cancel_request',
    kind: 'state',
    check: ({ context }) => context.cancelRequested,
    message: ({ event }) => `${event.type} is refused: the employer has no cancel request open.`,
    details: () => ({ cancelRequested: false }),
  },
});

export const milestoneUpdatesV1 = {
  recordTerms: ({ event }) =>
    event.type === 'CREATE' || event.type === 'REQUEST' ? { amount: event.amount, description: event.description } : {},
  recordPendingRelease: ({ context, event }) => ({
    pendingRelease:
      event.type === 'RELEASE' && event.amount !== undefined ? event.amount : remainingOf(context).toString(),
  }),
  recordRelease: ({ context }) => ({
    releasedAmount: (BigInt(context.releasedAmount) + BigInt(context.pendingRelease ?? '0')).toString(),
    pendingRelease: null,
    releaseRequested: false,
    lastSettlementFailure: null,
  }),
  recordSettlementFailure: ({ event }) => ({
    pendingRelease: null,
    lastSettlementFailure: event.type === 'SETTLEMENT_FAILED' ? event.reason : 'unknown',
  }),
  clearSettlementFailure: () => ({ lastSettlementFailure: null }),
  flagReleaseRequested: () => ({ releaseRequested: true }),
  flagCancelRequested: ({ event }) => ({
    cancelRequested: true,
    cancelReason: event.type === 'REQUEST_CANCEL' ? event.reason : null,
  }),
  clearCancelRequest: () => ({ cancelRequested: false, cancelReason: null }),
} satisfies Record<string, Update<MilestoneContext, MilestoneEventFields>>;

export interface Notice {
  to: PartyRole;
  type: string;
}

/** A related instance's event (the project's MILESTONE_*), delivered by the engine in the same transaction. */
export interface ProjectNotice {
  type: string;
  amount?: string;
}

// Effects are named actions with parameters; the engine turns them into outbox rows and derived events after
// transition() returns them, so the machine itself never performs I/O (STYLE §1).
export const milestoneEffectsV1 = {
  requestSettlement: (_args: unknown, _params: { kind: SettlementKind; amount: string }) => {},
  notify: (_args: unknown, _params: Notice) => {},
  informProject: (_args: unknown, _params: ProjectNotice) => {},
};
