import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import { inTransaction } from '../src/db/transaction.js';
import type { Logger } from '../src/logger.js';
import { runEvery, type Repeating } from './run-every.js';

// autovacuum's own analyze trigger (autovacuum_analyze_threshold, autovacuum_analyze_scale_factor defaults).
const THRESHOLD_ROWS = 50;
const SCALE_FACTOR = 0.1;
// Any constant (the relay has its own): the key of the advisory lock that lets one pass at a time run.
export const STATISTICS_LOCK_KEY = 7_305_002;

/**
 * Keeps planner statistics current where autovacuum is off (as on this project's CI machine), and does nothing
 * where it is on. Without statistics the planner sizes a table by its pages at planning time, so the generic
 * plan of a prepared statement made on an empty table (a sequential scan, cheapest there) stays in use as the
 * table grows: an event's write scanning every instance, a settlement claim every outbox row (seen: settlements
 * falling behind within a minute, bench/README.md). ANALYZE also invalidates those cached plans, so each is
 * made again for the table as it now is. A table is analyzed once it changed past autovacuum's own threshold.
 */
export class PlannerStatistics {
  private repeating: Repeating | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const { rows } = await this.db.raw<{ rows: { on: boolean }[] }>(
      "SELECT current_setting('autovacuum')::boolean AS on",
    );
    if (rows[0]?.on) return;
    this.log.info('autovacuum is off: the workers keep planner statistics current');
    this.repeating = runEvery(
      this.config.STATS_CHECK_INTERVAL_MS,
      async () => {
        await this.analyzeChanged();
      },
      (error) => this.log.warn({ err: error }, 'planner statistics refresh failed; will retry'),
    );
  }

  /**
   * One pass: ANALYZE each of this database's tables that changed past the threshold; returns their names. With
   * several worker processes, one pass at a time does it: the others find the lock taken and skip theirs.
   */
  async analyzeChanged(): Promise<string[]> {
    return inTransaction(this.db, async (trx) => {
      const { rows: locked } = await trx.raw<{ rows: { ok: boolean }[] }>('SELECT pg_try_advisory_xact_lock(?) AS ok', [
        STATISTICS_LOCK_KEY,
      ]);
      if (!locked[0]?.ok) return [];
      const { rows } = await trx.raw<{ rows: { name: string }[] }>(
        `SELECT format('%I.%I', schemaname, relname) AS name FROM pg_stat_user_tables
         WHERE n_mod_since_analyze > ?::float8 + ?::float8 * greatest(n_live_tup, 0)`,
        [THRESHOLD_ROWS, SCALE_FACTOR],
      );
      for (const { name } of rows) await trx.raw(`ANALYZE ${name}`);
      return rows.map((r) => r.name);
    });
  }

  async stop(): Promise<void> {
    await this.repeating?.stop();
  }
}
