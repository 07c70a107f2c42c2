import type { Knex } from 'knex';
import type { Config } from '../config.js';
import { newId } from '../ids.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors/index.js';
import { openSecret, sealSecret } from './secret-box.js';
import { knownPatterns } from './subscriptions.js';
import type { UrlPolicy } from '../net/url-policy.js';
import type { WebhookView } from './webhook-schemas.js';

export interface WebhookRow {
  n: bigint;
  id: string;
  url: string;
  events: string[];
  secret: string;
  created_at: Date;
  deleted_at: Date | null;
}

export interface NewWebhook {
  id?: string | undefined;
  url: string;
  events: string[];
  secret: string;
}

export function webhookView(row: WebhookRow): WebhookView {
  return { id: row.id, url: row.url, events: row.events, createdAt: row.created_at.toISOString() };
}

/**
 * Registers a subscription after checking its URL against the allow-list (no SSRF) and every pattern against
 * the registered machines (a typo would otherwise subscribe to nothing, silently). With a client-chosen id,
 * a repeat with the same body answers the original (docs/api.md "Ids"); another body is a conflict.
 */
export async function createWebhook(
  trx: Knex.Transaction,
  config: Config,
  policy: UrlPolicy,
  body: NewWebhook,
): Promise<{ row: WebhookRow; created: boolean }> {
  const refusal = policy.refusal(body.url);
  if (refusal) throw new InvalidRequestError(`The webhook url ${refusal}.`, { field: 'url' });
  const events = [...new Set(body.events)];
  const known = knownPatterns();
  const unknown = events.filter((e) => !known.has(e));
  if (unknown.length > 0) {
    throw new InvalidRequestError(`Unknown event patterns: ${unknown.join(', ')}.`, { unknownEvents: unknown });
  }
  if (body.id !== undefined) {
    const prior = await trx<WebhookRow>('webhooks').where({ id: body.id }).forUpdate().first();
    if (prior) {
      const same =
        prior.deleted_at === null &&
        prior.url === body.url &&
        JSON.stringify(prior.events) === JSON.stringify(events) &&
        openSecret(prior.secret, config.WEBHOOK_SECRET_KEY) === body.secret;
      if (!same) throw new ConflictError(`A webhook with id ${body.id} exists with a different body.`, { id: body.id });
      return { row: prior, created: false };
    }
  }
  const [row] = await trx<WebhookRow>('webhooks')
    .insert({
      id: body.id ?? newId('wh'),
      url: body.url,
      events,
      secret: sealSecret(body.secret, config.WEBHOOK_SECRET_KEY),
    })
    .onConflict('id')
    .ignore()
    .returning('*');
  // Two concurrent creates with one id: the loser retries into the "prior" branch above via the client's retry.
  if (!row) throw new ConflictError(`A webhook with id ${body.id} is being created concurrently.`, { id: body.id });
  return { row, created: true };
}

export async function findWebhook(db: Knex, id: string): Promise<WebhookRow> {
  const row = await db<WebhookRow>('webhooks').where({ id }).whereNull('deleted_at').first();
  if (!row) throw new NotFoundError(`No webhook with id ${id}.`, { id });
  return row;
}

/** Soft-deletes the subscription and cancels what it still had to send; the audit trail stays. */
export async function deleteWebhook(trx: Knex.Transaction, id: string): Promise<void> {
  const updated = await trx('webhooks').where({ id }).whereNull('deleted_at').update({ deleted_at: trx.fn.now() });
  if (updated === 0) throw new NotFoundError(`No webhook with id ${id}.`, { id });
  await trx('webhook_deliveries')
    .where({ webhook_id: id, status: 'pending' })
    .update({ status: 'cancelled', leased_until: null, updated_at: trx.fn.now() });
}
