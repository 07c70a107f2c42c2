import type { ProjectContext, ProjectInput } from './project.v1.js';
import { actorMaySendRule, partyOf, type EventRoles, type PartyRole, type SentEvent } from './roles.js';
import { ruleBook } from './rules.js';
import type { Update } from './updates.js';

// The project's version 1 rules, context updates and effects (docs/concepts.md "Project"), typed with version 1's
// context and the event fields they read, so every later version reuses them as they are.

export const projectRoles: EventRoles = {
  AWARD: ['employer'],
  ACCEPT_AWARD: ['freelancer'],
  REJECT_AWARD: ['freelancer'],
  CANCEL_PROJECT: ['employer'],
  COMPLETE: ['employer'],
  MARK_INCOMPLETE: ['employer'],
  LEAVE_FEEDBACK: ['employer', 'freelancer'],
  MILESTONE_REQUESTED: ['system'],
  MILESTONE_OPENED: ['system'],
  MILESTONE_RELEASED: ['system'],
  MILESTONE_CLOSED: ['system'],
};

/** A project event of any version as version 1's rules and updates read it. */
export type ProjectEventFields = SentEvent & {
  freelancerId?: string;
  rating?: number;
  comment?: string;
  amount?: string;
  milestoneId?: string;
};

export function initialProjectContext(input: ProjectInput): ProjectContext {
  return { ...input, freelancerId: null, pendingMilestones: 0, releasedTotal: '0', feedback: [] };
}

const hasReleased = (c: ProjectContext): boolean => BigInt(c.releasedTotal) > 0n;
const pendingCount = (c: ProjectContext) =>
  c.pendingMilestones === 1 ? '1 milestone is' : `${c.pendingMilestones} milestones are`;

export const projectRulesV1 = ruleBook<ProjectContext, ProjectEventFields>()({
  actorMaySend: actorMaySendRule(projectRoles),
  awardeeIsNotEmployer: {
    id: 'awardee_not_employer',
    kind: 'payload',
    check: ({ context, event }) => event.type === 'AWARD' && event.freelancerId !== context.employerId,
    message: ({ event }) =>
      `${event.type} to ${event.freelancerId ?? 'nobody'}: the employer cannot be the freelancer.`,
    details: ({ event }) => ({ freelancerId: event.freelancerId ?? null }),
  },
  // docs/concepts.md: CANCEL_PROJECT "only while no milestone is pending"; COMPLETE "requires no pending milestones".
  // The pending milestones' ids and states are the database's to list (lookup), not the machine's.
  noPendingMilestones: {
    id: 'nothing_pending',
    kind: 'state',
    lookup: 'pendingChildren',
    check: ({ context }) => context.pendingMilestones === 0,
    message: ({ context, event }) => `${event.type} needs every milestone closed; ${pendingCount(context)} pending.`,
    details: ({ context }) => ({ pendingCount: context.pendingMilestones }),
  },
  // docs/concepts.md: CANCEL_PROJECT only while "nothing was ever released".
  nothingReleased: {
    id: 'nothing_released',
    kind: 'state',
    check: ({ context }) => !hasReleased(context),
    message: ({ context, event }) =>
      `${event.type} is refused: ${context.releasedTotal} was released, so the project ends as completed or incomplete.`,
    details: ({ context }) => ({ releasedTotal: context.releasedTotal }),
  },
  // A release or close without an open milestone would be an engine bug; refusing it rolls the milestone
  // event back.
  hasPendingMilestones: {
    id: 'milestone_pending',
    kind: 'state',
    check: ({ context }) => context.pendingMilestones > 0,
    message: ({ event }) => `${event.type} for a project with no pending milestone.`,
    details: ({ context }) => ({ pendingCount: context.pendingMilestones }),
  },
  // docs/concepts.md: once anything was released the project ends as completed or incomplete (before that, cancel it);
  // feedback only "if at least one milestone was released".
  anythingReleased: {
    id: 'something_released',
    kind: 'state',
    check: ({ context }) => hasReleased(context),
    message: ({ event }) => `${event.type} needs at least one released milestone; nothing was released.`,
    details: ({ context }) => ({ releasedTotal: context.releasedTotal }),
  },
  // docs/concepts.md: each party leaves feedback once.
  feedbackNotYetLeft: {
    id: 'feedback_already_left',
    kind: 'state',
    check: ({ context, event }) => !context.feedback.some((f) => f.role === partyOf(context, event)),
    message: ({ context, event }) => `The ${partyOf(context, event)} has already left feedback on this project.`,
    details: ({ context, event }) => ({ role: partyOf(context, event) }),
  },
});

export const projectUpdatesV1 = {
  recordAward: ({ event }) => ({ freelancerId: event.type === 'AWARD' ? event.freelancerId : null }),
  clearAward: () => ({ freelancerId: null }),
  countOpened: ({ context }) => ({ pendingMilestones: context.pendingMilestones + 1 }),
  countClosed: ({ context }) => ({ pendingMilestones: context.pendingMilestones - 1 }),
  addReleased: ({ context, event }) => ({
    releasedTotal:
      event.type === 'MILESTONE_RELEASED' && event.amount !== undefined
        ? (BigInt(context.releasedTotal) + BigInt(event.amount)).toString()
        : context.releasedTotal,
  }),
  recordFeedback: ({ context, event }) => {
    if (event.type !== 'LEAVE_FEEDBACK' || event.rating === undefined) return {};
    const feedback = { role: partyOf(context, event), actor: event.actor, rating: event.rating };
    return { feedback: [...context.feedback, { ...feedback, comment: event.comment ?? null }] };
  },
} satisfies Record<string, Update<ProjectContext, ProjectEventFields>>;

// Effects: named, parameterised, carried out by the engine (outbox rows).
export const projectEffectsV1 = {
  notify: (_args: unknown, _params: { to: PartyRole; type: string }) => {},
};
