import type { Config } from '../config.js';
import { createWebhookBody } from '../webhooks/webhook-schemas.js';
import {
  jsonSchema,
  op,
  pageOf,
  pathParam,
  queryParam,
  ref,
  type JsonSchema,
  type Operation,
} from './openapi-build.js';
import * as ex from './openapi-examples.js';
import { payoutPaths } from './openapi-payouts.js';
import * as out from './openapi-schemas.js';
import { createMilestoneBody, createProjectBody, depositBody, markReadBody } from './schemas.js';

// The routes of the HTTP API, one `op({...})` per operation, grouped as docs/api.md groups them. Request bodies
// are the zod schemas the routes validate with; response shapes are openapi-schemas.ts.

export type Paths = Record<string, Record<string, Operation>>;

const input = (schema: Parameters<typeof jsonSchema>[0]) => jsonSchema(schema, 'input');
const output = (schema: Parameters<typeof jsonSchema>[0]) => jsonSchema(schema, 'output');
const versionParam = queryParam('version', { type: 'integer', minimum: 1 }, 'default: the current version');
const EVENT_ERRORS = ['invalid_transition', 'version_conflict', 'guard_failed'] as const;

function operationsPaths(): Paths {
  return {
    '/healthz': {
      get: op({ summary: 'Liveness', replies: { 200: { description: 'The process runs', example: { ok: true } } } }),
    },
    '/readyz': {
      get: op({
        summary: 'Readiness per dependency',
        replies: {
          200: {
            description: 'Postgres and Redis answer',
            schema: output(out.readiness),
            example: ex.readinessExample,
          },
        },
        errors: ['unavailable'],
      }),
    },
    '/metrics': {
      get: op({
        summary: 'Prometheus metrics (text format 0.0.4)',
        scopes: 'read',
        replies: { 200: { description: 'metrics', schema: { type: 'string' }, contentType: 'text/plain' } },
      }),
    },
    '/openapi.json': {
      get: op({
        summary: 'This document',
        notes: 'It describes the API and holds no data, so it needs no token (like the page at /docs).',
        replies: { 200: { description: 'OpenAPI 3.1 document', schema: { type: 'object' } } },
      }),
    },
  };
}

function projectPaths(config: Config): Paths {
  const id = pathParam('id', 'site');
  const paged = { max: config.LIST_LIMIT_MAX };
  return {
    '/v1/projects': {
      get: op({
        summary: 'List projects',
        scopes: 'read',
        params: [queryParam('state', { type: 'string' }), queryParam('party', { type: 'string' }, 'a party id')],
        paged,
        replies: {
          200: { description: 'A page', schema: pageOf(ref('Project')), example: pageExample(ex.projectExample) },
        },
      }),
      post: op({
        summary: 'Create a project',
        scopes: 'events:write',
        idempotent: true,
        body: {
          schema: input(createProjectBody),
          example: { id: 'site', employerId: 'alice', title: 'Website', currency: 'USD' },
        },
        replies: {
          201: { description: 'Created', schema: ref('Project'), example: openProject },
          200: {
            description: 'The same id and body again: the original',
            schema: ref('Project'),
            example: openProject,
          },
        },
        errors: ['conflict'],
      }),
    },
    '/v1/projects/{id}': {
      get: op({
        summary: 'Get a project',
        scopes: 'read',
        params: [id],
        replies: { 200: { description: 'The project', schema: ref('Project'), example: ex.projectExample } },
      }),
    },
  };
}

function projectChildPaths(config: Config): Paths {
  const id = pathParam('id', 'site');
  return {
    '/v1/projects/{id}/events': {
      post: op({
        summary: 'Apply an event to a project',
        scopes: 'events:write',
        params: [id],
        idempotent: true,
        ifMatch: true,
        body: { schema: ref('ProjectEvent'), example: { type: 'AWARD', actor: 'alice', freelancerId: 'bob' } },
        replies: { 200: { description: 'Applied', schema: ref('Project'), example: ex.projectExample } },
        errors: [...EVENT_ERRORS],
      }),
    },
    '/v1/projects/{id}/history': {
      get: op({
        summary: 'History of a project',
        scopes: 'read',
        params: [id],
        paged: { max: config.LIST_LIMIT_MAX },
        replies: { 200: { description: 'History (limit defaults to its maximum)', schema: ref('HistoryPage') } },
      }),
    },
    '/v1/projects/{id}/replay': { get: replayOp('project', id) },
    '/v1/projects/{id}/milestones': {
      post: op({
        summary: 'Create (employer) or request (freelancer) a milestone',
        scopes: 'events:write',
        params: [id],
        idempotent: true,
        body: {
          schema: input(createMilestoneBody),
          example: { id: 'design', type: 'CREATE', actor: 'alice', amount: '50000', description: 'Design' },
        },
        replies: {
          201: { description: 'Created', schema: ref('Milestone'), example: ex.fundingMilestoneExample },
          200: { description: 'The same id and body again', schema: ref('Milestone') },
        },
        errors: ['conflict', ...EVENT_ERRORS],
      }),
    },
  };
}

