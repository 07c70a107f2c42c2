import type { Queue } from 'bullmq';
import type { Knex } from 'knex';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import { preparedStatement } from '../src/db/prepared.js';
import { inTransaction } from '../src/db/transaction.js';
import type { OutboxTopic } from '../src/engine/effects.js';
import type { Logger } from '../src/logger.js';
import type { SignalBus } from '../src/signals/signal-bus.js';
import { writeNotifications, type NotificationOutboxRow } from './notifications.js';
import { payoutJob, settlementsJob, type QueueKey } from '../src/jobs/queues.js';
import { takeTimersToSchedule, timerJob, type TimerToSchedule } from './timer-relay.js';
import { fanOutTransitions, type TransitionOutboxRow } from './webhook-fanout.js';

interface OutboxRow {
  id: bigint;
  topic: OutboxTopic;
  instance_id: string;
  seq: number;
  payload: unknown;
  request_id: string | null;
}

// Any constant: the key of the advisory lock that lets one relay at a time (across processes) drain the outbox.
const RELAY_LOCK_KEY = 7_305_001;

// Bitmap scans off for this transaction: a bitmap scan of the partial index visits the heap for every entry a
// relayed row left behind until VACUUM (all of them, where autovacuum is off), each pass. A plain index scan in
// id order marks those entries dead as it meets them and skips them afterwards (kill_prior_tuple). Set before
// the batch statement is planned, so its cached plan is built with it.
const lockRelayStatement = preparedStatement(
  'relay_lock',
  "SELECT pg_advisory_xact_lock(?), set_config('enable_bitmapscan', 'off', true)",
);

// The oldest unrelayed rows, locked and stamped relayed in the same statement (and processed, unless the
// settlement worker still has to do that); the rest of the pass happens in this same transaction.
const takeBatchStatement = preparedStatement<OutboxRow>(
  'relay_take_batch',
  `WITH batch AS (
     SELECT id, topic, instance_id, seq, payload, request_id FROM outbox
     WHERE relayed_at IS NULL ORDER BY id LIMIT ? FOR UPDATE
   ), marked AS (
     UPDATE outbox SET relayed_at = now(), processed_at = CASE WHEN outbox.topic IN ('settlement', 'payout') THEN outbox.processed_at ELSE now() END
     FROM batch WHERE outbox.id = batch.id
   )
   SELECT * FROM batch ORDER BY id`,
);

// Refused jobs kept for the next pass, in batches' worth; beyond that the sweeper finds them from their rows.
const UNQUEUED_BATCHES_KEPT = 10;

/** Consecutive runs of at most `size` items: a settlement job carries no more commands than one transaction settles. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * What a committed batch leaves for BullMQ: settlement rows already cut into their jobs, so that a job Redis refused
 * goes again with the same rows under the same id (a second add of a job Redis did take is then a no-op).
 */
interface Jobs {
  settlements: OutboxRow[][];
  payouts: OutboxRow[];
  timers: TimerToSchedule[];
}

const NO_JOBS: Jobs = { settlements: [], payouts: [], timers: [] };

