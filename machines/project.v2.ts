import { and, cancel, raise, setup } from 'xstate';
import type { z } from 'zod';
import type { MachineDefinition } from './definition.js';
import { noPayload } from './payloads.js';
import {
  projectPayloads,
  projectStatesV1,
  type ProjectContext,
  type ProjectEvent,
  type ProjectInput,
} from './project.v1.js';
import {
  initialProjectContext,
  projectEffectsV1,
  projectRulesV1,
  projectUpdatesV1,
  type ProjectEventFields,
} from './project.v1.rules.js';
import {
  projectDeadlinesV2,
  projectDelaysV2,
  projectRolesV2,
  projectRulesV2,
  projectTimersV2,
  projectUpdatesV2,
} from './project.v2.rules.js';
import type { ActorFields } from './roles.js';
import { guardsOf } from './rules.js';
import { assignAll } from './updates.js';

export { projectRolesV2 } from './project.v2.rules.js';

// Project lifecycle, version 2: version 1 plus two durable deadlines (docs/concepts.md "Project"):
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

export const projectPayloadsV2: Readonly<Record<string, z.ZodObject>> = {
  ...projectPayloads,
  REQUEST_PROJECT_CANCEL: noPayload,
  ACCEPT_PROJECT_CANCEL: noPayload,
  REJECT_PROJECT_CANCEL: noPayload,
};

/** Every rule version 2 checks: version 1's, its own, and its own roles table behind actorMaySend. */
export const projectRulesOfV2 = { ...projectRulesV1, ...projectRulesV2 };

const { cancelRequest, feedbackWindow } = projectTimersV2;

// Version 2's states, typed with its base context and the event fields its rules read, for later versions to
// spread into their own machines (see machines/project.v1.ts).
const family = setup({
  types: { context: {} as ProjectContextV2, events: {} as ProjectEventFields },
  guards: guardsOf(projectRulesOfV2),
  actions: {
    ...assignAll<ProjectContextV2, ProjectEventFields>()({ ...projectUpdatesV1, ...projectUpdatesV2 }),
    ...projectEffectsV1,
    armCancelRequest: raise(cancelRequest.event, cancelRequest.options),
    disarmCancelRequest: cancel(cancelRequest.options.id),
    armFeedbackWindow: raise(feedbackWindow.event, feedbackWindow.options),
    disarmFeedbackWindow: cancel(feedbackWindow.options.id),
  },
  delays: projectDelaysV2,
});

const acceptsCancel = ['actorMaySend', 'cancelRequested', 'noPendingMilestones', 'nothingReleased'] as const;

export const projectStatesV2 = {
  ...projectStatesV1,
  in_progress: family.createStateConfig({
    // Leaving in_progress by any route ends a pending cancel request's deadline.
    exit: 'disarmCancelRequest',
    on: {
      ...projectStatesV1.in_progress.on,
      REQUEST_PROJECT_CANCEL: {
        guard: and(['actorMaySend', 'cancelNotRequested']),
        actions: [
          'flagCancelRequested',
          'armCancelRequest',
          { type: 'notify', params: { to: 'employer', type: 'project.cancel_requested' } },
        ],
      },
      ACCEPT_PROJECT_CANCEL: {
        guard: and(acceptsCancel),
        target: 'cancelled',
        actions: { type: 'notify', params: { to: 'freelancer', type: 'project.cancel_accepted' } },
      },
      REJECT_PROJECT_CANCEL: {
        guard: and(['actorMaySend', 'cancelRequested']),
        actions: [
          'clearCancelRequest',
          'disarmCancelRequest',
          { type: 'notify', params: { to: 'freelancer', type: 'project.cancel_rejected' } },
        ],
      },
      CANCEL_REQUEST_TIMEOUT: [
        {
          guard: and(acceptsCancel),
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
  }),
  completed: family.createStateConfig({
    entry: 'armFeedbackWindow',
    exit: 'disarmFeedbackWindow',
    on: {
      ...projectStatesV1.completed.on,
      FEEDBACK_WINDOW_CLOSED: { guard: 'actorMaySend', target: 'closed' },
    },
  }),
  closed: family.createStateConfig({ type: 'final' }),
};

export const projectMachineV2 = setup({
  types: {
    context: {} as ProjectContextV2,
    events: {} as ProjectEventV2,
    input: {} as ProjectInputV2,
  },
  guards: guardsOf(projectRulesOfV2),
  actions: {
    ...assignAll<ProjectContextV2, ProjectEventV2>()({ ...projectUpdatesV1, ...projectUpdatesV2 }),
    ...projectEffectsV1,
    armCancelRequest: raise(cancelRequest.event, cancelRequest.options),
    disarmCancelRequest: cancel(cancelRequest.options.id),
    armFeedbackWindow: raise(feedbackWindow.event, feedbackWindow.options),
    disarmFeedbackWindow: cancel(feedbackWindow.options.id),
  },
  delays: projectDelaysV2,
}).createMachine({
  id: 'project',
  initial: 'open',
  context: ({ input }) => ({ ...initialProjectContext(input), rules: input.rules, cancelRequested: false }),
  states: projectStatesV2,
});

export const projectV2: MachineDefinition = {
  name: 'project',
  version: 2,
  machine: projectMachineV2,
  roles: projectRolesV2,
  payloads: projectPayloadsV2,
  rules: projectRulesOfV2,
  effectRules: [],
  deadlines: projectDeadlinesV2,
  pendingStates: [],
};
