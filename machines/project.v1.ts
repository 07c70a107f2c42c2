import { and, assign, setup } from 'xstate';
import { z } from 'zod';
import type { MachineDefinition } from './definition.js';
import { noPayload, text } from './payloads.js';
import { mayActorSend, roleOf, type ActorFields, type EventRoles } from './roles.js';

// Project lifecycle, version 1 (DESIGN.md "Project"). The milestone counters are fed by derived events
// (MILESTONE_*) that the engine delivers in the same transaction as the milestone event that caused them.

export interface ProjectInput {
  id: string;
  employerId: string;
  title: string;
  currency: string;
}

export interface Feedback {
  role: 'employer' | 'freelancer';
  actor: string;
  rating: number;
  comment: string | null;
}

export interface ProjectContext extends ProjectInput {
  freelancerId: string | null;
  /** Milestones funded or being funded and not yet closed (released, cancelled or abandoned). */
  pendingMilestones: number;
  releasedTotal: string;
  feedback: Feedback[];
}

type Ev<T extends string, P = object> = { type: T } & ActorFields & P;
export type ProjectEvent =
  | Ev<'AWARD', { freelancerId: string }>
  | Ev<'ACCEPT_AWARD'>
  | Ev<'REJECT_AWARD'>
  | Ev<'CANCEL_PROJECT'>
  | Ev<'COMPLETE'>
  | Ev<'MARK_INCOMPLETE'>
  | Ev<'LEAVE_FEEDBACK', { rating: number; comment?: string }>
  | Ev<'MILESTONE_REQUESTED', { milestoneId: string }>
  | Ev<'MILESTONE_OPENED', { milestoneId: string }>
  | Ev<'MILESTONE_RELEASED', { milestoneId: string; amount: string }>
  | Ev<'MILESTONE_CLOSED', { milestoneId: string }>;

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

export const projectPayloads = {
  AWARD: z.strictObject({ freelancerId: text(200) }),
  ACCEPT_AWARD: noPayload,
  REJECT_AWARD: noPayload,
  CANCEL_PROJECT: noPayload,
  COMPLETE: noPayload,
  MARK_INCOMPLETE: noPayload,
  LEAVE_FEEDBACK: z.strictObject({ rating: z.number().int().min(1).max(5), comment: z.string().max(5000).optional() }),
};

const hasReleased = (c: ProjectContext): boolean => BigInt(c.releasedTotal) > 0n;

