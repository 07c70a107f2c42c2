import { and, assign, cancel, not, raise, setup } from 'xstate';
import { z } from 'zod';
import type { MachineDefinition } from './definition.js';
import { noPayload } from './payloads.js';
import {
  projectMachineV1,
  projectPayloads,
  projectRoles,
  type ProjectContext,
  type ProjectEvent,
  type ProjectInput,
} from './project.v1.js';
import { mayActorSend, type ActorFields, type EventRoles } from './roles.js';

// Project lifecycle, version 2: version 1 plus two durable deadlines (DESIGN.md "Project"):
// - the feedback window: LEAVE_FEEDBACK is possible for a configurable time after completion, then `closed`;
// - a freelancer's request to cancel the project, which the employer may accept or reject; ignored, it is
//   auto-accepted after a configurable time, but only when no milestone is pending (and, as for any project
//   cancellation, nothing was ever released); otherwise it lapses.

export interface ProjectRules {
  feedbackWindowMs: number;
  cancelRequestMs: number;
}

export interface ProjectInputV2 extends ProjectInput {
  rules: ProjectRules;
}

export interface ProjectContextV2 extends ProjectContext {
  rules: ProjectRules;
  cancelRequested: boolean;
}

type Ev<T extends string> = { type: T } & ActorFields;
export type ProjectEventV2 =
  | ProjectEvent
  | Ev<'REQUEST_PROJECT_CANCEL'>
  | Ev<'ACCEPT_PROJECT_CANCEL'>
  | Ev<'REJECT_PROJECT_CANCEL'>
  | Ev<'CANCEL_REQUEST_TIMEOUT'>
  | Ev<'FEEDBACK_WINDOW_CLOSED'>;

export const projectRolesV2: EventRoles = {
  ...projectRoles,
  REQUEST_PROJECT_CANCEL: ['freelancer'],
  ACCEPT_PROJECT_CANCEL: ['employer'],
  REJECT_PROJECT_CANCEL: ['employer'],
  CANCEL_REQUEST_TIMEOUT: ['system'],
  FEEDBACK_WINDOW_CLOSED: ['system'],
};

export const projectPayloadsV2: Readonly<Record<string, z.ZodObject>> = {
  ...projectPayloads,
  REQUEST_PROJECT_CANCEL: noPayload,
  ACCEPT_PROJECT_CANCEL: noPayload,
  REJECT_PROJECT_CANCEL: noPayload,
};

const v1 = projectMachineV1;
// Version 1's rule implementations, reused by name (typed against v1's narrower context and events).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v1Guards = v1.implementations.guards as Record<string, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v1Actions = v1.implementations.actions as Record<string, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v1States = v1.config.states as Record<string, any>;

const cancelRequestTimer = 'cancel-request';

export const projectMachineV2 = setup({
  types: {
    context: {} as ProjectContextV2,
    events: {} as ProjectEventV2,
    input: {} as ProjectInputV2,
  },
  guards: {
    awardeeIsNotEmployer: v1Guards.awardeeIsNotEmployer,
    nothingPendingOrReleased: v1Guards.nothingPendingOrReleased,
    noPendingMilestones: v1Guards.noPendingMilestones,
    hasPendingMilestones: v1Guards.hasPendingMilestones,
    anythingReleased: v1Guards.anythingReleased,
    mayLeaveFeedback: v1Guards.mayLeaveFeedback,
    actorMaySend: ({ context, event }) => mayActorSend(projectRolesV2, context, event),
    cancelRequested: ({ context }) => context.cancelRequested,
  },
  actions: {
    recordAward: v1Actions.recordAward,
    clearAward: v1Actions.clearAward,
    countOpened: v1Actions.countOpened,
    countClosed: v1Actions.countClosed,
    addReleased: v1Actions.addReleased,
    recordFeedback: v1Actions.recordFeedback,
    notify: (_, _params: { to: 'employer' | 'freelancer'; type: string }) => {},
    flagCancelRequested: assign({ cancelRequested: true }),
    clearCancelRequest: assign({ cancelRequested: false }),
  },
  delays: {
    feedbackWindow: ({ context }) => context.rules.feedbackWindowMs,
    cancelRequestWindow: ({ context }) => context.rules.cancelRequestMs,
  },
}).createMachine({
  id: 'project',
  initial: 'open',
  context: ({ input }) => ({
    ...(v1.config.context as (args: { input: ProjectInput }) => ProjectContext)({ input }),
    rules: input.rules,
    cancelRequested: false,
  }),
  states: {
    ...v1States,
    in_progress: {
      // Leaving in_progress by any route ends a pending cancel request's deadline.
      exit: cancel(cancelRequestTimer),
      on: {
        ...v1States.in_progress.on,
        REQUEST_PROJECT_CANCEL: {
          guard: and(['actorMaySend', not('cancelRequested')]),
          actions: [
            'flagCancelRequested',
            raise(
              { type: 'CANCEL_REQUEST_TIMEOUT', actor: 'system' },
              { delay: 'cancelRequestWindow', id: cancelRequestTimer },
            ),
            { type: 'notify', params: { to: 'employer', type: 'project.cancel_requested' } },
          ],
        },
        ACCEPT_PROJECT_CANCEL: {
          guard: and(['actorMaySend', 'cancelRequested', 'nothingPendingOrReleased']),
          target: 'cancelled',
          actions: { type: 'notify', params: { to: 'freelancer', type: 'project.cancel_accepted' } },
        },
        REJECT_PROJECT_CANCEL: {
          guard: and(['actorMaySend', 'cancelRequested']),
          actions: [
            'clearCancelRequest',
            cancel(cancelRequestTimer),
            { type: 'notify', params: { to: 'freelancer', type: 'project.cancel_rejected' } },
          ],
        },
        CANCEL_REQUEST_TIMEOUT: [
          {
            guard: and(['actorMaySend', 'cancelRequested', 'nothingPendingOrReleased']),
            target: 'cancelled',
            actions: { type: 'notify', params: { to: 'employer', type: 'project.cancel_auto_accepted' } },
          },
          // Something is pending (or was released): the request lapses instead.
          {
            guard: and(['actorMaySend', 'cancelRequested']),
            actions: [
              'clearCancelRequest',
              { type: 'notify', params: { to: 'freelancer', type: 'project.cancel_request_lapsed' } },
            ],
          },
        ],
      },
    },
    completed: {
      entry: raise(
        { type: 'FEEDBACK_WINDOW_CLOSED', actor: 'system' },
        { delay: 'feedbackWindow', id: 'feedback-window' },
      ),
      exit: cancel('feedback-window'),
      on: {
        ...v1States.completed.on,
        FEEDBACK_WINDOW_CLOSED: { guard: 'actorMaySend', target: 'closed' },
      },
    },
    closed: { type: 'final' },
  },
});

export const projectV2: MachineDefinition = {
  name: 'project',
  version: 2,
  machine: projectMachineV2,
  roles: projectRolesV2,
  payloads: projectPayloadsV2,
};
