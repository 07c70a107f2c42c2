import { z } from 'zod';
import type { Config } from '../config.js';
import { jsonSchema, op, pageOf, pathParam, queryParam, ref, type JsonSchema } from './openapi-build.js';
import type { Paths } from './openapi-paths.js';
import { createPayoutBody } from './routes/payouts.js';

// Payouts in the OpenAPI document (docs/api.md "Payouts"); routes in src/api/routes/payouts.ts.

const money = z.string().describe('decimal string of minor units');

/** The Payout view (src/api/owned-views.ts). */
export const payoutSchema: JsonSchema = jsonSchema(
  z.looseObject({
    id: z.string(),
    ownerId: z.string(),
    currency: z.string(),
    currencyExponent: z.number().int(),
    amount: money,
    destination: z.object({ kind: z.string(), reference: z.string() }),
    provider: z.enum(['manual', 'sandbox']).describe('recorded at creation from PAYOUT_PROVIDER'),
    reference: z.string().nullable().describe("the provider's or bank's reference, once paid"),
    failureReason: z.string().nullable(),
    state: z.enum(['requested', 'processing', 'paid', 'failed', 'cancelled']),
    seq: z.number().int(),
    machine: z.object({ name: z.string(), version: z.number().int() }),
    allowedEvents: z.array(z.string()),
    deadlines: z.array(z.unknown()).describe('always empty: payouts arm no timers'),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
  'output',
);

const example = {
  id: 'po_1',
  ownerId: 'bob',
  currency: 'USD',
  currencyExponent: 2,
  amount: '20000',
  destination: { kind: 'bank_account', reference: 'DE89370400440532013000' },
  provider: 'manual',
  reference: null,
  failureReason: null,
  state: 'requested',
  seq: 1,
  machine: { name: 'payout', version: 1 },
  allowedEvents: ['CANCEL', 'MARK_PAID', 'MARK_FAILED'],
  deadlines: [],
  createdAt: '2026-12-09T10:00:00.000Z',
  updatedAt: '2026-12-09T10:00:00.000Z',
};

export function payoutPaths(config: Config): Paths {
  const id = pathParam('id', 'po_1');
  const owner = pathParam('ownerId', 'bob');
  const paged = { max: config.LIST_LIMIT_MAX };
  return {
    '/v1/accounts/{ownerId}/payouts': {
      post: op({
        summary: "Request a payout of the owner's available money (held at once)",
        scopes: 'events:write',
        notes: 'actor must be ownerId (else 403); more than available → 422 insufficient_funds, nothing changes.',
        params: [owner],
        notFound: false,
        idempotent: true,
        body: {
          schema: jsonSchema(createPayoutBody, 'input'),
          example: { currency: 'USD', amount: '20000', destination: example.destination, actor: 'bob' },
        },
        replies: {
          201: { description: 'Requested', schema: ref('Payout'), example },
          200: { description: 'The same id and body again: the original', schema: ref('Payout') },
        },
        errors: ['conflict', 'guard_failed'],
      }),
      get: op({
        summary: "List an owner's payouts, oldest first",
        scopes: 'read',
        params: [owner, queryParam('state', { type: 'string' }, 'requested, processing, paid, failed or cancelled')],
        notFound: false,
        paged,
        replies: { 200: { description: 'A page', schema: pageOf(ref('Payout')) } },
      }),
    },
    '/v1/payouts/{id}': {
      get: op({
        summary: 'Get a payout',
        scopes: 'read',
        params: [id],
        replies: { 200: { description: 'The payout', schema: ref('Payout'), example } },
      }),
    },
    '/v1/payouts/{id}/events': {
      post: op({
        summary: 'Apply an event to a payout: CANCEL (owner), MARK_PAID / MARK_FAILED (support, manual provider)',
        scopes: 'events:write (MARK_PAID and MARK_FAILED: support)',
        params: [id],
        idempotent: true,
        ifMatch: true,
        body: { schema: ref('PayoutEvent'), example: { type: 'MARK_PAID', actor: 'agent-ann', reference: 'TRX-1' } },
        replies: { 200: { description: 'Applied', schema: ref('Payout') } },
        errors: ['invalid_transition', 'version_conflict', 'guard_failed'],
      }),
    },
    ...payoutRecordPaths(config),
  };
}

/** A payout's history and replay, as a milestone's. */
function payoutRecordPaths(config: Config): Paths {
  const id = pathParam('id', 'po_1');
  return {
    '/v1/payouts/{id}/history': {
      get: op({
        summary: 'History of a payout, with the money each event moved',
        scopes: 'read',
        params: [id],
        paged: { max: config.LIST_LIMIT_MAX },
        replies: { 200: { description: 'History (limit defaults to its maximum)', schema: ref('HistoryPage') } },
      }),
    },
    '/v1/payouts/{id}/replay': {
      get: op({
        summary: 'Replay a payout: re-run its history through the machine and compare with what is stored',
        scopes: 'support or read',
        params: [id, queryParam('to', { type: 'integer', minimum: 0 }, 'stop after this seq')],
        replies: { 200: { description: 'Replay', schema: ref('Replay') } },
        errors: ['history_too_long'],
      }),
    },
  };
}
