import { Router } from 'express';
import { z } from 'zod';
import { destinationSchema } from '../../../machines/payout.v1.js';
import { positiveMoneyString } from '../../../machines/payloads.js';
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
import { ownedListRequest } from '../list-query.js';
import { payoutView } from '../owned-views.js';
import { postEvent } from '../post-event.js';
import { clientId, currency, idParam, parseOrThrow } from '../schemas.js';

export const createPayoutBody = z.strictObject({
  id: clientId.optional(),
  currency,
  amount: positiveMoneyString,
  destination: destinationSchema,
  actor: clientId,
});

const createdReply = ({ row, created }: Created) => ({ status: created ? 201 : 200, body: payoutView(row) });

/**
 * Payouts (docs/api.md "Payouts"): money leaving the platform, each a `payout` machine instance. The request holds
 * the money in its own transaction, so an owner without the funds gets 422 insufficient_funds and nothing exists.
 */
export function payoutRoutes(deps: ApiDeps): Router {
  const { db, reader, config, rules, signals } = deps;
  const router = Router();

  router.post('/accounts/:ownerId/payouts', requireScope('events:write'), async (req, res) => {
    const ownerId = parseOrThrow(clientId, req.params.ownerId, 'owner id');
    const body = parseOrThrow(createPayoutBody, req.body, 'payout');
    const creation = {
      machine: 'payout' as const,
      id: body.id,
      idPrefix: 'po',
      input: { ownerId, currency: body.currency, provider: rules.payoutProvider },
      // The owner asks; anyone else is refused by the machine's role rule (403), as for any event.
      event: { type: 'REQUEST', actor: body.actor, amount: body.amount, destination: body.destination },
    };
    const reply = await runWrite(db, config, req, async (trx) =>
      createdReply(await createOwned(trx, creation, rules.newInstanceVersion('payout'), causeOf(req))),
    );
    signals.outboxWritten();
    res.status(reply.status).json(reply.body);
  });

  router.get('/accounts/:ownerId/payouts', requireScope('read'), async (req, res) => {
    const ownerId = parseOrThrow(clientId, req.params.ownerId, 'owner id');
    const { filters, limit, after } = ownedListRequest('payout', ownerId, req.query, config);
    const page = await lagTolerant(reader, res, (rdb) => listInstances(rdb, 'payout', filters, limit, after));
    res.json({ items: page.rows.map(payoutView), nextCursor: page.next && encodeCursor(page.next) });
  });

  router.get('/payouts/:id', requireScope('read'), async (req, res) => {
    res.json(payoutView(await findInstance(db, idParam(req), 'payout')));
  });

  router.post('/payouts/:id/events', requireEventScope('payout'), postEvent(deps, 'payout', payoutView));

  router.get('/payouts/:id/history', requireScope('read'), historyRoute(deps, 'payout'));

  return router;
}
