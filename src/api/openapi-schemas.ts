import { z } from 'zod';

// Response shapes of docs/api.md for /openapi.json. Request bodies are documented from the very schemas the routes
// validate with (schemas.ts, machines' payloads, webhook-schemas.ts); responses are built by views.ts, which
// has no schema of its own, so their documented shape lives here, beside nothing else.

const money = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/)
  .describe('decimal string of minor units');
const stateValue = z.union([z.string(), z.record(z.string(), z.unknown())]).describe('XState state value');
const machineRef = z.object({ name: z.string(), version: z.number().int() });
const allowedEvents = z
  .array(z.string())
  .describe('events someone could send now that the machine would accept with some valid payload');
const availableEvents = z
  .array(z.object({ type: z.string(), roles: z.array(z.enum(['employer', 'freelancer', 'support'])) }))
  .describe('the events of allowedEvents, each with who may send it');
const deadlines = z
  .array(
    z.object({
      name: z.string().describe('the event the armed timer will raise, e.g. RESPONSE_TIMEOUT'),
      dueAt: z.iso.datetime().describe('when it fires, ISO-8601 UTC'),
      party: z
        .enum(['employer', 'freelancer'])
        .nullable()
        .describe('who must act before then to avoid it; null when nobody can'),
    }),
  )
  .describe('every armed durable timer, soonest first; [] when none');

export const errorBody = z.object({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    rule: z.string().optional().describe('guard_failed only: the stable id of the rule that refused (docs/rules.md)'),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const project = z.looseObject({
  id: z.string(),
  state: stateValue,
  employerId: z.string(),
  freelancerId: z.string().nullable(),
  title: z.string(),
  currency: z.string(),
  currencyExponent: z.number().int().describe('digits after the decimal point: 2 for USD, 0 for JPY'),
  seq: z.number().int(),
  machine: machineRef,
  allowedEvents,
  availableEvents,
  milestones: z.object({ pending: z.number().int(), releasedTotal: money }),
  feedback: z.array(z.record(z.string(), z.unknown())),
  deadlines,
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const milestone = z.looseObject({
  id: z.string(),
  projectId: z.string(),
  state: stateValue,
  amount: money,
  releasedAmount: money,
  remainingAmount: money.describe(
    'decimal string of minor units: amount minus releasedAmount; "0" once the milestone is closed (a final state)',
  ),
  heldAmount: money.describe("decimal string of minor units: what the milestone's escrow account holds now (ledger)"),
  currency: z.string(),
  currencyExponent: z.number().int().describe('digits after the decimal point: 2 for USD, 0 for JPY'),
  description: z.string(),
  employerId: z.string(),
  freelancerId: z.string(),
  flags: z.object({ releaseRequested: z.boolean(), cancelRequested: z.boolean() }),
  dispute: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('evidence as [{by, bytes}] with evidenceCount and evidenceBytes; the text is in the history'),
  limits: z
    .object({
      evidencePerDispute: z.number().int(),
      evidenceBytesPerDispute: z.number().int(),
      cancelRequests: z.number().int(),
      disputes: z.number().int(),
      used: z.object({ cancelRequests: z.number().int(), disputes: z.number().int() }),
    })
    .nullable()
    .optional()
    .describe('growth caps the milestone recorded (machine version 3 on) and what it has used; null before'),
  deadlines,
  seq: z.number().int(),
  machine: machineRef,
  allowedEvents,
  availableEvents,
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const historyPage = z.object({
  items: z.array(
    z.looseObject({
      seq: z.number().int(),
      type: z.string(),
      actor: z.string(),
      payload: z.record(z.string(), z.unknown()),
      from: stateValue,
      to: stateValue,
      at: z.string(),
      machineVersion: z.number().int(),
      client: z
        .object({ id: z.string(), name: z.string() })
        .nullable()
        .describe('the API client whose request caused the event; null for timers and settlement'),
      transfers: z.array(z.looseObject({ id: z.string(), from: z.string(), to: z.string(), amount: money })),
    }),
  ),
  nextCursor: z.string().nullable().optional(),
});

export const replay = z.looseObject({
  steps: z.array(z.looseObject({ seq: z.number().int(), event: z.record(z.string(), z.unknown()), state: stateValue })),
  final: z.looseObject({ state: stateValue, context: z.record(z.string(), z.unknown()) }),
  matchesStored: z.boolean(),
  firstDivergence: z.looseObject({ seq: z.number().int(), expected: z.unknown(), actual: z.unknown() }).nullable(),
});

export const account = z.object({
  ownerId: z.string(),
  balances: z.array(
    z.object({ currency: z.string(), currencyExponent: z.number().int(), available: money, held: money }),
  ),
});

const signedMoney = z
  .string()
  .regex(/^(0|-?[1-9][0-9]*)$/)
  .describe('decimal string of minor units, negative when money left the account');

export const statement = z.object({
  ownerId: z.string(),
  currency: z.string(),
  currencyExponent: z.number().int(),
  from: z.string().nullable().describe('as asked (inclusive); null: from the first entry'),
  to: z.string().nullable().describe('as asked (exclusive); null: up to the latest entry'),
  openingBalance: money.describe('the available balance just before `from`'),
  closingBalance: money.describe('the available balance just before `to` (now when open)'),
  entries: z.array(
    z.object({
      transferId: z.string(),
      at: z.string(),
      kind: z
        .string()
        .describe(
          'deposit, fund, release, refund, arbitration_fee_hold, arbitration_fee_refund (docs/money.md "Transfer kinds")',
        ),
      amount: signedMoney,
      balanceAfter: money,
      instanceId: z.string().nullable().describe('the instance whose event moved the money; null for a deposit'),
      seq: z.number().int().nullable().describe('that event’s history seq'),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const depositReply = z.looseObject({
  transferId: z.string(),
  currency: z.string(),
  currencyExponent: z.number().int(),
  balance: money,
});

export const notificationsPage = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      instanceId: z.string(),
      message: z.string(),
      createdAt: z.string(),
      readAt: z.string().nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const readiness = z.looseObject({ ok: z.boolean(), checks: z.record(z.string(), z.string()) });

const countsByState = z.record(z.string(), z.number().int()).describe('state path → instances in it');
export const stats = z.object({
  milestones: z.object({ byState: countsByState, stuck: z.number().int() }),
  projects: z.object({ byState: countsByState }),
  webhookDeliveries: z.object({ dead: z.number().int() }),
  asOf: z.string().describe('when counted; a slow count is shared for a moment (STATS_CACHE_*)'),
});

export const clientsPage = z.object({
  items: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      scopes: z.array(z.enum(['events:write', 'read', 'support', 'admin'])),
      createdAt: z.string(),
      lastUsedAt: z.string().nullable().describe('updated at most once a minute per API process'),
      expiresAt: z.string().nullable(),
      revokedAt: z.string().nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
});
