import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import type { Logger } from '../src/logger.js';
import { runEvery, type Repeating } from './run-every.js';

/**
 * Forgets Idempotency-Keys older than IDEMPOTENCY_KEY_TTL (docs/api.md "Conventions (v1.1)"): every
 * IDEMPOTENCY_EXPIRY_INTERVAL_MS, deletes them oldest first, IDEMPOTENCY_EXPIRY_BATCH_SIZE rows per statement,
 * each statement its own short transaction, until none is left. Safe with several worker processes and alongside
 * the API: rows another deleter holds are skipped (SKIP LOCKED), a row already gone is simply not found, and the
 * API itself treats an expired key as forgotten (src/api/idempotent.ts), so deleting late changes no answer.
 */
export class IdempotencyExpiry {
  private repeating: Repeating | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.repeating = runEvery(
      this.config.IDEMPOTENCY_EXPIRY_INTERVAL_MS,
      async () => {
        const deleted = await this.deleteExpired();
        if (deleted > 0) this.log.debug({ deleted }, 'expired idempotency keys deleted');
      },
      (error) => this.log.warn({ err: error }, 'idempotency key expiry failed; will retry'),
    );
  }

  /** One pass: deletes every key expired by now, a batch at a time; returns how many it deleted. */
  async deleteExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.deleteBatch();
      total += deleted;
      if (deleted < this.config.IDEMPOTENCY_EXPIRY_BATCH_SIZE) return total;
    }
  }

  /** At most one batch of expired keys, oldest first (idempotency_keys_created_idx); returns how many. */
  async deleteBatch(): Promise<number> {
    const { rowCount } = await this.db.raw<{ rowCount: number | null }>(
      `DELETE FROM idempotency_keys WHERE (client_id, key) IN (
         SELECT client_id, key FROM idempotency_keys
         WHERE created_at <= now() - (?::bigint * interval '1 millisecond')
         ORDER BY created_at
         LIMIT ?
         FOR UPDATE SKIP LOCKED)`,
      [this.config.IDEMPOTENCY_KEY_TTL, this.config.IDEMPOTENCY_EXPIRY_BATCH_SIZE],
    );
    return rowCount ?? 0;
  }

  async stop(): Promise<void> {
    await this.repeating?.stop();
  }
}
