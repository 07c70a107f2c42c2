import { z } from 'zod';
import { machineVersions, registeredMachines } from '../../machines/registry.js';
import type { Config } from '../config.js';
import {
  attemptView,
  createWebhookBody,
  deliveryBody,
  deliveryView,
  webhookView,
} from '../webhooks/webhook-schemas.js';
import * as out from './openapi-schemas.js';
import { clientId, createMilestoneBody, createProjectBody, depositBody, markReadBody } from './schemas.js';

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (what OpenAPI 3.1 embeds), as a client must send or will receive it. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/**
 * One request body per event a client may send to the machine: envelope `{type, actor}` plus that event's
 * payload schema, taken from the machine definitions the engine validates with (the newest version that
 * defines the event; instances pinned to older versions are checked against their own).
 */
function eventBodies(machine: string): JsonSchema {
  const latest = new Map<string, z.ZodObject>();
  for (const def of machineVersions(machine))
    for (const [type, schema] of Object.entries(def.payloads)) latest.set(type, schema);
  const variants = [...latest.entries()].map(([type, payload]) => ({
    title: type,
    ...jsonSchema(z.strictObject({ type: z.literal(type), actor: clientId, ...payload.shape }), 'input'),
  }));
  return { oneOf: variants, discriminator: { propertyName: 'type' } };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
const reply = (description: string, schema?: JsonSchema) =>
  schema ? { description, ...json(schema) } : { description };
const errors = { default: reply('Error (API.md "Errors")', ref('Error')) };
const badListParams = reply('invalid_request: a malformed limit or cursor (or another bad parameter)', ref('Error'));
const notJson = reply(
  'unsupported_media_type: a body not sent as Content-Type: application/json in UTF-8; nothing changed',
  ref('Error'),
);
const replayedHeader = {
  'Idempotent-Replayed': {
    description: 'true when this is the stored reply to an earlier request with the same Idempotency-Key and body',
    schema: { const: 'true' },
  },
};
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const queryParam = (name: string, schema: JsonSchema, description?: string) => ({
  name,
  in: 'query',
  required: false,
  schema,
  ...(description && { description }),
});
const limitParam = (max: number) =>
  queryParam(
    'limit',
    { type: 'integer', minimum: 1, maximum: max },
    `a whole number 1 … ${max} in decimal digits (no sign, hex or exponent); anything else is a 400`,
  );
const cursorParam = queryParam(
  'cursor',
  { type: 'string' },
  'the nextCursor of the previous page of the same list; anything else is a 400',
);
const listPage = (item: string) => ({
  type: 'object',
  properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } },
});
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', maxLength: 200 },
};
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  schema: { type: 'string' },
  description: 'expected seq, e.g. "3"',
};

/**
 * An operation, with what every operation of its kind answers: a body-taking one 415 for a body not sent as JSON,
 * one taking an Idempotency-Key the Idempotent-Replayed header on its success replies, a list 400 for a
 * malformed limit or cursor (API.md "Conventions (v1.1)").
 */
function op(summary: string, scopes: string, extra: Operation): Operation {
  const parameters = (extra.parameters ?? []) as { name: string }[];
  const responses = { ...(extra.responses as Record<string, Record<string, unknown>>) };
  if (parameters.some((p) => p.name === idempotencyKey.name)) {
    for (const [status, response] of Object.entries(responses))
      if (status.startsWith('2')) responses[status] = { ...response, headers: replayedHeader };
  }
  return {
    summary,
    description: `Scope: ${scopes}.`,
    ...extra,
    responses: {
      ...responses,
      ...(parameters.some((p) => p.name === 'limit' || p.name === 'cursor') && { 400: badListParams }),
      ...(extra.requestBody !== undefined && { 415: notJson }),
      ...errors,
    },
  };
}

