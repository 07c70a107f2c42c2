import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import { inTransaction } from '../src/db/transaction.js';
import type { Logger } from '../src/logger.js';
import { REMINDER_RULES } from './reminder-rules.js';
import { runEvery, type Repeating } from './run-every.js';

/**
 * Warns the party who must act when an armed deadline is less than DEADLINE_REMINDER_LEAD_MS away (default
 * 24 h). Only deadlines set further ahead than that get a reminder: for a shorter one, the notice that set it
 * (dispute opened, fee paid, …) is the warning. The reminder is an in-app notification through the outbox,
 * written in the same transaction that stamps the timer reminded, so it goes out once.
 */
export class DeadlineReminders {
  private repeating: Repeating | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
    /** Told after commit that reminders wait in the outbox (the relay in this process drains them). */
    private readonly onQueued: () => void = () => undefined,
  ) {}

  start(): void {
    this.repeating = runEvery(
      this.config.DEADLINE_REMINDER_INTERVAL_MS,
      async () => {
        await this.sendDue();
      },
      (error) => this.log.warn({ err: error }, 'deadline reminders failed; will retry'),
    );
  }

  /** One pass; returns how many reminders it queued. */
  async sendDue(): Promise<number> {
    const queued = await inTransaction(this.db, async (trx) => {
      const lead = trx.raw("(?::bigint * interval '1 millisecond')", [this.config.DEADLINE_REMINDER_LEAD_MS]);
      const due: {
        id: bigint;
        timer_key: string;
        instance_id: string;
        seq: number;
        snapshot: { context: Record<string, unknown> };
      }[] = await trx('timers as t')
        .join('instances as i', 'i.id', 't.instance_id')
        .where('t.status', 'armed')
        .whereNull('t.reminded_at')
        .whereIn('t.timer_key', Object.keys(REMINDER_RULES))
        .andWhere('t.fire_at', '<=', trx.raw('now() + ?', [lead]))
        .andWhere('t.fire_at', '>', trx.raw('t.created_at + ?', [lead]))
        .orderBy('t.fire_at')
        .limit(this.config.SWEEP_BATCH_SIZE)
        .forUpdate('t')
        .skipLocked()
        .select('t.id', 't.timer_key', 't.instance_id', 'i.seq', 'i.snapshot');
      if (due.length === 0) return 0;
      const rows = due.flatMap((t) => {
        const rule = REMINDER_RULES[t.timer_key]!;
        const users = rule.mustAct(t.snapshot.context as never).filter((u): u is string => u !== null);
        return users.map((userId) => ({
          instance_id: t.instance_id,
          seq: t.seq,
          topic: 'notification',
          payload: { userId, type: rule.type },
        }));
      });
      if (rows.length > 0) await trx('outbox').insert(rows);
      await trx('timers')
        .whereIn(
          'id',
          due.map((t) => t.id.toString()),
        )
        .update({ reminded_at: trx.fn.now() });
      return rows.length;
    });
    if (queued > 0) this.onQueued();
    return queued;
  }

  async stop(): Promise<void> {
    await this.repeating?.stop();
  }
}