const openProject = {
  ...ex.projectExample,
  state: 'open',
  freelancerId: null,
  seq: 0,
  allowedEvents: ['AWARD', 'CANCEL_PROJECT'],
  availableEvents: [
    { type: 'AWARD', roles: ['employer'] },
    { type: 'CANCEL_PROJECT', roles: ['employer'] },
  ],
  milestones: { pending: 0, releasedTotal: '0' },
};

const pageExample = (item: unknown) => ({ items: [item], nextCursor: null });

function replayOp(machine: string, id: ReturnType<typeof pathParam>): Operation {
  return op({
    summary: `Replay a ${machine}: re-run its history through the machine and compare with what is stored`,
    scopes: 'support or read',
    params: [id, queryParam('to', { type: 'integer', minimum: 0 }, 'stop after this seq')],
    replies: { 200: { description: 'Replay', schema: ref('Replay'), example: ex.replayExample } },
    errors: ['history_too_long'],
  });
}

function milestoneListParams() {
  return [
    queryParam('projectId', { type: 'string' }),
    queryParam(
      'state',
      { type: 'string' },
      'a top-level state (every stage under it) or a full path: disputed.negotiation',
    ),
    queryParam('party', { type: 'string' }, 'employer or freelancer id'),
    queryParam('disputeStage', { type: 'string' }, 'same as state=disputed.<stage>'),
    queryParam('deadlineBefore', { type: 'string', format: 'date-time' }, 'armed deadline due before; soonest first'),
    queryParam('stuck', { enum: ['true', 'false'] }, 'settling for longer than STUCK_AFTER_MS'),
    queryParam('updatedSince', { type: 'string', format: 'date-time' }),
  ];
}

function milestonePaths(config: Config): Paths {
  const id = pathParam('id', 'design');
  return {
    '/v1/milestones': {
      get: op({
        summary: 'List milestones',
        scopes: 'read',
        params: milestoneListParams(),
        paged: { max: config.LIST_LIMIT_MAX },
        replies: {
          200: { description: 'A page', schema: pageOf(ref('Milestone')), example: pageExample(ex.milestoneExample) },
        },
      }),
    },
    '/v1/milestones/{id}': {
      get: op({
        summary: 'Get a milestone, optionally waiting until no settlement is in flight',
        scopes: 'read',
        params: [
          id,
          queryParam('wait', { enum: ['settled'] }),
          queryParam('timeoutMs', { type: 'integer', minimum: 0, maximum: config.WAIT_TIMEOUT_MAX_MS }),
        ],
        replies: { 200: { description: 'The milestone', schema: ref('Milestone'), example: ex.milestoneExample } },
      }),
    },
    '/v1/milestones/{id}/events': {
      post: op({
        summary: 'Apply an event to a milestone',
        scopes: 'events:write (RULE also needs support)',
        params: [id],
        idempotent: true,
        ifMatch: true,
        body: { schema: ref('MilestoneEvent'), example: { type: 'RELEASE', actor: 'alice', amount: '25000' } },
        replies: { 200: { description: 'Applied', schema: ref('Milestone'), example: releasing } },
        errors: [...EVENT_ERRORS],
      }),
    },
    '/v1/milestones/{id}/redrive': {
      post: op({
        summary: 'Put the settlement job a settling milestone waits for back on its queue (docs/operations.md)',
        scopes: 'support',
        params: [id],
        replies: { 200: { description: 'What happened', schema: redriveReply, example: redriveExample } },
        errors: ['unavailable'],
      }),
    },
    '/v1/milestones/{id}/history': {
      get: op({
        summary: 'History of a milestone, with the money each event moved',
        scopes: 'read',
        params: [id],
        paged: { max: config.LIST_LIMIT_MAX },
        replies: {
          200: {
            description: 'History (limit defaults to its maximum)',
            schema: ref('HistoryPage'),
            example: ex.historyExample,
          },
        },
      }),
    },
    '/v1/milestones/{id}/replay': { get: replayOp('milestone', id) },
  };
}

