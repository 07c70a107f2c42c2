import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * This process's Prometheus metrics. One registry per running service (not prom-client's global one), so
 * two services in one process (tests) never collide. Counters count what this process did; gauges that
 * describe shared state (outbox lag, queue depths, webhook backlog) are read at scrape time, see state-gauges.ts.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Events by machine, type and result: `applied` or the docs/api.md error code that refused it. */
  readonly events = new Counter({
    name: 'escrow_events_total',
    help: 'Events posted to machines, by machine, event type and result (applied or the error code).',
    labelNames: ['machine', 'type', 'result'] as const,
    registers: [this.registry],
  });

  /** Time to apply an event and answer, from request arrival to response (applied events only). */
  readonly transitionSeconds = new Histogram({
    name: 'escrow_transition_duration_seconds',
    help: 'Time to apply one event (one Postgres transaction) and answer, by machine and event type.',
    labelNames: ['machine', 'type'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'escrow_webhook_attempts_total',
    help: 'Webhook delivery attempts made by this process, by outcome (delivered or failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookDead = new Counter({
    name: 'escrow_webhook_deliveries_dead_total',
    help: 'Webhook deliveries this process gave up on after the last attempt (re-drive them via the retry endpoint).',
    registers: [this.registry],
  });

  readonly webhookDeliveriesCreated = new Counter({
    name: 'escrow_webhook_deliveries_created_total',
    help: 'Webhook deliveries created by fan-out in this process.',
    registers: [this.registry],
  });

  /** What scrape-time gauges started and a stopping service ends instead of waiting for (see close). */
  private readonly closers: (() => Promise<void>)[] = [];

  /**
   * `processMetrics` false leaves out prom-client's process and runtime metrics: for a registry nobody scrapes (the
   * start-up warm-up's, src/warmup/warm-up.ts), whose event-loop-delay histogram would otherwise run for good.
   */
  constructor({ processMetrics = true }: { processMetrics?: boolean } = {}) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'escrow_' });
  }

  /** Registers how to end work a gauge started in the background, such as the metric's reconciliation. */
  onClose(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  /** Ends the gauges' background work and starts no more; the service calls it first when it stops. */
  async close(): Promise<void> {
    await Promise.all(this.closers.map((close) => close()));
  }
}
