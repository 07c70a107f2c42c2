import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Request } from 'express';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import { inTransaction } from '../db/transaction.js';
import { IdempotencyKeyReuseError, InvalidRequestError } from '../errors/index.js';
import { authedClient } from './auth.js';
import { canonicalJson } from './canonical-json.js';

export interface Reply {
  status: number;
  body: unknown;
}

/** The header a replayed reply carries (docs/api.md "Conventions (v1.1)"); the first reply never does. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

interface KeyRow {
  request_hash: string;
  status: number;
  body: string;
  expired: boolean;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * What a key's request is compared by: method, path and the body as parsed JSON in canonical form, so key order
 * and whitespace do not matter. `legacy` is the hash keys recorded before bodies were canonical (the body as
 * parsed, keys in the order sent): a retry of such a request is still recognised until those keys expire.
 */
function requestHashes(req: Request): { current: string; legacy: string } {
  const target = `${req.method} ${req.baseUrl}${req.path}\n`;
  const body: unknown = req.body ?? null;
  return { current: sha256(target + canonicalJson(body)), legacy: sha256(target + JSON.stringify(body)) };
}

/**
 * Runs a write in one transaction and, when the request carries an Idempotency-Key, records its reply in
 * that same transaction: the same key and body later get the original reply (with `Idempotent-Replayed: true`),
 * a different body gets 422 (docs/api.md "Idempotency"). Refusals are not recorded; nothing changed, so a retry simply
 * runs again. A key is kept for IDEMPOTENCY_KEY_TTL: one older than that is forgotten here even if the expiry
 * worker (workers/idempotency-expiry.ts) has not deleted it yet, so the same key then runs the request anew.
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
  const hashes = requestHashes(req);

  const { reply, replayed } = await inTransaction(db, async (trx) => {
    // Two concurrent requests with one key wait for each other here, so only one of them does the work.
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))', [clientId, key]);
    // Expiry by the database clock, the one the expiry worker compares with.
    const prior: KeyRow | undefined = await trx('idempotency_keys')
      .where({ client_id: clientId, key })
      .first(
        'request_hash',
        'status',
        'body',
        trx.raw("created_at <= now() - (?::bigint * interval '1 millisecond') AS expired", [
          config.IDEMPOTENCY_KEY_TTL,
        ]),
      );
    if (prior && !prior.expired) {
      if (prior.request_hash !== hashes.current && prior.request_hash !== hashes.legacy) {
        throw new IdempotencyKeyReuseError('This Idempotency-Key was used with a different request.');
      }
      return { reply: { status: prior.status, body: JSON.parse(prior.body) as unknown }, replayed: true };
    }
    const fresh = await work(trx);
    const row = {
      client_id: clientId,
      key,
      request_hash: hashes.current,
      status: fresh.status,
      body: JSON.stringify(fresh.body),
    };
    // An expired key not yet deleted by the worker is recorded anew, from now.
    await trx('idempotency_keys')
      .insert(row)
      .onConflict(['client_id', 'key'])
      .merge({ ...row, created_at: trx.fn.now() });
    return { reply: fresh, replayed: false };
  });
  if (replayed) req.res?.set(REPLAYED_HEADER, 'true');
  return reply;
}
