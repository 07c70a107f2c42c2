import { z } from 'zod';
import { positiveMoneyString, text } from '../../machines/payloads.js';
import { isCurrencyInUse } from '../currencies.js';
import { InvalidRequestError } from '../errors/index.js';
import { zodIssues } from '../errors/zod-issues.js';

// Request shapes of docs/api.md. Unknown fields are refused where the body is fully known (strict objects); event
// bodies are checked here for their envelope and by the pinned machine version for their payload.

export const clientId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^\P{Cc}+$/u, 'must not contain control characters');
export const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case')
  .refine(isCurrencyInUse, 'must be an ISO 4217 currency in current use, e.g. USD, EUR, JPY')
  .describe('ISO 4217 code of a currency in current use (docs/security.md "Currencies")');

export const createProjectBody = z.strictObject({
  id: clientId.optional(),
  employerId: clientId,
  title: text(500),
  currency,
});

export const createMilestoneBody = z.strictObject({
  id: clientId.optional(),
  type: z.enum(['CREATE', 'REQUEST']),
  actor: clientId,
  amount: positiveMoneyString,
  description: text(2000),
});

export const eventEnvelope = z.looseObject({
  type: z.string().regex(/^[A-Z][A-Z_]{0,63}$/, 'must be an event type such as RELEASE'),
  actor: clientId,
});

export const depositBody = z.strictObject({ currency, amount: positiveMoneyString });

export const markReadBody = z.strictObject({
  ids: z
    .array(z.string().regex(/^[0-9]{1,18}$/))
    .min(1)
    .max(1000),
});

export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidRequestError(`Invalid ${what}.`, { issues: zodIssues(parsed.error) });
  return parsed.data;
}

/** `If-Match: "<seq>"` (quotes optional); absent means no expectation. */
export function expectedSeqOf(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^"?(\d{1,9})"?$/.exec(header.trim());
  if (!match?.[1]) throw new InvalidRequestError('If-Match must be a quoted seq number, e.g. "3".');
  return Number(match[1]);
}

// Every list route reads `limit` and `cursor` the same way (src/api/page-params.ts).
export { pageQuery } from './page-params.js';

/** The `:id` route parameter (Express 5 types it loosely). */
export function idParam(req: { params: Record<string, unknown> }): string {
  return String(req.params.id);
}