/** The OpenAPI 3.1 document of the HTTP API (API.md), built from the zod schemas the routes validate with. */
export function openApiDocument(config: Config): JsonSchema {
  const schemas: Record<string, JsonSchema> = {
    Error: jsonSchema(out.errorBody, 'output'),
    Project: jsonSchema(out.project, 'output'),
    Milestone: jsonSchema(out.milestone, 'output'),
    HistoryPage: jsonSchema(out.historyPage, 'output'),
    Replay: jsonSchema(out.replay, 'output'),
    Stats: jsonSchema(out.stats, 'output'),
    Account: jsonSchema(out.account, 'output'),
    NotificationsPage: jsonSchema(out.notificationsPage, 'output'),
    Webhook: jsonSchema(webhookView, 'output'),
    WebhookDelivery: jsonSchema(deliveryView, 'output'),
    WebhookAttempt: jsonSchema(attemptView, 'output'),
    WebhookDeliveryBody: jsonSchema(deliveryBody, 'output'),
  };
  for (const name of new Set(registeredMachines().map((d) => d.name))) {
    schemas[`${name[0]!.toUpperCase()}${name.slice(1)}Event`] = eventBodies(name);
  }
  const body = (schema: z.ZodType) => ({ required: true, ...json(jsonSchema(schema, 'input')) });
  const pageParams = [limitParam(config.LIST_LIMIT_MAX), cursorParam];

  const paths: Record<string, Record<string, Operation>> = {
    '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: reply('The process runs') } } },
    '/readyz': {
      get: {
        summary: 'Readiness per dependency',
        security: [],
        responses: {
          200: reply('Postgres and Redis answer', jsonSchema(out.readiness, 'output')),
          503: reply('A dependency is down; the body names it', ref('Error')),
        },
      },
    },
    '/metrics': {
      get: op('Prometheus metrics (text format 0.0.4)', 'read', {
        responses: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
      }),
    },
    '/openapi.json': {
      get: op('This document', 'read', { responses: { 200: reply('OpenAPI 3.1 document', { type: 'object' }) } }),
    },
    '/v1/projects': {
      get: op('List projects', 'read', {
        parameters: [
          queryParam('state', { type: 'string' }),
          queryParam('party', { type: 'string' }, 'employer or freelancer id'),
          ...pageParams,
        ],
        responses: { 200: reply('A page', listPage('Project')) },
      }),
      post: op('Create a project', 'events:write', {
        parameters: [idempotencyKey],
        requestBody: body(createProjectBody),
        responses: { 201: reply('Created', ref('Project')), 200: reply('Same id and body again', ref('Project')) },
      }),
    },
    '/v1/projects/{id}': {
      get: op('Get a project', 'read', {
        parameters: [pathParam('id')],
        responses: { 200: reply('The project', ref('Project')) },
      }),
    },
    '/v1/projects/{id}/events': {
      post: op('Apply an event to a project', 'events:write', {
        parameters: [pathParam('id'), idempotencyKey, ifMatch],
        requestBody: { required: true, ...json(ref('ProjectEvent')) },
        responses: { 200: reply('Applied', ref('Project')) },
      }),
    },
    '/v1/projects/{id}/history': {
      get: op('History of a project', 'read', {
        parameters: [pathParam('id'), ...pageParams],
        responses: { 200: reply('History (limit defaults to its maximum)', ref('HistoryPage')) },
      }),
    },
    '/v1/projects/{id}/replay': {
      get: op('Replay a project', 'support or read', {
        parameters: [pathParam('id'), queryParam('to', { type: 'integer', minimum: 0 })],
        responses: { 200: reply('Replay', ref('Replay')) },
      }),
    },
    '/v1/projects/{id}/milestones': {
      post: op('Create (employer) or request (freelancer) a milestone', 'events:write', {
        parameters: [pathParam('id'), idempotencyKey],
        requestBody: body(createMilestoneBody),
        responses: { 201: reply('Created', ref('Milestone')), 200: reply('Same id and body again', ref('Milestone')) },
      }),
    },
    '/v1/milestones': {
      get: op('List milestones', 'read', {
        parameters: [
          queryParam('projectId', { type: 'string' }),
          queryParam(
            'state',
            { type: 'string' },
            'a top-level state (every stage under it) or a full path: disputed.negotiation',
          ),
          queryParam('party', { type: 'string' }, 'employer or freelancer id'),
          queryParam('disputeStage', { type: 'string' }, 'same as state=disputed.<stage>'),
          queryParam(
            'deadlineBefore',
            { type: 'string', format: 'date-time' },
            'armed deadline due before; soonest first',
          ),
          queryParam('stuck', { enum: ['true', 'false'] }, 'settling for longer than STUCK_AFTER_MS'),
          queryParam('updatedSince', { type: 'string', format: 'date-time' }),
          ...pageParams,
        ],
        responses: { 200: reply('A page', listPage('Milestone')) },
      }),
    },
    '/v1/milestones/{id}': {
      get: op('Get a milestone, optionally waiting until no settlement is in flight', 'read', {
        parameters: [
          pathParam('id'),
          queryParam('wait', { enum: ['settled'] }),
          queryParam('timeoutMs', { type: 'integer', minimum: 0, maximum: config.WAIT_TIMEOUT_MAX_MS }),
        ],
        responses: { 200: reply('The milestone', ref('Milestone')) },
      }),
    },
    '/v1/milestones/{id}/events': {
      post: op('Apply an event to a milestone', 'events:write (RULE also needs support)', {
        parameters: [pathParam('id'), idempotencyKey, ifMatch],
        requestBody: { required: true, ...json(ref('MilestoneEvent')) },
        responses: { 200: reply('Applied', ref('Milestone')) },
      }),
    },
    '/v1/milestones/{id}/redrive': {
      post: op('Put the settlement job a settling milestone waits for back on its queue (docs/support.md)', 'support', {
        parameters: [pathParam('id')],
        responses: {
          200: reply('What happened', {
            type: 'object',
            properties: {
              id: { type: 'string' },
              outcome: { enum: ['enqueued', 'already_queued', 'not_settling', 'no_settlement_row'] },
              outboxId: { type: ['string', 'null'] },
            },
          }),
        },
      }),
    },
    '/v1/milestones/{id}/history': {
      get: op('History of a milestone, with the money each event moved', 'read', {
        parameters: [pathParam('id'), ...pageParams],
        responses: { 200: reply('History (limit defaults to its maximum)', ref('HistoryPage')) },
      }),
    },
    '/v1/milestones/{id}/replay': {
      get: op('Replay a milestone', 'support or read', {
        parameters: [pathParam('id'), queryParam('to', { type: 'integer', minimum: 0 })],
        responses: { 200: reply('Replay', ref('Replay')) },
      }),
    },
    '/v1/accounts/{ownerId}/deposits': {
      post: op('Deposit money', 'admin', {
        parameters: [pathParam('ownerId'), idempotencyKey],
        requestBody: body(depositBody),
        responses: { 201: reply('Deposited', jsonSchema(out.depositReply, 'output')) },
      }),
    },
    '/v1/accounts/{ownerId}': {
      get: op('Balances of an owner', 'read', {
        parameters: [pathParam('ownerId')],
        responses: { 200: reply('Balances', ref('Account')) },
      }),
    },
    '/v1/users/{id}/notifications': {
      get: op('In-app inbox', 'read', {
        parameters: [pathParam('id'), queryParam('unread', { enum: ['true', 'false'] }), ...pageParams],
        responses: { 200: reply('A page', ref('NotificationsPage')) },
      }),
    },
    '/v1/users/{id}/notifications/read': {
      post: op('Mark notifications read', 'events:write', {
        parameters: [pathParam('id'), idempotencyKey],
        requestBody: body(markReadBody),
        responses: { 200: reply('Marked', { type: 'object', properties: { marked: { type: 'integer' } } }) },
      }),
    },
    '/v1/webhooks': {
      post: op('Register a webhook (the secret is never returned)', 'admin', {
        parameters: [idempotencyKey],
        requestBody: body(createWebhookBody(config)),
        responses: { 201: reply('Registered', ref('Webhook')), 200: reply('Same id and body again', ref('Webhook')) },
      }),
      get: op('List webhooks', 'admin or read', {
        parameters: pageParams,
        responses: {
          200: reply('A page', {
            type: 'object',
            properties: { items: { type: 'array', items: ref('Webhook') }, nextCursor: { type: ['string', 'null'] } },
          }),
        },
      }),
    },
    '/v1/webhooks/{id}': {
      get: op('Get a webhook', 'admin or read', {
        parameters: [pathParam('id')],
        responses: { 200: reply('The webhook', ref('Webhook')) },
      }),
      delete: op('Delete a webhook; its pending deliveries are cancelled', 'admin', {
        parameters: [pathParam('id')],
        responses: { 204: reply('Deleted') },
      }),
    },
    '/v1/webhooks/{id}/deliveries': {
      get: op('Deliveries of a webhook, each with every attempt', 'admin or read', {
        parameters: [
          pathParam('id'),
          queryParam('status', { enum: ['pending', 'delivered', 'dead', 'cancelled'] }),
          queryParam('instanceId', { type: 'string' }),
          ...pageParams,
        ],
        responses: {
          200: reply('A page', {
            type: 'object',
            properties: {
              items: { type: 'array', items: ref('WebhookDelivery') },
              nextCursor: { type: ['string', 'null'] },
            },
          }),
        },
      }),
    },
    '/v1/webhooks/{id}/deliveries/{deliveryId}/retry': {
      post: op('Re-drive a dead delivery (a pending one is left as it is)', 'admin or support', {
        parameters: [pathParam('id'), pathParam('deliveryId'), idempotencyKey],
        responses: { 200: reply('Pending again', ref('WebhookDelivery')) },
      }),
    },
    '/v1/stats': {
      get: op('Instances per state path, stuck settlements and dead webhook deliveries', 'read or support', {
        responses: { 200: reply('Counts', ref('Stats')) },
      }),
    },
    '/v1/clients': {
      get: op('API clients and their lifecycle (never a token or its hash)', 'admin', {
        parameters: pageParams,
        responses: { 200: reply('A page, oldest first', jsonSchema(out.clientsPage, 'output')) },
      }),
    },
    '/admin/login': {
      post: {
        summary: 'Open an admin session for the queue dashboard (cookie holds a session id, never the token)',
        security: [],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: { type: 'object', properties: { token: { type: 'string' } }, required: ['token'] },
            },
          },
        },
        responses: {
          303: { description: 'Session opened: Set-Cookie (HttpOnly, SameSite=Strict, Path=/admin), to /admin/queues' },
          400: reply('No token in the form', ref('Error')),
          401: reply('Unknown, revoked or expired token', ref('Error')),
          403: reply('The token lacks the admin scope', ref('Error')),
          429: reply('Too many failed authentications from this address', ref('Error')),
        },
      },
    },
    '/admin/logout': {
      post: {
        summary: 'End the admin session on the server: the old cookie opens nothing afterwards',
        security: [],
        responses: { 303: { description: 'Session ended, cookie cleared, to /admin/login' } },
      },
    },
    '/v1/machines': {
      get: op('Registered machines and their versions', 'read', {
        responses: {
          200: reply('Machines', {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                versions: { type: 'array', items: { type: 'integer' } },
                current: { type: 'integer' },
              },
            },
          }),
        },
      }),
    },
    '/v1/machines/{name}': {
      get: op(
        'A machine version as JSON: states, transitions with guards, events with roles and payload schemas',
        'read',
        {
          parameters: [pathParam('name'), queryParam('version', { type: 'integer', minimum: 1 })],
          responses: { 200: reply('Definition', { type: 'object' }) },
        },
      ),
    },
    '/v1/machines/{name}/paths': {
      get: op('Event sequences generated from the machine (model-based testing)', 'read', {
        parameters: [
          pathParam('name'),
          queryParam('version', { type: 'integer', minimum: 1 }),
          queryParam('strategy', { enum: ['shortest', 'simple', 'transitions'] }),
          limitParam(config.PATHS_LIMIT_MAX),
        ],
        responses: {
          200: reply('Paths', {
            type: 'object',
            properties: {
              paths: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { target: {}, events: { type: 'array', items: { type: 'object' } } },
                },
              },
              truncated: { type: 'boolean' },
            },
          }),
        },
      }),
    },
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Escrow workflow engine',
      version: '1',
      description:
        'Milestone escrow as persisted state machines. Money is a decimal string of minor units. Every endpoint but /healthz and /readyz needs `Authorization: Bearer <token>`. Webhook deliveries are POSTed to subscribers as WebhookDeliveryBody, signed with `X-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>.<raw body>")>`.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
    security: [{ bearer: [] }],
    paths,
  };
}
