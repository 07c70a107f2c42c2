import type { Knex } from 'knex';
import type { Config } from '../config.js';
import { ConflictError, NotFoundError } from '../errors/index.js';
import { deliveryView, type AttemptDetail, type AttemptRow, type DeliveryRow } from './delivery-view.js';
import type { DeliveryView } from './webhook-schemas.js';

export interface DeliveryFilters {
  status?: DeliveryView['status'] | undefined;
  instanceId?: string | undefined;
}

/** A page of one webhook's deliveries (oldest first), each with every attempt made for it. */
export async function listDeliveries(
  db: Knex,
  webhookId: string,
  filters: DeliveryFilters,
  limit: number,
  cursor: string | undefined,
  detail: AttemptDetail,
) {
  const query = db<DeliveryRow>('webhook_deliveries')
    .where({ webhook_id: webhookId })
    .orderBy('n')
    .limit(limit + 1);
  if (filters.status) query.andWhere({ status: filters.status });
  if (filters.instanceId) query.andWhere({ instance_id: filters.instanceId });
  if (cursor) query.andWhere('n', '>', cursor);
  const rows = await query;
  const page = rows.slice(0, limit);
  const attempts = page.length
    ? await db<AttemptRow>('webhook_attempts').whereIn(
        'delivery_id',
        page.map((d) => d.id),
      )
    : [];
  const last = page[page.length - 1];
  return {
    items: page.map((d) => deliveryView(d, attempts, detail)),
    nextCursor: rows.length > limit && last ? last.n.toString() : null,
  };
}

/**
 * Re-drives a dead delivery: pending again with a full attempt budget. Deliveries of the same (webhook,
 * instance) after it have been waiting behind it (per-instance order), so they follow once it is delivered.
 * Re-driving a pending delivery changes nothing; a delivered or cancelled one cannot be re-driven.
 */
export async function redriveDelivery(
  trx: Knex.Transaction,
  config: Config,
  webhookId: string,
  deliveryId: string,
): Promise<DeliveryView> {
  const row = await trx<DeliveryRow>('webhook_deliveries')
    .where({ id: deliveryId, webhook_id: webhookId })
    .forUpdate()
    .first();
  if (!row) throw new NotFoundError(`No delivery ${deliveryId} for webhook ${webhookId}.`, { id: deliveryId });
  if (row.status === 'delivered' || row.status === 'cancelled') {
    throw new ConflictError(`Delivery ${deliveryId} is ${row.status} and cannot be retried.`, { status: row.status });
  }
  const [updated]: DeliveryRow[] =
    row.status === 'dead'
      ? await trx('webhook_deliveries')
          .where({ id: deliveryId })
          .update({
            status: 'pending',
            attempts_left: config.WEBHOOK_MAX_ATTEMPTS,
            next_attempt_at: trx.fn.now(),
            leased_until: null,
            updated_at: trx.fn.now(),
          })
          .returning<DeliveryRow[]>('*')
      : [row];
  const attempts = await trx<AttemptRow>('webhook_attempts').where({ delivery_id: deliveryId });
  // Re-driving is admin work: the admin sees the full detail.
  return deliveryView(updated!, attempts, 'full');
}