/**
 * Drains committed outbox rows in batches, woken by the writers' signals (src/signals/signal-bus.ts), with a
 * polling fallback for lost ones (Redis away, a writer that sends none). Per batch, in one transaction:
 * - notification and transition rows are done right here, set-based: one INSERT of in-app notifications and one
 *   of webhook deliveries for the whole batch, stamped processed with the batch. A job per row cost more
 *   round trips than the event that caused it (bench/README.md);
 * - settlement and payout rows are stamped relayed, and become BullMQ jobs once that has committed (enqueue: a
 *   job per payout, and one per SETTLEMENT_BATCH_MAX settlements;
 *   money moves in the settlement and payout workers, whose processed_at checks make a second delivery a no-op);
 * - newly armed timers become delayed jobs (timer-relay.ts).
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Jobs of committed batches that Redis refused, tried again at the next pass. */
  private unqueued: Jobs = NO_JOBS;

  constructor(
    private readonly db: Db,
    private readonly queues: Record<QueueKey, Queue>,
    private readonly deploymentId: string,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly signals: SignalBus,
    /** Told how many webhook deliveries a committed batch created, so the dispatcher can start at once. */
    private readonly onDeliveries: (created: number) => void = () => undefined,
  ) {}

  start(): void {
    this.signals.onOutbox(() => this.wake());
    this.timer = setInterval(() => this.wake(), this.config.RELAY_POLL_MS);
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drainAll()
      .then(() => undefined)
      .catch((error: unknown) => this.log.warn({ err: error }, 'outbox relay pass failed; will retry'))
      .finally(() => {
        this.draining = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Relays until the outbox has nothing unrelayed left; returns the number of rows relayed. */
  async drainAll(): Promise<number> {
    const { settlements, payouts, timers } = this.unqueued;
    if (settlements.length + payouts.length + timers.length > 0) await this.enqueue(this.takeUnqueued());
    let total = 0;
    for (;;) {
      const n = await this.drainBatch();
      total += n;
      if (n < this.config.RELAY_BATCH_SIZE || this.stopped) return total;
    }
  }

  private async drainBatch(): Promise<number> {
    let deliveries = 0;
    let jobs: Jobs = NO_JOBS;
    const relayed = await inTransaction(this.db, async (trx) => {
      const rows = await this.relayOutbox(trx);
      deliveries = rows.deliveries;
      // Timers last: an event disarming a timer waits for this row lock, so it is taken only once nothing else
      // in this transaction can wait on an event (a deadlock otherwise, seen with RESPOND against the relay).
      const timers = await takeTimersToSchedule(trx, this.config.RELAY_BATCH_SIZE);
      jobs = { settlements: chunks(rows.settlements, this.config.SETTLEMENT_BATCH_MAX), payouts: rows.payouts, timers };
      return Math.max(rows.relayed, timers.length);
    });
    if (deliveries > 0) this.onDeliveries(deliveries);
    await this.enqueue(jobs);
    return relayed;
  }

  /**
   * Jobs go to BullMQ once the batch that stamped their rows relayed (or scheduled) has committed: a job added
   * before would reach a worker that then waits for this batch's row locks (seen: settlement claims waiting for
   * the relay under load), and a Redis that refuses jobs no longer holds up the batch's notifications and
   * deliveries. The job ids name the rows, so adding one twice adds nothing while the job is kept. Jobs Redis
   * refuses are tried again at the start of each pass (every RELAY_POLL_MS at the latest), up to a bound; those
   * past it, and those that die with this process, are re-enqueued from their rows by the sweeper (settlements
   * after SWEEP_GRACE_MS, timers once due).
   */
  private async enqueue({ settlements, payouts, timers }: Jobs): Promise<void> {
    const [settled, paid, scheduled] = await Promise.allSettled([
      settlements.length > 0
        ? this.queues.settlement.addBulk(settlements.map((c) => settlementsJob(this.deploymentId, c)))
        : null,
      payouts.length > 0
        ? this.queues.payout.addBulk(payouts.map((r) => payoutJob(this.deploymentId, r.id, r.request_id)))
        : null,
      timers.length > 0 ? this.queues.timer.addBulk(timers.map((t) => timerJob(this.deploymentId, t))) : null,
    ]);
    const refused = [settled, paid, scheduled].find((r) => r.status === 'rejected');
    if (refused) {
      this.log.warn({ err: refused.reason }, 'jobs not queued; trying again next pass');
      const bound = this.config.RELAY_BATCH_SIZE * UNQUEUED_BATCHES_KEPT;
      const keep = <T>(kept: T[], more: T[], most = bound) => [...kept, ...more].slice(-most);
      const jobsBound = Math.ceil(bound / this.config.SETTLEMENT_BATCH_MAX);
      const u = this.unqueued;
      this.unqueued = {
        settlements: settled.status === 'rejected' ? keep(u.settlements, settlements, jobsBound) : u.settlements,
        payouts: paid.status === 'rejected' ? keep(u.payouts, payouts) : u.payouts,
        timers: scheduled.status === 'rejected' ? keep(u.timers, timers) : u.timers,
      };
    }
  }

  private takeUnqueued(): Jobs {
    const jobs = this.unqueued;
    this.unqueued = NO_JOBS;
    return jobs;
  }

  private async relayOutbox(
    trx: Knex.Transaction,
  ): Promise<{ relayed: number; deliveries: number; settlements: OutboxRow[]; payouts: OutboxRow[] }> {
    // One relay at a time: batches then commit in outbox order, so an instance's webhook deliveries are
    // created in seq order even with several worker processes.
    await lockRelayStatement(trx, [RELAY_LOCK_KEY]);
    const rows = await takeBatchStatement(trx, [this.config.RELAY_BATCH_SIZE]);
    if (rows.length === 0) return { relayed: 0, deliveries: 0, settlements: [], payouts: [] };

    const settlements = rows.filter((r) => r.topic === 'settlement');
    const payouts = rows.filter((r) => r.topic === 'payout');
    await writeNotifications(trx, rows.filter((r) => r.topic === 'notification') as NotificationOutboxRow[]);
    const deliveries = await fanOutTransitions(
      trx,
      this.config,
      rows.filter((r) => r.topic === 'transition') as TransitionOutboxRow[],
    );
    return { relayed: rows.length, deliveries, settlements, payouts };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
  }
}
