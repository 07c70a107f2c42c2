import type { Db } from './knex.js';

export type ReadSource = 'primary' | 'replica';

/** Where a read was served and how current its data is. */
export interface ReadMeta {
  source: ReadSource;
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

/**
 * The one place that decides which pool a lag-tolerant read uses (docs/scaling.md "Read replicas"). Routes hand
 * it the read; everything that must see its own writes (events, their replies, single-instance GETs,
 * ?wait=settled, tokens, idempotency keys) keeps using the primary pool directly.
 */
export class Reader {
  constructor(
    readonly primary: Db,
    private readonly replica: Db | null,
  ) {}

  get hasReplica(): boolean {
    return this.replica !== null;
  }

  route(): ReadRoute {
    if (!this.replica) return { db: this.primary, source: 'primary', asOf: null };
    return { db: this.replica, source: 'replica', asOf: null };
  }

  async read<T>(work: (db: Db) => Promise<T>): Promise<Served<T>> {
    const { db, ...meta } = this.route();
    return { ...meta, value: await work(db) };
  }

  async close(): Promise<void> {
    await this.replica?.destroy();
  }
}
