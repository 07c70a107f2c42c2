import { UnrecoverableError } from 'bullmq';
import type { Knex } from 'knex';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/knex.js';
import { inTransaction } from '../src/db/transaction.js';
import { newId } from '../src/engine/new-id.js';
import type { TransitionRecord } from '../src/engine/effects.js';
import type { Logger } from '../src/logger.js';
import { deliveryType, matches } from '../src/webhooks/subscriptions.js';
import type { DeliveryBody } from '../src/webhooks/webhook-schemas.js';

interface TransitionOutboxRow {
  id: bigint;
  instance_id: string;
  seq: number;
  payload: TransitionRecord;
}

/**
 * Turns one `transition` outbox row into a delivery row per matching webhook. Jobs of the `webhooks` queue run
 * concurrently and may arrive out of order, so the job fans out every not yet processed transition of its
 * instance up to and including its own, in seq order, under a per-instance advisory lock: the deliveries of
 * an instance are therefore always created in seq order, which the dispatcher's ordering rule relies on.
 * The delivery rows and processed_at are written in one transaction, so a job run twice creates nothing twice.
 * Returns how many deliveries it created.
 */
export async function fanOutTransition(db: Db, config: Config, log: Logger, outboxId: string): Promise<number> {
  const created = await inTransaction(db, async (trx) => {
    const head = await trx('outbox').where({ id: outboxId }).first('instance_id', 'topic', 'processed_at');
    if (!head) {
      log.warn({ outboxId }, 'webhook fan-out job for a missing outbox row; dropping it');
      return 0;
    }
    if (head.topic !== 'transition') throw new UnrecoverableError(`outbox ${outboxId} is a ${head.topic}, not a transition`);
    if (head.processed_at !== null) return 0;
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))', ['webhook-fanout', head.instance_id]);
    const rows: TransitionOutboxRow[] = await trx('outbox')
      .where({ instance_id: head.instance_id, topic: 'transition' })
      .whereNull('processed_at')
      .andWhere('id', '<=', outboxId)
      .orderBy('id')
      .forUpdate()
      .select('id', 'instance_id', 'seq', 'payload');
    if (rows.length === 0) return 0;
    const webhooks: { id: string; events: string[] }[] = await trx('webhooks').whereNull('deleted_at').select('id', 'events');
    let count = 0;
    for (const row of rows) count += await fanOutOne(trx, config, row, webhooks);
    await trx('outbox').whereIn('id', rows.map((r) => r.id.toString())).update({ processed_at: trx.fn.now() });
    return count;
  });
  if (created > 0) log.debug({ outboxId, created }, 'webhook deliveries created');
  return created;
}

async function fanOutOne(trx: Knex.Transaction, config: Config, row: TransitionOutboxRow, webhooks: { id: string; events: string[] }[]): Promise<number> {
  const t = row.payload;
  const targets = webhooks.filter((w) => w.events.some((pattern) => matches(pattern, t)));
  if (targets.length === 0) return 0;
  // The history row has what the transition record leaves out: the event's payload and when it was applied.
  const history = await trx('history').where({ instance_id: row.instance_id, seq: row.seq }).first('payload', 'at');
  if (!history) throw new Error(`transition outbox ${row.id} has no history row ${row.instance_id}#${row.seq}`);
  const type = deliveryType(t.machine, t.type);
  const deliveries = targets.map((w) => {
    const id = newId('whd');
    const body: DeliveryBody = {
      id,
      type,
      instanceId: row.instance_id,
      machine: t.machine,
      seq: t.seq,
      from: t.from,
      to: t.to,
      event: { type: t.type, actor: t.actor, payload: history.payload as Record<string, unknown> },
      at: (history.at as Date).toISOString(),
    };
    return {
      id,
      webhook_id: w.id,
      outbox_id: row.id.toString(),
      instance_id: row.instance_id,
      machine: t.machine,
      seq: t.seq,
      type,
      body: JSON.stringify(body),
      attempts_left: config.WEBHOOK_MAX_ATTEMPTS,
    };
  });
  const inserted = await trx('webhook_deliveries').insert(deliveries).onConflict(['webhook_id', 'outbox_id']).ignore().returning('id');
  return inserted.length;
}
