import { Router } from 'express';
import { z } from 'zod';
import { requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { runWrite } from '../idempotent.js';
import { clientId, markReadBody, pageQuery, parseOrThrow } from '../schemas.js';

interface NotificationRow {
  id: bigint;
  user_id: string;
  type: string;
  instance_id: string;
  message: string;
  created_at: Date;
  read_at: Date | null;
}

export function notificationRoutes({ db, config }: ApiDeps): Router {
  const router = Router();
  const unreadQuery = z.object({ unread: z.enum(['true', 'false']).optional() });

  router.get('/:id/notifications', requireScope('read'), async (req, res) => {
    const userId = parseOrThrow(clientId, req.params.id, 'user id');
    const { unread } = parseOrThrow(unreadQuery, { unread: req.query.unread }, 'query');
    const { limit, cursor } = pageQuery(req.query, config.LIST_LIMIT_DEFAULT, config.LIST_LIMIT_MAX);
    const query = db<NotificationRow>('notifications')
      .where({ user_id: userId })
      .orderBy('id')
      .limit(limit + 1);
    if (unread === 'true') query.whereNull('read_at');
    if (cursor) query.andWhere('id', '>', cursor);
    const rows = await query;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    res.json({
      items: page.map((n) => ({
        id: n.id.toString(),
        type: n.type,
        instanceId: n.instance_id,
        message: n.message,
        createdAt: n.created_at.toISOString(),
        readAt: n.read_at?.toISOString() ?? null,
      })),
      nextCursor: rows.length > limit && last ? last.id.toString() : null,
    });
  });

  router.post('/:id/notifications/read', requireScope('events:write'), async (req, res) => {
    const userId = parseOrThrow(clientId, req.params.id, 'user id');
    const { ids } = parseOrThrow(markReadBody, req.body, 'body');
    const reply = await runWrite(db, config, req, async (trx) => {
      const marked = await trx('notifications')
        .where({ user_id: userId })
        .whereIn('id', ids)
        .whereNull('read_at')
        .update({ read_at: trx.fn.now() });
      return { status: 200, body: { marked } };
    });
    res.status(reply.status).json(reply.body);
  });

  return router;
}
