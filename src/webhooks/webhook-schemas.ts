import { z } from 'zod';
import type { Config } from '../config.js';

// Request and response shapes of /v1/webhooks. Limits come from config (STYLE §4); the same schemas feed
// /openapi.json, so the documented shape is the validated shape.

export function createWebhookBody(config: Config) {
  return z.strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'must be 1 to 200 letters, digits or _.:-')
      .optional(),
    url: z.string().min(1).max(config.WEBHOOK_URL_MAX_CHARS),
    events: z
      .array(z.string().min(1).max(200))
      .min(1)
      .max(config.WEBHOOK_EVENTS_MAX)
      .describe(
        '"*", "<machine>.<EVENT_TYPE>" (e.g. "milestone.RELEASE") or "<machine>.state.<state>" (e.g. "milestone.state.released")',
      ),
    secret: z
      .string()
      .min(config.WEBHOOK_SECRET_MIN_CHARS, `must be at least ${config.WEBHOOK_SECRET_MIN_CHARS} characters`)
      .max(config.WEBHOOK_SECRET_MAX_CHARS)
      .refine((s) => s.trim().length >= config.WEBHOOK_SECRET_MIN_CHARS, {
        message: `must hold at least ${config.WEBHOOK_SECRET_MIN_CHARS} characters that are not blank`,
      })
      .describe(
        `HMAC-SHA256 key for X-Signature, at least ${config.WEBHOOK_SECRET_MIN_CHARS} characters; never returned. Use 32 random bytes.`,
      ),
  });
}

export const webhookView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  createdAt: z.string(),
});

export const attemptView = z.object({
  attempt: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  statusCode: z.number().int().nullable().describe("the receiver's status; null for clients without admin"),
  statusClass: z.enum(['1xx', '2xx', '3xx', '4xx', '5xx']).nullable().describe("the status code's class"),
  error: z
    .string()
    .nullable()
    .describe('why the attempt failed: the full text for admin clients, a short reason for the others'),
  outcome: z.enum(['in_flight', 'delivered', 'failed', 'abandoned']),
});

export const deliveryView = z.object({
  id: z.string(),
  webhookId: z.string(),
  type: z.string(),
  instanceId: z.string(),
  machine: z.string(),
  seq: z.number().int(),
  status: z.enum(['pending', 'delivered', 'dead', 'cancelled']),
  attemptCount: z.number().int(),
  attemptsLeft: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
  attempts: z.array(attemptView),
});

export const deliveryListQuery = z.object({
  status: z.enum(['pending', 'delivered', 'dead', 'cancelled']).optional(),
  instanceId: z.string().min(1).max(200).optional(),
});

/** What a receiver gets (docs/api.md "Delivery"), documented for /openapi.json. */
export const deliveryBody = z.object({
  id: z.string().describe('delivery id, also in X-Delivery-Id; the same on every attempt: dedupe on it'),
  type: z.string().describe('"<machine>.<EVENT_TYPE>", e.g. "milestone.RELEASE"'),
  instanceId: z.string(),
  machine: z.string(),
  seq: z
    .number()
    .int()
    .describe('position of the event in the instance history; per instance, deliveries arrive in seq order'),
  from: z.unknown().describe('state value before the event'),
  to: z.unknown().describe('state value after the event'),
  event: z.object({ type: z.string(), actor: z.string(), payload: z.record(z.string(), z.unknown()) }),
  at: z.string().describe('when the event was applied (ISO 8601)'),
});

export type WebhookView = z.infer<typeof webhookView>;
export type DeliveryView = z.infer<typeof deliveryView>;
export type DeliveryBody = z.infer<typeof deliveryBody>;
