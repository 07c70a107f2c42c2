import type { Logger } from '../logger.js';
import type { Db } from './knex.js';
import { isDatabaseUnavailable } from './unavailable.js';
import { parseLsn, replicaAsOf, type WalSample } from './wal-position.js';

export interface ReplicaOptions {
  /** A replica further behind than this is not read from. */
  maxLagMs: number;
  /** How often its position is compared with the primary's. */
  checkIntervalMs: number;
}

/** What the last check found: reachable or not, and how current its data was (ms since the epoch). */
export interface ReplicaState {
  up: boolean;
  asOf: number | null;
}

interface PositionRow {
  recovery: boolean;
  replayed: string | null;
  replayed_commit_at: Date | null;
}

/**
 * A streaming replica's pool and how far behind the primary it is. Every checkIntervalMs it samples the primary's
 * WAL position, then asks the replica how far it has replayed (wal-position.ts dates it from that). Checks run one
 * after another, never overlapping; one that takes longer than maxLagMs counts as the replica being down, since
 * an answer that late could not show it fresh anyway.
 */
export class Replica {
  private samples: WalSample[] = [];
  private current: ReplicaState = { up: false, asOf: null };
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly db: Db,
    private readonly primary: Db,
    readonly options: ReplicaOptions,
    private readonly log?: Logger,
  ) {}

  get state(): ReplicaState {
    return this.current;
  }

  /** Checks now, then every checkIntervalMs until stop(). */
  async start(): Promise<void> {
    await this.check();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check().finally(() => this.schedule()), this.options.checkIntervalMs);
    this.timer.unref();
  }

  async check(): Promise<void> {
    const startedAt = Date.now();
    try {
      const asOf = await this.withinBound(this.position(startedAt));
      this.update({ up: true, asOf }, null);
    } catch (error) {
      this.update({ up: false, asOf: this.current.asOf }, error);
    }
  }

  /** A read on the replica found it unreachable: reads use the primary until a check finds it back. */
  markDown(error: unknown): void {
    if (isDatabaseUnavailable(error)) this.update({ up: false, asOf: this.current.asOf }, error);
  }

  private async position(startedAt: number): Promise<number | null> {
    // Sampled after startedAt, so every commit made before startedAt lies at or below it.
    const primary = (await this.primary.raw<{ rows: { lsn: string }[] }>('SELECT pg_current_wal_lsn()::text AS lsn'))
      .rows[0]!;
    const keepFrom = startedAt - this.options.maxLagMs - 2 * this.options.checkIntervalMs;
    this.samples = [...this.samples.filter((s) => s.at >= keepFrom), { lsn: parseLsn(primary.lsn), at: startedAt }];
    const { rows } = await this.db.raw<{ rows: PositionRow[] }>(
      `SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS replayed,
              pg_last_xact_replay_timestamp() AS replayed_commit_at`,
    );
    const row = rows[0]!;
    // Not in recovery: DATABASE_READ_URL names a primary (or a promoted replica), which is current.
    if (!row.recovery || row.replayed === null) return startedAt;
    // Further behind than the samples reach: the last replayed commit's time (the primary's clock) tells roughly how far.
    return replicaAsOf(this.samples, parseLsn(row.replayed)) ?? row.replayed_commit_at?.getTime() ?? null;
  }

  private withinBound<T>(work: Promise<T>): Promise<T> {
    return Promise.race([
      work,
      new Promise<T>((_, reject) =>
        setTimeout(() => reject(new Error('replica check timed out')), this.options.maxLagMs).unref(),
      ),
    ]);
  }

  private update(next: ReplicaState, error: unknown): void {
    if (next.up !== this.current.up && !this.stopped) {
      if (next.up) this.log?.info('read replica reachable: lag-tolerant reads use it again');
      else this.log?.warn({ err: error }, 'read replica unreachable: lag-tolerant reads use the primary');
    }
    this.current = next;
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.db.destroy();
  }
}
