import { z } from 'zod';
import { machineVersions, registeredMachines } from '../../machines/registry.js';
import type { Config } from '../config.js';
import { attemptView, deliveryBody, deliveryView, webhookView } from '../webhooks/webhook-schemas.js';
import { jsonSchema, type JsonSchema } from './openapi-build.js';
import { openApiPaths, TAGS } from './openapi-paths.js';
import { payoutSchema } from './openapi-payouts.js';
import * as out from './openapi-schemas.js';
import { clientId } from './schemas.js';

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

function componentSchemas(): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {
    Error: jsonSchema(out.errorBody, 'output'),
    Project: jsonSchema(out.project, 'output'),
    Milestone: jsonSchema(out.milestone, 'output'),
    Payout: payoutSchema,
    HistoryPage: jsonSchema(out.historyPage, 'output'),
    Replay: jsonSchema(out.replay, 'output'),
    Stats: jsonSchema(out.stats, 'output'),
    Account: jsonSchema(out.account, 'output'),
    Statement: jsonSchema(out.statement, 'output'),
    NotificationsPage: jsonSchema(out.notificationsPage, 'output'),
    Webhook: jsonSchema(webhookView, 'output'),
    WebhookDelivery: jsonSchema(deliveryView, 'output'),
    WebhookAttempt: jsonSchema(attemptView, 'output'),
    WebhookDeliveryBody: jsonSchema(deliveryBody, 'output'),
  };
  for (const name of new Set(registeredMachines().map((d) => d.name))) {
    schemas[`${name[0]!.toUpperCase()}${name.slice(1)}Event`] = eventBodies(name);
  }
  return schemas;
}

const DESCRIPTION = [
  'Milestone escrow as persisted state machines. Money is a decimal string of minor units.',
  'Every endpoint but /healthz, /readyz, /openapi.json and the admin session forms needs',
  '`Authorization: Bearer <token>`; each operation names the scopes of which the token needs one.',
  'Every error is `{"error": {"code", "message", ...details}}`; each operation lists the codes it can answer.',
  'Webhook deliveries are POSTed to subscribers as WebhookDeliveryBody, signed with',
  '`X-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>.<raw body>")>` (docs/webhooks.md).',
].join(' ');

/** The OpenAPI 3.1 document of the HTTP API (docs/api.md), built from the zod schemas the routes validate with. */
export function openApiDocument(config: Config): JsonSchema {
  return {
    openapi: '3.1.0',
    info: { title: 'Escrow workflow engine', version: '1.1', description: DESCRIPTION },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: componentSchemas() },
    security: [{ bearer: [] }],
    tags: TAGS,
    paths: openApiPaths(config),
  };
}
