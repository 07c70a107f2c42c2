import { NotFoundError } from '../errors/index.js';
import type { Db } from './knex.js';
import type { Replica } from './replica.js';
import { isDatabaseUnavailable } from './unavailable.js';

export type ReadSource = 'primary' | 'replica';

/**
 * Why a read was served where it was: `fresh` on the replica; on the primary `no_replica` (none configured),
 * `down` (the last check could not reach it), `lagging` (further behind than READ_REPLICA_MAX_LAG_MS), `failed`
 * (the replica read itself failed) or `missing` (the replica did not have the row yet).
 */
export type ReadReason = 'fresh' | 'no_replica' | 'down' | 'lagging' | 'failed' | 'missing';

/** Where a read was served and how current its data is. */
export interface ReadMeta {
  source: ReadSource;
  reason: ReadReason;
  /**
   * For a replica read: every transaction the primary had committed at this instant is in the data. Null for
   * a primary read, which is current.
   */
  asOf: Date | null;
}

export interface Served<T> extends ReadMeta {
  value: T;
}

/** A pool to read from, chosen once: for work that cannot simply be run again (a stream already under way). */
export interface ReadRoute extends ReadMeta {
  db: Db;
}

// Recovery conflicts: the replica cancels a query whose rows replay must remove (serialization failure) or that
// holds up replay (deadlock). The same read on the primary cannot meet them.
const RECOVERY_CONFLICT_CODES = new Set(['40001', '40P01']);

function replicaShortfall(error: unknown): ReadReason | null {
  if (error instanceof NotFoundError) return 'missing';
  if (isDatabaseUnavailable(error)) return 'failed';
  return RECOVERY_CONFLICT_CODES.has(String((error as { code?: unknown }).code)) ? 'failed' : null;
}

/**
 * The one place that decides which pool a lag-tolerant read uses (docs/scaling.md "Read replicas"). Routes hand
 * it the read; everything that must see its own writes (events, their replies, single-instance GETs,
 * ?wait=settled, tokens, idempotency keys) keeps using the primary pool directly.
 */
export class Reader {
  /** Told of every read routed while a replica is configured (the reads counter). */
  onRead: (meta: ReadMeta) => void = () => undefined;

  constructor(
    readonly primary: Db,
    readonly replica: Replica | null,
  ) {}

  get hasReplica(): boolean {
    return this.replica !== null;
  }

  /** The replica while the last check found it reachable and within the lag bound, else the primary. */
  route(): ReadRoute {
    return this.counted(this.choose());
  }

  private choose(): ReadRoute {
    if (!this.replica) return this.onPrimary('no_replica');
    const { up, asOf } = this.replica.state;
    if (!up) return this.onPrimary('down');
    if (asOf === null || Date.now() - asOf > this.replica.options.maxLagMs) return this.onPrimary('lagging');
    return { db: this.replica.db, source: 'replica', reason: 'fresh', asOf: new Date(asOf) };
  }

  /**
   * Runs a read on the chosen pool. A replica read that fails for the replica's sake (unreachable, a recovery
   * conflict) or finds nothing runs again on the primary: a replica's "not found" may only mean "not yet".
   */
  async read<T>(work: (db: Db) => Promise<T>): Promise<Served<T>> {
    const { db, ...meta } = this.choose();
    if (meta.source === 'primary') return { ...this.counted(meta), value: await work(db) };
    let value: T;
    try {
      value = await work(db);
    } catch (error) {
      const reason = replicaShortfall(error);
      if (reason === null) throw error;
      this.replica?.markDown(error);
      const { db: primary, ...fallback } = this.counted(this.onPrimary(reason));
      return { ...fallback, value: await work(primary) };
    }
    return { ...this.counted(meta), value };
  }

  private onPrimary(reason: ReadReason): ReadRoute {
    return { db: this.primary, source: 'primary', reason, asOf: null };
  }

  private counted<M extends ReadMeta>(meta: M): M {
    if (this.replica) this.onRead(meta);
    return meta;
  }

  async close(): Promise<void> {
    await this.replica?.close();
  }
}
