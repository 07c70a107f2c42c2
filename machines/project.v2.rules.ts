import type { Deadline } from './definition.js';
import { projectRoles, type ProjectEventFields } from './project.v1.rules.js';
import type { ProjectContextV2 } from './project.v2.js';
import { actorMaySendRule, type EventRoles } from './roles.js';
import { ruleBook } from './rules.js';
import type { Update } from './updates.js';

// What version 2 adds to the project: the freelancer's request to cancel it, and the feedback window.

export const projectRolesV2: EventRoles = {
  ...projectRoles,
  REQUEST_PROJECT_CANCEL: ['freelancer'],
  ACCEPT_PROJECT_CANCEL: ['employer'],
  REJECT_PROJECT_CANCEL: ['employer'],
  CANCEL_REQUEST_TIMEOUT: ['system'],
  FEEDBACK_WINDOW_CLOSED: ['system'],
};

export const projectRulesV2 = ruleBook<ProjectContextV2, ProjectEventFields>()({
  actorMaySend: actorMaySendRule(projectRolesV2),
  cancelRequested: {
    id: 'no_open_cancel_request',
    kind: 'state',
    check: ({ context }) => context.cancelRequested,
    message: ({ event }) => `${event.type} is refused: the freelancer has no request to cancel the project open.`,
    details: () => ({ cancelRequested: false }),
  },
  cancelNotRequested: {
    id: 'cancel_already_requested',
    kind: 'state',
    check: ({ context }) => !context.cancelRequested,
    message: ({ event }) => `${event.type} is refused: a request to cancel the project is already open.`,
    details: () => ({ cancelRequested: true }),
  },
});

export const projectUpdatesV2 = {
  flagCancelRequested: () => ({ cancelRequested: true }),
  clearCancelRequest: () => ({ cancelRequested: false }),
} satisfies Record<string, Update<ProjectContextV2, ProjectEventFields>>;

export const projectDelaysV2 = {
  feedbackWindow: ({ context }: { context: ProjectContextV2 }) => context.rules.feedbackWindowMs,
  cancelRequestWindow: ({ context }: { context: ProjectContextV2 }) => context.rules.cancelRequestMs,
};

/** Durable timers of version 2: the event each raises, and the delay and id that arm it. */
export const projectTimersV2 = {
  cancelRequest: {
    event: { type: 'CANCEL_REQUEST_TIMEOUT', actor: 'system' },
    options: { delay: 'cancelRequestWindow', id: 'cancel-request' },
  },
  feedbackWindow: {
    event: { type: 'FEEDBACK_WINDOW_CLOSED', actor: 'system' },
    options: { delay: 'feedbackWindow', id: 'feedback-window' },
  },
} as const;

/** Who must act before each timer fires (docs/api.md Views: `deadlines[].party`). */
export const projectDeadlinesV2: Readonly<Record<string, Deadline<ProjectContextV2>>> = {
  // The employer accepts or rejects the freelancer's request, or it is decided for them.
  CANCEL_REQUEST_TIMEOUT: { party: () => 'employer' },
  // The window simply closes; nobody can keep it open.
  FEEDBACK_WINDOW_CLOSED: { party: () => null },
};