const releasing = {
  ...ex.milestoneExample,
  state: 'releasing',
  releasedAmount: '0',
  remainingAmount: '50000',
  pendingReleaseAmount: '25000',
  seq: 3,
  allowedEvents: [],
  availableEvents: [],
};

const redriveReply: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    outcome: { enum: ['enqueued', 'already_queued', 'not_settling', 'no_settlement_row'] },
    outboxId: { type: ['string', 'null'] },
  },
};
const redriveExample = { id: 'design', outcome: 'enqueued', outboxId: '812' };

function statementPaths(config: Config): Paths {
  return {
    '/v1/accounts/{ownerId}/statement': {
      get: op({
        summary: 'Statement of an owner’s available balance over a time range',
        scopes: 'read',
        notes: [
          'Entries in the order they were posted, each with its signed amount and the balance it left, between the',
          'balance before `from` and the balance before `to`. `?format=csv` or `Accept: text/csv` answers the same',
          'columns as CSV, the whole range (or the first `limit` entries when a limit is given), streamed.',
        ].join(' '),
        params: [
          pathParam('ownerId', 'alice'),
          queryParam('currency', { type: 'string' }, 'ISO 4217; may be left out when the owner holds one currency'),
          queryParam('from', { type: 'string' }, 'ISO-8601 time or YYYY-MM-DD (midnight UTC), inclusive'),
          queryParam('to', { type: 'string' }, 'ISO-8601 time or YYYY-MM-DD (midnight UTC), exclusive'),
          queryParam('format', { enum: ['json', 'csv'] }, 'default: by Accept, JSON unless it asks for text/csv'),
        ],
        notFound: false,
        paged: { max: config.LIST_LIMIT_MAX },
        replies: {
          200: {
            description: 'A page of the statement (or the CSV)',
            schema: ref('Statement'),
            example: ex.statementExample,
            alternative: { contentType: 'text/csv', schema: { type: 'string' }, example: ex.statementCsvExample },
          },
        },
      }),
    },
  };
}

function moneyAndInboxPaths(config: Config): Paths {
  return {
    '/v1/accounts/{ownerId}/deposits': {
      post: op({
        summary: 'Deposit money',
        scopes: 'admin',
        params: [pathParam('ownerId', 'alice')],
        notFound: false,
        idempotent: true,
        body: { schema: input(depositBody), example: { currency: 'USD', amount: '100000' } },
        replies: { 201: { description: 'Deposited', schema: output(out.depositReply), example: ex.depositExample } },
        errors: ['guard_failed'],
      }),
    },
    '/v1/accounts/{ownerId}': {
      get: op({
        summary: 'Balances of an owner (an owner with no money has no balances)',
        scopes: 'read',
        params: [pathParam('ownerId', 'alice')],
        notFound: false,
        replies: { 200: { description: 'Balances', schema: ref('Account'), example: ex.accountExample } },
      }),
    },
    '/v1/users/{id}/notifications': {
      get: op({
        summary: 'In-app inbox',
        scopes: 'read',
        params: [pathParam('id', 'bob'), queryParam('unread', { enum: ['true', 'false'] })],
        notFound: false,
        paged: { max: config.LIST_LIMIT_MAX },
        replies: { 200: { description: 'A page', schema: ref('NotificationsPage'), example: ex.notificationsExample } },
      }),
    },
    '/v1/users/{id}/notifications/read': {
      post: op({
        summary: 'Mark notifications read',
        scopes: 'events:write',
        params: [pathParam('id', 'bob')],
        notFound: false,
        idempotent: true,
        body: { schema: input(markReadBody), example: { ids: ['1'] } },
        replies: {
          200: {
            description: 'How many were unread and are now read',
            schema: { type: 'object', properties: { marked: { type: 'integer' } } },
            example: { marked: 1 },
          },
        },
      }),
    },
  };
}

