import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { authedClient, requireScope } from '../auth.js';
import { recordSupportAction } from '../../console/support-actions.js';
import type { ApiDeps } from '../deps.js';
import { runWrite } from '../idempotent.js';
import { pageQuery, parseOrThrow } from '../schemas.js';
import type { Scope } from '../../auth/tokens.js';
import { ForbiddenError } from '../../errors/index.js';
import { listDeliveries, redriveDelivery } from '../../webhooks/delivery-store.js';
import { UrlPolicy } from '../../net/url-policy.js';
import { createWebhookBody, deliveryListQuery } from '../../webhooks/webhook-schemas.js';
import {
  createWebhook,
  deleteWebhook,
  findWebhook,
  webhookView,
  type WebhookRow,
} from '../../webhooks/webhook-store.js';

const webhookId = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'must be a webhook id');
const deliveryId = z.string().regex(/^[A-Za-z0-9_]{1,200}$/, 'must be a delivery id');

/** Managing webhooks is admin work (docs/api.md scopes); reading them is also open to the `read` scope ("all GETs"). */
function requireAnyScope(...scopes: Scope[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!scopes.some((s) => req.client?.scopes.includes(s))) {
      throw new ForbiddenError(`This token needs one of the scopes ${scopes.join(', ')}.`, { requiredScope: scopes });
    }
    next();
  };
}

export function webhookRoutes({ db, config }: ApiDeps): Router {
  const router = Router();
  const policy = new UrlPolicy(config.WEBHOOK_ALLOWED_HOSTS);
  const createBody = createWebhookBody(config);

  router.post('/', requireScope('admin'), async (req, res) => {
    const body = parseOrThrow(createBody, req.body, 'webhook');
    const reply = await runWrite(db, config, req, async (trx) => {
      const { row, created } = await createWebhook(trx, config, policy, body);
      return { status: created ? 201 : 200, body: webhookView(row) };
    });
    res.status(reply.status).json(reply.body);
  });

  router.get('/', requireAnyScope('admin', 'read'), async (req, res) => {
    const { limit, cursor } = pageQuery(req.query, config.LIST_LIMIT_DEFAULT, config.LIST_LIMIT_MAX);
    const query = db<WebhookRow>('webhooks')
      .whereNull('deleted_at')
      .orderBy('n')
      .limit(limit + 1);
    if (cursor) query.andWhere('n', '>', cursor);
    const rows = await query;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    res.json({ items: page.map(webhookView), nextCursor: rows.length > limit && last ? last.n.toString() : null });
  });

  router.get('/:id', requireAnyScope('admin', 'read'), async (req, res) => {
    res.json(webhookView(await findWebhook(db, parseOrThrow(webhookId, req.params.id, 'webhook id'))));
  });

  router.delete('/:id', requireScope('admin'), async (req, res) => {
    const id = parseOrThrow(webhookId, req.params.id, 'webhook id');
    await runWrite(db, config, req, async (trx) => {
      await deleteWebhook(trx, id);
      return { status: 204, body: null };
    });
    res.status(204).end();
  });

  router.get('/:id/deliveries', requireAnyScope('admin', 'read'), async (req, res) => {
    const id = parseOrThrow(webhookId, req.params.id, 'webhook id');
    const filters = parseOrThrow(
      deliveryListQuery,
      { status: req.query.status, instanceId: req.query.instanceId },
      'query',
    );
    const { limit, cursor } = pageQuery(req.query, config.LIST_LIMIT_DEFAULT, config.LIST_LIMIT_MAX);
    // Deliveries of a deleted webhook stay readable: they are its audit trail.
    const exists = await db<WebhookRow>('webhooks').where({ id }).first('id');
    if (!exists) await findWebhook(db, id);
    // Only admin clients (who register the URLs) see how each attempt failed in full (delivery-view.ts).
    const detail = req.client?.scopes.includes('admin') ? 'full' : 'summary';
    res.json(await listDeliveries(db, id, filters, limit, cursor, detail));
  });

  // Support staff retry dead deliveries from the console too: it sends an already decided document again to an
  // already configured URL and changes no subscription. Recorded, so the case's timeline says who did it.
  router.post('/:id/deliveries/:deliveryId/retry', requireAnyScope('admin', 'support'), async (req, res) => {
    const id = parseOrThrow(webhookId, req.params.id, 'webhook id');
    const did = parseOrThrow(deliveryId, req.params.deliveryId, 'delivery id');
    const reply = await runWrite(db, config, req, async (trx) => {
      await findWebhook(trx, id);
      const delivery = await redriveDelivery(trx, config, id, did);
      await recordSupportAction(trx, {
        instanceId: delivery.instanceId,
        action: 'retry_delivery',
        subject: did,
        outcome: delivery.status,
        clientId: authedClient(req).id,
      });
      return { status: 200, body: delivery };
    });
    res.status(reply.status).json(reply.body);
  });

  return router;
}
