import { Counter, Gauge } from 'prom-client';
import type { Reader } from '../db/reader.js';
import type { Metrics } from './metrics.js';

/**
 * With a read replica configured: its lag and reachability as the Reader last saw them (no query at scrape time,
 * and nothing to do with /readyz: a lagging or lost replica only sends reads to the primary), and every
 * lag-tolerant read by where it was served and why.
 */
export function registerReplicaMetrics(metrics: Metrics, reader: Reader): void {
  const replica = reader.replica;
  if (!replica) return;
  const registers = [metrics.registry];
  new Gauge({
    name: 'escrow_read_replica_up',
    help: '1 when the last check reached the read replica (DATABASE_READ_URL), 0 when it did not.',
    registers,
    collect() {
      this.set(replica.state.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'escrow_read_replica_lag_seconds',
    help: "How far the read replica's data is behind the primary: now minus the last instant all of whose commits it has replayed (grows while it is down or paused).",
    registers,
    collect() {
      const { asOf } = replica.state;
      if (asOf !== null) this.set(Math.max(0, Date.now() - asOf) / 1000);
    },
  });
  const reads = new Counter({
    name: 'escrow_reads_total',
    help: 'Lag-tolerant reads by where they were served (replica or primary) and why (fresh, down, lagging, failed, missing).',
    labelNames: ['source', 'reason'] as const,
    registers,
  });
  reader.onRead = (meta) => reads.inc({ source: meta.source, reason: meta.reason });
}