function webhookPaths(config: Config): Paths {
  const id = pathParam('id', ex.webhookExample.id);
  const paged = { max: config.LIST_LIMIT_MAX };
  const hook = { schema: ref('Webhook'), example: ex.webhookExample };
  return {
    '/v1/webhooks': {
      post: op({
        summary: 'Register a webhook (the secret is never returned)',
        scopes: 'admin',
        idempotent: true,
        body: {
          schema: input(createWebhookBody(config)),
          example: {
            url: ex.webhookExample.url,
            events: ex.webhookExample.events,
            secret: 'whsec-0123456789abcdef0123',
          },
        },
        replies: {
          201: { description: 'Registered', ...hook },
          200: { description: 'Same id and body again', ...hook },
        },
        errors: ['conflict'],
      }),
      get: op({
        summary: 'List webhooks',
        scopes: 'admin or read',
        paged,
        replies: {
          200: { description: 'A page', schema: pageOf(ref('Webhook')), example: pageExample(ex.webhookExample) },
        },
      }),
    },
    '/v1/webhooks/{id}': {
      get: op({
        summary: 'Get a webhook',
        scopes: 'admin or read',
        params: [id],
        replies: { 200: { description: 'The webhook', ...hook } },
      }),
      delete: op({
        summary: 'Delete a webhook; its pending deliveries are cancelled',
        scopes: 'admin',
        params: [id],
        replies: { 204: { description: 'Deleted' } },
      }),
    },
  };
}

function deliveryPaths(config: Config): Paths {
  const id = pathParam('id', ex.webhookExample.id);
  return {
    '/v1/webhooks/{id}/deliveries': {
      get: op({
        summary: 'Deliveries of a webhook, each with every attempt',
        scopes: 'admin or read',
        params: [
          id,
          queryParam('status', { enum: ['pending', 'delivered', 'dead', 'cancelled'] }),
          queryParam('instanceId', { type: 'string' }),
        ],
        paged: { max: config.LIST_LIMIT_MAX },
        replies: { 200: { description: 'A page', schema: pageOf(ref('WebhookDelivery')) } },
      }),
    },
    '/v1/webhooks/{id}/deliveries/{deliveryId}/retry': {
      post: op({
        summary: 'Re-drive a dead delivery (a pending one is left as it is)',
        scopes: 'admin or support',
        params: [id, pathParam('deliveryId', 'whd_0c1d2e3f')],
        idempotent: true,
        replies: { 200: { description: 'Pending again', schema: ref('WebhookDelivery') } },
      }),
    },
  };
}

function adminPaths(config: Config): Paths {
  return {
    '/v1/stats': {
      get: op({
        summary: 'Instances per state path, stuck settlements and dead webhook deliveries',
        scopes: 'read or support',
        replies: { 200: { description: 'Counts', schema: ref('Stats'), example: ex.statsExample } },
      }),
    },
    '/v1/clients': {
      get: op({
        summary: 'API clients and their lifecycle (never a token or its hash)',
        scopes: 'admin',
        paged: { max: config.LIST_LIMIT_MAX },
        replies: {
          200: { description: 'A page, oldest first', schema: output(out.clientsPage), example: ex.clientsExample },
        },
      }),
    },
    '/admin/login': {
      post: op({
        summary: 'Open an admin session for the queue dashboard (the cookie holds a session id, never the token)',
        body: {
          schema: { type: 'object', properties: { token: { type: 'string' } }, required: ['token'] },
          example: { token: 'esc_…' },
          contentType: 'application/x-www-form-urlencoded',
        },
        replies: {
          303: { description: 'Session opened: Set-Cookie (HttpOnly, SameSite=Strict, Path=/admin), to /admin/queues' },
        },
        errors: ['invalid_request', 'unauthenticated', 'forbidden', 'rate_limited'],
      }),
    },
    '/admin/logout': {
      post: op({
        summary: 'End the admin session on the server: the old cookie opens nothing afterwards',
        replies: { 303: { description: 'Session ended, cookie cleared, to /admin/login' } },
      }),
    },
  };
}