export const projectMachineV1 = setup({
  types: {
    context: {} as ProjectContext,
    events: {} as ProjectEvent,
    input: {} as ProjectInput,
  },
  guards: {
    actorMaySend: ({ context, event }) => mayActorSend(projectRoles, context, event),
    awardeeIsNotEmployer: ({ context, event }) => event.type === 'AWARD' && event.freelancerId !== context.employerId,
    // DESIGN.md: CANCEL_PROJECT "only while no milestone is pending and nothing was ever released".
    nothingPendingOrReleased: ({ context }) => context.pendingMilestones === 0 && !hasReleased(context),
    // DESIGN.md: COMPLETE "requires no pending milestones".
    noPendingMilestones: ({ context }) => context.pendingMilestones === 0,
    // A release or close without an open milestone would be an engine bug; refusing it rolls the milestone
    // event back.
    hasPendingMilestones: ({ context }) => context.pendingMilestones > 0,
    // DESIGN.md: once anything was released the project ends as completed or incomplete; before that, cancel it.
    anythingReleased: ({ context }) => hasReleased(context),
    // DESIGN.md: each party once, only if at least one milestone was released.
    mayLeaveFeedback: ({ context, event }) => {
      const role = roleOf(context, event);
      return hasReleased(context) && !context.feedback.some((f) => f.role === role);
    },
  },
  actions: {
    notify: (_, _params: { to: 'employer' | 'freelancer'; type: string }) => {},
    recordAward: assign(({ event }) => ({ freelancerId: event.type === 'AWARD' ? event.freelancerId : null })),
    clearAward: assign({ freelancerId: null }),
    countOpened: assign(({ context }) => ({ pendingMilestones: context.pendingMilestones + 1 })),
    countClosed: assign(({ context }) => ({ pendingMilestones: context.pendingMilestones - 1 })),
    addReleased: assign(({ context, event }) => ({
      releasedTotal:
        event.type === 'MILESTONE_RELEASED'
          ? (BigInt(context.releasedTotal) + BigInt(event.amount)).toString()
          : context.releasedTotal,
    })),
    recordFeedback: assign(({ context, event }) => {
      if (event.type !== 'LEAVE_FEEDBACK') return {};
      const role = roleOf(context, event) === 'employer' ? 'employer' : 'freelancer';
      return {
        feedback: [
          ...context.feedback,
          { role, actor: event.actor, rating: event.rating, comment: event.comment ?? null },
        ],
      };
    }),
  },
}).createMachine({
  id: 'project',
  initial: 'open',
  context: ({ input }) => ({ ...input, freelancerId: null, pendingMilestones: 0, releasedTotal: '0', feedback: [] }),
  states: {
    open: {
      on: {
        AWARD: {
          guard: and(['actorMaySend', 'awardeeIsNotEmployer']),
          target: 'awarded',
          actions: ['recordAward', { type: 'notify', params: { to: 'freelancer', type: 'project.awarded' } }],
        },
        CANCEL_PROJECT: { guard: 'actorMaySend', target: 'cancelled' },
      },
    },
    awarded: {
      on: {
        ACCEPT_AWARD: {
          guard: 'actorMaySend',
          target: 'in_progress',
          actions: { type: 'notify', params: { to: 'employer', type: 'project.award_accepted' } },
        },
        REJECT_AWARD: {
          guard: 'actorMaySend',
          target: 'open',
          actions: [{ type: 'notify', params: { to: 'employer', type: 'project.award_rejected' } }, 'clearAward'],
        },
        CANCEL_PROJECT: { guard: 'actorMaySend', target: 'cancelled' },
      },
    },
    in_progress: {
      on: {
        // Recorded in the project's history; the explicit target makes it a real (if context-neutral) transition,
        // which is also how the project refuses requests outside in_progress.
        MILESTONE_REQUESTED: { guard: 'actorMaySend', target: 'in_progress' },
        MILESTONE_OPENED: { guard: 'actorMaySend', actions: 'countOpened' },
        MILESTONE_RELEASED: { guard: and(['actorMaySend', 'hasPendingMilestones']), actions: 'addReleased' },
        MILESTONE_CLOSED: { guard: and(['actorMaySend', 'hasPendingMilestones']), actions: 'countClosed' },
        CANCEL_PROJECT: { guard: and(['actorMaySend', 'nothingPendingOrReleased']), target: 'cancelled' },
        COMPLETE: { guard: and(['actorMaySend', 'noPendingMilestones']), target: 'completed' },
        MARK_INCOMPLETE: { guard: and(['actorMaySend', 'anythingReleased']), target: 'incomplete' },
      },
    },
    completed: {
      on: {
        LEAVE_FEEDBACK: { guard: and(['actorMaySend', 'mayLeaveFeedback']), actions: 'recordFeedback' },
      },
    },
    // Milestones still pending when the project was marked incomplete run to their end.
    incomplete: {
      on: {
        MILESTONE_RELEASED: { guard: and(['actorMaySend', 'hasPendingMilestones']), actions: 'addReleased' },
        MILESTONE_CLOSED: { guard: and(['actorMaySend', 'hasPendingMilestones']), actions: 'countClosed' },
      },
    },
    cancelled: { type: 'final' },
  },
});

export const projectV1: MachineDefinition = {
  name: 'project',
  version: 1,
  machine: projectMachineV1,
  roles: projectRoles,
  payloads: projectPayloads,
};
