import type { Knex } from 'knex';
import type { Config } from '../src/config.js';
import { preparedStatement } from '../src/db/prepared.js';
import { newId } from '../src/ids.js';
import type { TransitionRecord } from '../src/engine/effects.js';
import { deliveryType, matches } from '../src/webhooks/subscriptions.js';
import type { DeliveryBody } from '../src/webhooks/webhook-schemas.js';

export interface TransitionOutboxRow {
  id: bigint;
  instance_id: string;
  seq: number;
  payload: TransitionRecord;
}

const liveWebhooksStatement = preparedStatement<{ id: string; events: string[] }>(
  'live_webhooks',
  'SELECT id, events FROM webhooks WHERE deleted_at IS NULL',
);

/**
 * Turns a batch of `transition` outbox rows into one delivery row per matching webhook, in the relay's
 * transaction. The relay hands rows over in outbox id order, one batch at a time across all processes, and an
 * instance's outbox ids follow its seq, so every instance's deliveries are created in seq order, which the
 * dispatcher's ordering rule relies on. (webhook_id, outbox_id) is unique, so a batch fanned out twice creates
 * nothing twice. Returns how many deliveries it created.
 */
export async function fanOutTransitions(
  trx: Knex.Transaction,
  config: Config,
  rows: readonly TransitionOutboxRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const webhooks = await liveWebhooksStatement(trx, []);
  const targeted = rows
    .map((row) => ({ row, targets: webhooks.filter((w) => w.events.some((pattern) => matches(pattern, row.payload))) }))
    .filter((t) => t.targets.length > 0);
  if (targeted.length === 0) return 0;

  // The history rows hold what the transition record leaves out: the event's payload and when it was applied.
  const history: { instance_id: string; seq: number; payload: Record<string, unknown>; at: Date }[] = await trx(
    'history',
  )
    .whereIn(
      ['instance_id', 'seq'],
      targeted.map(({ row }) => [row.instance_id, row.seq]),
    )
    .select('instance_id', 'seq', 'payload', 'at');
  const historyOf = new Map(history.map((h) => [`${h.instance_id}#${h.seq}`, h]));

  const deliveries = targeted.flatMap(({ row, targets }) => {
    const h = historyOf.get(`${row.instance_id}#${row.seq}`);
    if (!h) throw new Error(`transition outbox ${row.id} has no history row ${row.instance_id}#${row.seq}`);
    const t = row.payload;
    const type = deliveryType(t.machine, t.type);
    return targets.map((w) => {
      const id = newId('whd');
      const body: DeliveryBody = {
        id,
        type,
        instanceId: row.instance_id,
        machine: t.machine,
        seq: t.seq,
        from: t.from,
        to: t.to,
        event: { type: t.type, actor: t.actor, payload: h.payload },
        at: h.at.toISOString(),
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
  });
  const inserted = await trx('webhook_deliveries')
    .insert(deliveries)
    .onConflict(['webhook_id', 'outbox_id'])
    .ignore()
    .returning('id');
  return inserted.length;
}
