import { z } from 'zod';
import type { Config } from '../config.js';
import { jsonSchema, op, pageOf, pathParam, queryParam, ref, type JsonSchema } from './openapi-build.js';
import type { Paths } from './openapi-paths.js';
import { createAdjustmentBody } from './routes/adjustments.js';

// Adjustments in the OpenAPI document (docs/api.md "Adjustments"); routes in src/api/routes/adjustments.ts.

const signer = z
  .object({ actor: z.string(), client: z.string().nullable().describe('the API client id it came through') })
  .nullable();

/** The Adjustment view (src/api/owned-views.ts). */
export const adjustmentSchema: JsonSchema = jsonSchema(
  z.looseObject({
    id: z.string(),
    ownerId: z.string(),
    currency: z.string(),
    currencyExponent: z.number().int(),
    amount: z.string().describe('signed decimal string of minor units: "-500" takes 500 from the owner'),
    reason: z.string(),
    proposedBy: signer,
    decidedBy: signer.describe('who approved or rejected it, once decided'),
    rejectionReason: z.string().nullable(),
    state: z.enum(['proposed', 'applied', 'rejected']),
    seq: z.number().int(),
    machine: z.object({ name: z.string(), version: z.number().int() }),
    allowedEvents: z.array(z.string()),
    deadlines: z.array(z.unknown()).describe('always empty: adjustments arm no timers'),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
  'output',
);

const example = {
  id: 'adj_1',
  ownerId: 'bob',
  currency: 'USD',
  currencyExponent: 2,
  amount: '-500',
  reason: 'Fee charged twice on milestone ms_9',
  proposedBy: { actor: 'agent-ann', client: 'cli_support_desk' },
  decidedBy: null,
  rejectionReason: null,
  state: 'proposed',
  seq: 1,
  machine: { name: 'adjustment', version: 1 },
  allowedEvents: ['APPROVE', 'REJECT'],
  deadlines: [],
  createdAt: '2026-12-09T10:00:00.000Z',
  updatedAt: '2026-12-09T10:00:00.000Z',
};

export function adjustmentPaths(config: Config): Paths {
  const id = pathParam('id', 'adj_1');
  const paged = { max: config.LIST_LIMIT_MAX };
  return {
    '/v1/adjustments': {
      post: op({
        summary: "Propose a correction of an owner's available balance (nothing moves until approved)",
        scopes: 'support',
        notes: 'amount is signed and non-zero; reason is required; the owner cannot propose for themselves (403).',
        notFound: false,
        idempotent: true,
        body: {
          schema: jsonSchema(createAdjustmentBody, 'input'),
          example: { ownerId: 'bob', currency: 'USD', amount: '-500', reason: example.reason, actor: 'agent-ann' },
        },
        replies: {
          201: { description: 'Proposed', schema: ref('Adjustment'), example },
          200: { description: 'The same id and body again: the original', schema: ref('Adjustment') },
        },
        errors: ['conflict'],
      }),
      get: op({
        summary: 'List adjustments, oldest first',
        scopes: 'read',
        params: [
          queryParam('state', { type: 'string' }, 'proposed, applied or rejected'),
          queryParam('ownerId', { type: 'string' }, "only this owner's"),
        ],
        notFound: false,
        paged,
        replies: { 200: { description: 'A page', schema: pageOf(ref('Adjustment')) } },
      }),
    },
    '/v1/adjustments/{id}': {
      get: op({
        summary: 'Get an adjustment',
        scopes: 'read',
        params: [id],
        replies: { 200: { description: 'The adjustment', schema: ref('Adjustment'), example } },
      }),
    },
    '/v1/adjustments/{id}/events': {
      post: op({
        summary: 'Decide an adjustment: APPROVE (the money moves) or REJECT',
        scopes: 'support',
        notes:
          'Four eyes: another actor (else 403 rule four_eyes_actor) through another API client (else 403 rule ' +
          'four_eyes_client) than the proposal; a negative amount larger than available → 422 insufficient_funds.',
        params: [id],
        idempotent: true,
        ifMatch: true,
        body: { schema: ref('AdjustmentEvent'), example: { type: 'APPROVE', actor: 'agent-bob' } },
        replies: { 200: { description: 'Applied or rejected', schema: ref('Adjustment') } },
        errors: ['invalid_transition', 'version_conflict', 'guard_failed'],
      }),
    },
    ...adjustmentRecordPaths(config),
  };
}

/** An adjustment's history and replay, as a payout's. */
function adjustmentRecordPaths(config: Config): Paths {
  const id = pathParam('id', 'adj_1');
  return {
    '/v1/adjustments/{id}/history': {
      get: op({
        summary: 'History of an adjustment, with the money its approval moved',
        scopes: 'read',
        params: [id],
        paged: { max: config.LIST_LIMIT_MAX },
        replies: { 200: { description: 'History (limit defaults to its maximum)', schema: ref('HistoryPage') } },
      }),
    },
    '/v1/adjustments/{id}/replay': {
      get: op({
        summary: 'Replay an adjustment: re-run its history through the machine and compare with what is stored',
        scopes: 'support or read',
        params: [id, queryParam('to', { type: 'integer', minimum: 0 }, 'stop after this seq')],
        replies: { 200: { description: 'Replay', schema: ref('Replay') } },
        errors: ['history_too_long'],
      }),
    },
  };
}
