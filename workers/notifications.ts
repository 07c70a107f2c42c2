import type { Knex } from 'knex';
import { notificationMessage } from './notification-messages.js';

export interface NotificationOutboxRow {
  id: bigint;
  instance_id: string;
  payload: { userId: string; type: string };
}

/**
 * Writes the in-app notifications of a batch of outbox rows, in the relay's transaction (one INSERT for the
 * whole batch). The outbox id is unique on notifications, so a batch written twice adds nothing.
 */
export async function writeNotifications(trx: Knex.Transaction, rows: readonly NotificationOutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await trx('notifications')
    .insert(
      rows.map((r) => ({
        outbox_id: r.id.toString(),
        user_id: r.payload.userId,
        type: r.payload.type,
        instance_id: r.instance_id,
        message: notificationMessage(r.payload.type),
      })),
    )
    .onConflict('outbox_id')
    .ignore();
}
