import { Gauge } from 'prom-client';
import type { Db } from '../db/knex.js';
import type { Logger } from '../logger.js';
import { stuckSummary } from '../stuck/find-stuck.js';
import type { Metrics } from './metrics.js';

const NAME = 'escrow_instances_stuck';
// Like the other scrape-time gauges: a sick database must not hang the scrape.
const SCRAPE_READ_TIMEOUT_MS = 2_000;

/**
 * `escrow_instances_stuck`: instances in a settlement-in-flight state for longer than STUCK_AFTER_MS, read at
 * scrape time (true for the whole deployment). Registered once per registry; a failed read keeps the last value.
 */
export function registerStuckGauge(metrics: Metrics, db: Db, log: Logger, stuckAfterMs: number): void {
  if (metrics.registry.getSingleMetric(NAME)) return;
  new Gauge({
    name: NAME,
    help: 'Instances in a settlement-in-flight state (tag settling) for longer than STUCK_AFTER_MS; alert on > 0, fix with cli stuck redrive.',
    registers: [metrics.registry],
    async collect() {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('metrics read timed out')), SCRAPE_READ_TIMEOUT_MS).unref(),
      );
      const summary = await Promise.race([stuckSummary(db, stuckAfterMs), timeout]).catch((error: unknown) => {
        log.debug({ err: error, what: 'stuck instances' }, 'metrics read failed');
        return null;
      });
      if (summary !== null) this.set(summary.count);
    },
  });
}
