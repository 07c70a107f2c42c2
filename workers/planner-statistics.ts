import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import { inTransaction } from '../src/db/transaction.js';
import type { Logger } from '../src/logger.js';
import { runEvery, type Repeating } from './run-every.js';

// autovacuum's own analyze trigger (autovacuum_analyze_threshold, autovacuum_analyze_scale_factor defaults).
const THRESHOLD_ROWS = 50;
const SCALE_FACTOR = 0.1;
// A table holding this many times the rows its statistics counted is analyzed at the next pass, however recent they are.
const GROWTH_FACTOR = 2;
// Any constant (the relay has its own): the key of the advisory lock that lets one pass at a time run.
export const STATISTICS_LOCK_KEY = 7_305_002;

/**
 * Keeps planner statistics current where autovacuum is off (as on this project's CI machine), and does nothing
 * where it is on. Without statistics the planner sizes a table by its pages at planning time, so the generic
 * plan of a prepared statement made on an empty table (a sequential scan, cheapest there) stays in use as the
 * table grows: an event's write scanning every instance, a settlement claim every outbox row (seen: settlements
 * falling behind within a minute, bench/README.md). ANALYZE also invalidates those cached plans, so each is
 * made again for the table as it now is. A table is analyzed once it changed past autovacuum's own threshold: at the
 * next pass if it was never analyzed or has doubled since, else once its statistics are STATS_REFRESH_MIN_AGE_MS old
 * (a minute, as autovacuum would). Every ANALYZE costs a burst of CPU and makes every connection plan its cached
 * statements again; analyzing a growing table at each 10 % (every pass, under load) bought no better plan and put
 * those bursts into the requests' latency (bench/README.md, round 13).
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
      // reltuples is what the last ANALYZE counted (-1 before the first); n_live_tup counts rows as they come.
      const { rows } = await trx.raw<{ rows: { name: string }[] }>(
        `SELECT format('%I.%I', s.schemaname, s.relname) AS name
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
         WHERE s.n_mod_since_analyze > ?::float8 + ?::float8 * greatest(s.n_live_tup, 0)
           AND (c.reltuples < 0
             OR s.n_live_tup > ?::float8 * c.reltuples
             OR coalesce(greatest(s.last_analyze, s.last_autoanalyze), '-infinity')
                <= now() - ?::float8 * interval '1 millisecond')`,
        [THRESHOLD_ROWS, SCALE_FACTOR, GROWTH_FACTOR, this.config.STATS_REFRESH_MIN_AGE_MS],
      );
      for (const { name } of rows) await trx.raw(`ANALYZE ${name}`);
      return rows.map((r) => r.name);
    });
  }

  async stop(): Promise<void> {
    await this.repeating?.stop();
  }
}
