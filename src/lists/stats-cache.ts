import type { Reader, Served } from '../db/reader.js';
import { countStats, type Stats } from './instance-stats.js';

export interface StatsCacheOptions {
  stuckAfterMs: number;
  /** Counts over fewer instances than this are not kept at all: small databases always answer fresh. */
  cacheAboveRows: number;
  /** A slower count is kept for this many times what it took… */
  cacheFactor: number;
  /** …but never longer than this. */
  cacheMaxMs: number;
}

/**
 * GET /v1/stats for many consoles polling at once. On a small database counting runs every time (exact, and
 * a client that just changed something sees it); over `cacheAboveRows` instances the result is shared for
 * `cacheFactor` times what it cost, so however many agents poll, counting takes at most 1/cacheFactor of one
 * database core. Concurrent requests share one count. The size decides, not the time a count took, which a busy
 * machine would stretch.
 */
export class StatsCache {
  private kept: { stats: Served<Stats>; until: number } | null = null;
  private running: Promise<Served<Stats>> | null = null;

  constructor(
    private readonly reader: Reader,
    private readonly options: StatsCacheOptions,
  ) {}

  async get(): Promise<Served<Stats>> {
    if (this.kept && performance.now() < this.kept.until) return this.kept.stats;
    this.running ??= this.count().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async count(): Promise<Served<Stats>> {
    const started = performance.now();
    const served = await this.reader.read((db) => countStats(db, this.options.stuckAfterMs));
    const tookMs = performance.now() - started;
    // Counted on a replica, the numbers are as current as its data, not as the moment they were counted.
    const stats = served.asOf ? { ...served, value: { ...served.value, asOf: served.asOf.toISOString() } } : served;
    const { cacheAboveRows, cacheFactor, cacheMaxMs } = this.options;
    const counted = [stats.value.milestones.byState, stats.value.projects.byState]
      .flatMap((byState) => Object.values(byState))
      .reduce((a, b) => a + b, 0);
    this.kept =
      counted < cacheAboveRows
        ? null
        : { stats, until: performance.now() + Math.min(cacheMaxMs, tookMs * cacheFactor) };
    return stats;
  }
}
