import { Router } from 'express';
import { z } from 'zod';
import { adjustmentPayloads } from '../../../machines/adjustment.v1.js';
import { createOwned } from '../../engine/create-owned.js';
import type { Created } from '../../engine/create-project.js';
import { findInstance } from '../../engine/instance-row.js';
import { listInstances } from '../../lists/instance-list.js';
import { encodeCursor } from '../../lists/list-cursor.js';
import { causeOf, requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { historyRoute } from '../history-route.js';
import { lagTolerant } from '../read-source.js';
import { requireEventScope } from '../event-scope.js';
import { runWrite } from '../idempotent.js';
import { adjustmentListRequest } from '../list-query.js';
import { adjustmentView } from '../owned-views.js';
import { postEvent } from '../post-event.js';
import { clientId, currency, idParam, parseOrThrow } from '../schemas.js';

export const createAdjustmentBody = z.strictObject({
  id: clientId.optional(),
  ownerId: clientId,
  currency,
  ...adjustmentPayloads.PROPOSE.shape,
  actor: clientId,
});

const createdReply = ({ row, created }: Created) => ({ status: created ? 201 : 200, body: adjustmentView(row) });

/**
 * Adjustments (docs/api.md "Adjustments"): four-eyes corrections of an owner's available balance, each an
 * `adjustment` machine instance. Proposing moves nothing; the approval moves the money in its own transaction.
 */
export function adjustmentRoutes(deps: ApiDeps): Router {
  const { db, reader, config, rules } = deps;
  const router = Router();

  router.post('/', requireScope('support'), async (req, res) => {
    const body = parseOrThrow(createAdjustmentBody, req.body, 'adjustment');
    const creation = {
      machine: 'adjustment' as const,
      id: body.id,
      idPrefix: 'adj',
      input: { ownerId: body.ownerId, currency: body.currency },
      // Proposed by support staff; the owner proposing for themselves is refused by the role rule (403).
      event: { type: 'PROPOSE', actor: body.actor, amount: body.amount, reason: body.reason },
    };
    const options = { ...causeOf(req), supportScope: true };
    const reply = await runWrite(db, config, req, async (trx) =>
      createdReply(await createOwned(trx, creation, rules.newInstanceVersion('adjustment'), options)),
    );
    res.status(reply.status).json(reply.body);
  });

  router.get('/', requireScope('read'), async (req, res) => {
    const { filters, limit, after } = adjustmentListRequest(req.query, config);
    const page = await lagTolerant(reader, res, (rdb) => listInstances(rdb, 'adjustment', filters, limit, after));
    res.json({ items: page.rows.map(adjustmentView), nextCursor: page.next && encodeCursor(page.next) });
  });

  router.get('/:id', requireScope('read'), async (req, res) => {
    res.json(adjustmentView(await findInstance(db, idParam(req), 'adjustment')));
  });

  router.post('/:id/events', requireEventScope('adjustment'), postEvent(deps, 'adjustment', adjustmentView));

  router.get('/:id/history', requireScope('read'), historyRoute(deps, 'adjustment'));

  return router;
}