function machinePaths(config: Config): Paths {
  const name = pathParam('name', 'milestone');
  return {
    '/v1/machines': {
      get: op({
        summary: 'Registered machines and their versions',
        scopes: 'read',
        replies: { 200: { description: 'Machines', schema: machinesList, example: ex.machinesExample } },
      }),
    },
    '/v1/machines/{name}': {
      get: op({
        summary: 'A machine version as JSON: states, transitions with guards, events with roles and payload schemas',
        scopes: 'read',
        params: [name, versionParam],
        replies: { 200: { description: 'Definition', schema: { type: 'object' } } },
      }),
    },
    '/v1/machines/{name}/paths': {
      get: op({
        summary: 'Event sequences generated from the machine (model-based testing, docs/testing.md)',
        scopes: 'read',
        params: [
          name,
          versionParam,
          queryParam('strategy', { enum: ['shortest', 'simple', 'transitions'] }),
          queryParam(
            'limit',
            { type: 'integer', minimum: 1, maximum: config.PATHS_LIMIT_MAX },
            'at most this many paths',
          ),
          queryParam(
            'format',
            { enum: ['json', 'vitest'] },
            'vitest: the self-contained test file of these paths (text/javascript), to run against this deployment',
          ),
        ],
        replies: { 200: { description: 'Paths', schema: pathsReply, example: ex.pathsExample } },
      }),
    },
    '/v1/admin/instances/{id}/fire-timers': {
      post: op({
        summary: "Time travel (test deployments): fire an instance's armed timers now, as the timers worker would",
        scopes: 'admin',
        notes:
          'Only with ALLOW_TIME_TRAVEL on (a production deployment refuses to start with it); off, it answers 404 with `details.timeTravel: "off"`. Each timer fires in its own transaction through the timers worker\'s code, and its history entry names the calling client. `event` fires only the timers that raise it. A repeat fires nothing more.',
        params: [pathParam('id', 'design')],
        body: { schema: fireTimersBody, example: { event: 'RESPONSE_TIMEOUT' } },
        replies: { 200: { description: 'The timers fired', schema: fireTimersReply, example: fireTimersExample } },
      }),
    },
  };
}

const fireTimersBody: JsonSchema = {
  type: 'object',
  properties: { event: { type: 'string', pattern: '^[A-Z][A-Z_]{0,63}$' } },
  additionalProperties: false,
};

const fireTimersReply: JsonSchema = {
  type: 'object',
  properties: {
    instanceId: { type: 'string' },
    timers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          timerId: { type: 'string' },
          event: { type: 'string' },
          outcome: { enum: ['fired', 'ignored', 'not_armed', 'missing', 'early'] },
        },
      },
    },
  },
};
const fireTimersExample = {
  instanceId: 'design',
  timers: [{ timerId: '4711', event: 'RESPONSE_TIMEOUT', outcome: 'fired' }],
};

const machinesList: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      versions: { type: 'array', items: { type: 'integer' } },
      current: { type: 'integer' },
    },
  },
};

const pathsReply: JsonSchema = {
  type: 'object',
  properties: {
    paths: {
      type: 'array',
      items: { type: 'object', properties: { target: {}, events: { type: 'array', items: { type: 'object' } } } },
    },
    truncated: { type: 'boolean' },
  },
};

/** The same paths, each operation filed under a tag: the reference page groups operations by it. */
function tagged(tag: string, paths: Paths): Paths {
  return Object.fromEntries(
    Object.entries(paths).map(([path, ops]) => [
      path,
      Object.fromEntries(Object.entries(ops).map(([method, operation]) => [method, { tags: [tag], ...operation }])),
    ]),
  );
}

/** The tags in the order the reference shows them, each with a line of what its operations are for. */
export const TAGS = [
  { name: 'Projects', description: 'A client hires a freelancer; milestones are created under a project.' },
  { name: 'Milestones', description: 'Escrowed payments: fund, release, cancel, dispute.' },
  { name: 'Money and inbox', description: 'Deposits, balances and in-app notifications.' },
  { name: 'Payouts', description: 'Money leaving the platform: held at request, paid or returned (docs/money.md).' },
  { name: 'Webhooks', description: 'Subscriptions, and deliveries with every attempt.' },
  { name: 'Machines', description: 'The state machines as data, and paths generated from them.' },
  { name: 'Operations', description: 'Health, readiness, metrics, statistics, clients and admin sessions.' },
];

/** Every documented route, by path. */
export function openApiPaths(config: Config): Paths {
  return {
    ...tagged('Operations', operationsPaths()),
    ...tagged('Projects', projectPaths(config)),
    ...tagged('Projects', projectChildPaths(config)),
    ...tagged('Milestones', milestonePaths(config)),
    ...tagged('Money and inbox', moneyAndInboxPaths(config)),
    ...tagged('Money and inbox', statementPaths(config)),
    ...tagged('Payouts', payoutPaths(config)),
    ...tagged('Webhooks', webhookPaths(config)),
    ...tagged('Webhooks', deliveryPaths(config)),
    ...tagged('Operations', adminPaths(config)),
    ...tagged('Machines', machinePaths(config)),
  };
}
