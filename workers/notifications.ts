import type { Knex } from 'knex';
import { preparedStatement } from '../src/db/prepared.js';
import { notificationMessage } from '../src/notifications/messages.js';

export interface NotificationOutboxRow {
  id: bigint;
  instance_id: string;
  seq: number;
  request_id: string | null;
  payload: { userId: string; type: string };
}

// The whole batch as one JSON parameter: one statement text whatever the batch size, prepared once.
const insertNotificationsStatement = preparedStatement(
  'insert_notifications',
  `INSERT INTO notifications (outbox_id, user_id, type, instance_id, seq, message, request_id)
   SELECT outbox_id, user_id, type, instance_id, seq, message, request_id
   FROM jsonb_to_recordset(?::jsonb)
     AS n(outbox_id bigint, user_id text, type text, instance_id text, seq integer, message text, request_id text)
   ORDER BY outbox_id
   ON CONFLICT (outbox_id) DO NOTHING`,
);

/**
 * Writes the in-app notifications of a batch of outbox rows, in the relay's transaction (one INSERT for the
 * whole batch): deadline reminders, and rows an API from before notifications were written with their event left
 * (a rolling upgrade). The outbox id is unique on notifications, so a batch written twice adds nothing.
 */
export async function writeNotifications(trx: Knex.Transaction, rows: readonly NotificationOutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  const inbox = rows.map((r) => ({
    outbox_id: r.id.toString(),
    user_id: r.payload.userId,
    type: r.payload.type,
    instance_id: r.instance_id,
    seq: r.seq,
    message: notificationMessage(r.payload.type),
    request_id: r.request_id,
  }));
  await insertNotificationsStatement(trx, [JSON.stringify(inbox)]);
}
