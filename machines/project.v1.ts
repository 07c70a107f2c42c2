import { and, setup } from 'xstate';
import { z } from 'zod';
import type { MachineDefinition } from './definition.js';
import { noPayload, text } from './payloads.js';
import {
  initialProjectContext,
  projectEffectsV1,
  projectRoles,
  projectRulesV1,
  projectUpdatesV1,
  type ProjectEventFields,
} from './project.v1.rules.js';
import type { ActorFields } from './roles.js';
import { guardsOf } from './rules.js';
import { assignAll } from './updates.js';

export { projectRoles } from './project.v1.rules.js';

// Project lifecycle, version 1 (docs/concepts.md "Project"). The milestone counters are fed by derived events
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

export const projectPayloads = {
  AWARD: z.strictObject({ freelancerId: text(200) }),
  ACCEPT_AWARD: noPayload,
  REJECT_AWARD: noPayload,
  CANCEL_PROJECT: noPayload,
  COMPLETE: noPayload,
  MARK_INCOMPLETE: noPayload,
  LEAVE_FEEDBACK: z.strictObject({ rating: z.number().int().min(1).max(5), comment: z.string().max(5000).optional() }),
};

// Version 1's states, typed with its base context and the event fields its rules read: later versions spread
// them into their own machines (their context extends this one, their events carry these fields).
const family = setup({
  types: { context: {} as ProjectContext, events: {} as ProjectEventFields },
  guards: guardsOf(projectRulesV1),
  actions: { ...assignAll<ProjectContext, ProjectEventFields>()(projectUpdatesV1), ...projectEffectsV1 },
});

export const projectStatesV1 = {
  open: family.createStateConfig({
    on: {
      AWARD: {
        guard: and(['actorMaySend', 'awardeeIsNotEmployer']),
        target: 'awarded',
        actions: ['recordAward', { type: 'notify', params: { to: 'freelancer', type: 'project.awarded' } }],
      },
      CANCEL_PROJECT: { guard: 'actorMaySend', target: 'cancelled' },
    },
  }),
  awarded: family.createStateConfig({
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
  }),
  in_progress: family.createStateConfig({
    on: {
      // Recorded in the project's history; the explicit target makes it a real (if context-neutral) transition,
      // which is also how the project refuses requests outside in_progress.
      MILESTONE_REQUESTED: { guard: 'actorMaySend', target: 'in_progress' },
      MILESTONE_OPENED: { guard: 'actorMaySend', actions: 'countOpened' },
      MILESTONE_RELEASED: { guard: and(['actorMaySend', 'hasPendingMilestones']), actions: 'addReleased' },
      MILESTONE_CLOSED: { guard: and(['actorMaySend', 'hasPendingMilestones']), actions: 'countClosed' },
      CANCEL_PROJECT: {
        guard: and(['actorMaySend', 'noPendingMilestones', 'nothingReleased']),
        target: 'cancelled',
      },
      COMPLETE: { guard: and(['actorMaySend', 'noPendingMilestones']), target: 'completed' },
      MARK_INCOMPLETE: { guard: and(['actorMaySend', 'anythingReleased']), target: 'incomplete' },
    },
  }),
  completed: family.createStateConfig({
    on: {
      LEAVE_FEEDBACK: {
        guard: and(['actorMaySend', 'anythingReleased', 'feedbackNotYetLeft']),
        actions: 'recordFeedback',
      },
    },
  }),
  // Milestones still pending when the project was marked incomplete run to their end.
  incomplete: family.createStateConfig({
    on: {
      MILESTONE_RELEASED: { guard: and(['actorMaySend', 'hasPendingMilestones']), actions: 'addReleased' },
      MILESTONE_CLOSED: { guard: and(['actorMaySend', 'hasPendingMilestones']), actions: 'countClosed' },
    },
  }),
  cancelled: family.createStateConfig({ type: 'final' }),
};

export const projectMachineV1 = setup({
  types: {
    context: {} as ProjectContext,
    events: {} as ProjectEvent,
    input: {} as ProjectInput,
  },
  guards: guardsOf(projectRulesV1),
  actions: { ...assignAll<ProjectContext, ProjectEvent>()(projectUpdatesV1), ...projectEffectsV1 },
}).createMachine({
  id: 'project',
  initial: 'open',
  context: ({ input }) => initialProjectContext(input),
  states: projectStatesV1,
});

export const projectV1: MachineDefinition = {
  name: 'project',
  version: 1,
  machine: projectMachineV1,
  roles: projectRoles,
  payloads: projectPayloads,
  rules: projectRulesV1,
  effectRules: [],
  deadlines: {},
  pendingStates: [],
};
