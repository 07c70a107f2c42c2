import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Request } from 'express';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import { inTransaction } from '../db/transaction.js';
import { IdempotencyKeyReuseError, InvalidRequestError } from '../errors/index.js';
import { authedClient } from './auth.js';

export interface Reply {
  status: number;
  body: unknown;
}

/**
 * Runs a write in one transaction and, when the request carries an Idempotency-Key, records its reply in
 * that same transaction: the same key and body later get the original reply, a different body gets 422
 * (API.md "Idempotency"). Refusals are not recorded; nothing changed, so a retry simply runs again.
 */
export async function runWrite(
  db: Db,
  config: Config,
  req: Request,
  work: (trx: Knex.Transaction) => Promise<Reply>,
  /** The same write without a key, when it has a cheaper way to be one transaction (applyEventUnlocked). */
  workWithoutKey?: () => Promise<Reply>,
): Promise<Reply> {
  const key = req.get('idempotency-key');
  if (key === undefined) return workWithoutKey ? workWithoutKey() : inTransaction(db, work);
  if (key.length === 0 || key.length > config.IDEMPOTENCY_KEY_MAX_CHARS || !/^[\x20-\x7e]+$/.test(key)) {
    throw new InvalidRequestError(
      `Idempotency-Key must be 1 to ${config.IDEMPOTENCY_KEY_MAX_CHARS} printable ASCII characters.`,
    );
  }
  const clientId = authedClient(req).id;
  const requestHash = createHash('sha256')
    .update(`${req.method} ${req.baseUrl}${req.path}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex');

  return inTransaction(db, async (trx) => {
    // Two concurrent requests with one key wait for each other here, so only one of them does the work.
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))', [clientId, key]);
    const prior = await trx('idempotency_keys').where({ client_id: clientId, key }).first();
    if (prior) {
      if (prior.request_hash !== requestHash) {
        throw new IdempotencyKeyReuseError('This Idempotency-Key was used with a different request.');
      }
      return { status: prior.status as number, body: JSON.parse(prior.body as string) as unknown };
    }
    const reply = await work(trx);
    await trx('idempotency_keys').insert({
      client_id: clientId,
      key,
      request_hash: requestHash,
      status: reply.status,
      body: JSON.stringify(reply.body),
    });
    return reply;
  });
}
