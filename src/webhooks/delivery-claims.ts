import type { Knex } from 'knex';
import type { Config } from '../config.js';
import { inTransaction } from '../db/transaction.js';
import { retryDelayMs } from './backoff.js';

export interface Claim {
  id: string;
  webhookId: string;
  url: string;
  secret: string;
  body: string;
  attempt: number;
}

export type AttemptResult =
  | { ok: true; statusCode: number; durationMs: number }
  | { ok: false; statusCode: number | null; error: string; durationMs: number };

/** What became of a delivery after one attempt. */
export type Settled = 'delivered' | 'retrying' | 'dead' | 'stale';

/**
 * Claims due deliveries for sending, in one short transaction, so the HTTP calls run outside it. A delivery is
 * due when it is pending, its time has come, nobody holds a live lease on it, and no earlier delivery of the
 * same (webhook, instance) is still pending or dead: that is what keeps each receiver's view of an instance in
 * seq order, and a dead one holds the rest back until it is re-driven (docs/webhooks.md "Ordering").
 * Claiming spends an attempt up front, so a dispatcher that crashes mid-send cannot retry a delivery forever.
 */
interface ClaimedRow {
  id: string;
  webhook_id: string;
  body: string;
  attempt_count: number;
  url: string;
  secret: string;
}

export async function claimDue(db: Knex, limit: number, leaseMs: number): Promise<Claim[]> {
  return inTransaction(db, async (trx) => {
    // A lease that expired with no attempts left belonged to a dispatcher that died on the last attempt.
    await trx.raw(`
      UPDATE webhook_deliveries SET status = 'dead', leased_until = NULL, updated_at = now()
      WHERE status = 'pending' AND attempts_left = 0 AND leased_until < now()`);
    const { rows: claimed } = await trx.raw<{ rows: ClaimedRow[] }>(
      `WITH due AS (
         SELECT d.id FROM webhook_deliveries d
         JOIN webhooks w ON w.id = d.webhook_id AND w.deleted_at IS NULL
         WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND d.attempts_left > 0
           AND (d.leased_until IS NULL OR d.leased_until < now())
           AND NOT EXISTS (
             SELECT 1 FROM webhook_deliveries e
             WHERE e.webhook_id = d.webhook_id AND e.instance_id = d.instance_id
               AND e.status IN ('pending', 'dead') AND e.seq < d.seq)
         ORDER BY d.next_attempt_at, d.n
         LIMIT ?
         FOR UPDATE OF d SKIP LOCKED)
       UPDATE webhook_deliveries d
       SET leased_until = now() + (? * interval '1 millisecond'), attempt_count = d.attempt_count + 1,
           attempts_left = d.attempts_left - 1, updated_at = now()
       FROM due, webhooks w
       WHERE d.id = due.id AND w.id = d.webhook_id
       RETURNING d.id, d.webhook_id, d.body, d.attempt_count, w.url, w.secret`,
      [limit, leaseMs],
    );
    if (claimed.length === 0) return [];
    const ids = claimed.map((c) => c.id);
    // An attempt still in flight on a delivery we could claim lost its dispatcher (the lease ran out).
    await trx('webhook_attempts')
      .whereIn('delivery_id', ids)
      .andWhere({ outcome: 'in_flight' })
      .update({ outcome: 'abandoned', error: 'the dispatcher stopped before the attempt finished' });
    await trx('webhook_attempts').insert(claimed.map((c) => ({ delivery_id: c.id, attempt: c.attempt_count })));
    return claimed.map((c) => ({
      id: c.id,
      webhookId: c.webhook_id,
      url: c.url,
      secret: c.secret,
      body: c.body,
      attempt: c.attempt_count,
    }));
  });
}

/** Records the attempt and moves the delivery on: delivered, back to pending after a backoff, or dead. */
export async function settleAttempt(db: Knex, config: Config, claim: Claim, result: AttemptResult): Promise<Settled> {
  return inTransaction(db, async (trx) => {
    await trx('webhook_attempts')
      .where({ delivery_id: claim.id, attempt: claim.attempt })
      .update({
        finished_at: trx.fn.now(),
        duration_ms: result.durationMs,
        status_code: result.statusCode,
        error: result.ok ? null : result.error.slice(0, 1000),
        outcome: result.ok ? 'delivered' : 'failed',
      });
    const row = await trx<{ id: string; status: string; attempt_count: number; attempts_left: number }>(
      'webhook_deliveries',
    )
      .where({ id: claim.id })
      .forUpdate()
      .first('status', 'attempt_count', 'attempts_left');
    // Cancelled (webhook deleted) or re-claimed after our lease ran out: the attempt is on record, nothing more.
    if (!row || row.status !== 'pending' || row.attempt_count !== claim.attempt) return 'stale';
    if (result.ok) {
      await trx('webhook_deliveries')
        .where({ id: claim.id })
        .update({ status: 'delivered', delivered_at: trx.fn.now(), leased_until: null, updated_at: trx.fn.now() });
      return 'delivered';
    }
    if (row.attempts_left <= 0) {
      await trx('webhook_deliveries')
        .where({ id: claim.id })
        .update({ status: 'dead', leased_until: null, updated_at: trx.fn.now() });
      return 'dead';
    }
    const failedInRound = config.WEBHOOK_MAX_ATTEMPTS - row.attempts_left;
    const delayMs = retryDelayMs(failedInRound, config.WEBHOOK_BACKOFF_BASE_MS, config.WEBHOOK_BACKOFF_MAX_MS);
    await trx('webhook_deliveries')
      .where({ id: claim.id })
      .update({
        next_attempt_at: trx.raw(`now() + (? * interval '1 millisecond')`, [delayMs]),
        leased_until: null,
        updated_at: trx.fn.now(),
      });
    return 'retrying';
  });
}

/**
 * Milliseconds until the earliest claimable delivery is due (null when none waits), so the dispatcher sleeps
 * no longer than needed. Deliveries held back behind an earlier one of their pair do not count: they become
 * due only when that one settles, which wakes the dispatcher anyway.
 */
export async function msUntilNextDue(db: Knex): Promise<number | null> {
  const { rows } = await db.raw<{ rows: { ms: number | null }[] }>(`
    SELECT (extract(epoch FROM min(greatest(coalesce(d.leased_until, d.next_attempt_at), d.next_attempt_at)) - now()) * 1000)::float8 AS ms
    FROM webhook_deliveries d
    JOIN webhooks w ON w.id = d.webhook_id AND w.deleted_at IS NULL
    WHERE d.status = 'pending'
      AND NOT EXISTS (
        SELECT 1 FROM webhook_deliveries e
        WHERE e.webhook_id = d.webhook_id AND e.instance_id = d.instance_id
          AND e.status IN ('pending', 'dead') AND e.seq < d.seq)`);
  // Clamped here, not in SQL: greatest(0, NULL) is 0 in Postgres, which turned "nothing pending" into "due
  // now" and had the dispatcher polling every few milliseconds with no deliveries at all.
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? null : Math.max(0, Number(ms));
}
