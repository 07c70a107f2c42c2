import { UnrecoverableError } from 'bullmq';
import type { Db } from '../src/db/knex.js';
import { inTransaction } from '../src/db/transaction.js';
import type { Logger } from '../src/logger.js';
import { notificationMessage } from './notification-messages.js';

/** Writes one in-app notification from its outbox row; a redelivered job finds the row processed and stops. */
export async function deliverNotification(db: Db, log: Logger, outboxId: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await trx('outbox').where({ id: outboxId }).forUpdate().first();
    if (!row) {
      log.warn({ outboxId }, 'notification job for a missing outbox row; dropping it');
      return;
    }
    if (row.processed_at !== null) return;
    if (row.topic !== 'notification') throw new UnrecoverableError(`outbox ${outboxId} is a ${row.topic}, not a notification`);
    const { userId, type } = row.payload as { userId: string; type: string };
    await trx('notifications')
      .insert({ outbox_id: outboxId, user_id: userId, type, instance_id: row.instance_id, message: notificationMessage(type) })
      .onConflict('outbox_id')
      .ignore();
    await trx('outbox').where({ id: outboxId }).update({ processed_at: trx.fn.now() });
  });
}
