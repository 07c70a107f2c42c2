import { Gauge } from 'prom-client';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { Logger } from '../logger.js';
import { reconcile, type ReconcileReport } from '../reconcile/reconcile.js';
import type { Metrics } from './metrics.js';

const NAME = 'escrow_reconcile_differences';
const CHECKED_AT = 'escrow_reconcile_checked_at_seconds';
// A scrape waits this long for a reconciliation it started; past it, the scrape reports the last one and the
// reconciliation finishes for a later scrape. The first scrape after start may find no result yet.
const SCRAPE_WAIT_MS = 2_000;

/**
 * `escrow_reconcile_differences{currency,check}`: what `cli reconcile` finds, as a gauge (0 for each check that
 * holds in each currency), alertable on > 0. A reconciliation reads every transfer, so a scrape starts one only
 * when the last is older than RECONCILE_METRIC_TTL_MS, and never two at once; /readyz never waits for it (a
 * ledger difference is a finance alarm, not a reason to take the API out of a load balancer).
 * `escrow_reconcile_checked_at_seconds` says when the reported reconciliation ran.
 */
export function registerReconcileGauge(metrics: Metrics, db: Db, log: Logger, config: Config): void {
  if (metrics.registry.getSingleMetric(NAME)) return;
  let last: { report: ReconcileReport; at: number } | null = null;
  let running: Promise<void> | null = null;
  // On a large ledger a reconciliation outlasts SHUTDOWN_TIMEOUT_MS, and a stop would wait for its connection:
  // a stopping service cancels it and starts no other.
  const stopping = new AbortController();
  const refresh = () => {
    if (stopping.signal.aborted) return Promise.resolve();
    const date = new Date().toISOString().slice(0, 10);
    return (running ??= reconcile(db, { date, pageSize: config.RECONCILE_BATCH_SIZE, signal: stopping.signal })
      .then((report) => {
        last = { report, at: Date.now() };
      })
      .catch((error: unknown) => {
        if (stopping.signal.aborted) log.info('reconciliation for the metric cancelled: the service is stopping');
        else log.warn({ err: error }, 'reconciliation for the metric failed');
      })
      .finally(() => {
        running = null;
      }));
  };
  metrics.onClose(async () => {
    stopping.abort();
    await running;
  });
  // Both gauges are collected at once by a scrape: they share the one reconciliation `running` holds.
  const current = async () => {
    if (last === null || Date.now() - last.at >= config.RECONCILE_METRIC_TTL_MS) {
      const wait = new Promise<void>((resolve) => setTimeout(resolve, SCRAPE_WAIT_MS).unref());
      await Promise.race([refresh(), wait]);
    }
    return last;
  };
  new Gauge({
    name: NAME,
    help: 'Ledger differences found by reconciliation, by currency and check (cli reconcile lists them); alert on > 0.',
    labelNames: ['currency', 'check'] as const,
    registers: [metrics.registry],
    async collect() {
      const latest = await current();
      if (latest === null) return;
      this.reset();
      for (const c of latest.report.currencies)
        for (const check of latest.report.checks) this.set({ currency: c.currency, check }, 0);
      for (const d of latest.report.differences) this.inc({ currency: d.currency, check: d.check });
    },
  });
  new Gauge({
    name: CHECKED_AT,
    help: 'Unix time of the reconciliation escrow_reconcile_differences reports.',
    registers: [metrics.registry],
    async collect() {
      const latest = await current();
      if (latest !== null) this.set(latest.at / 1000);
    },
  });
}
