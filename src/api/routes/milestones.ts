import { Router } from 'express';
import { z } from 'zod';
import { requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { historyRoute } from '../history-route.js';
import { lagTolerant } from '../read-source.js';
import { postEvent } from '../post-event.js';
import { findViewRow } from '../../engine/view-row.js';
import { listInstances } from '../../lists/instance-list.js';
import { encodeCursor } from '../../lists/list-cursor.js';
import { milestoneListRequest } from '../list-query.js';
import { idParam, parseOrThrow } from '../schemas.js';
import { milestoneView } from '../views.js';
import { waitForSettled } from '../wait-for-settled.js';

export function milestoneRoutes(deps: ApiDeps): Router {
  const { db, reader, config, changes } = deps;
  const router = Router();
  const waitQuery = z.object({
    wait: z.enum(['settled']).optional(),
    timeoutMs: z.coerce.number().int().min(0).max(config.WAIT_TIMEOUT_MAX_MS).default(config.WAIT_TIMEOUT_DEFAULT_MS),
  });

  router.get('/', requireScope('read'), async (req, res) => {
    const { filters, limit, after } = milestoneListRequest(req.query, config);
    const page = await lagTolerant(reader, res, (rdb) => listInstances(rdb, 'milestone', filters, limit, after));
    res.json({ items: page.rows.map(milestoneView), nextCursor: page.next && encodeCursor(page.next) });
  });

  router.get('/:id', requireScope('read'), async (req, res) => {
    const { wait, timeoutMs } = parseOrThrow(
      waitQuery,
      { wait: req.query.wait, timeoutMs: req.query.timeoutMs },
      'query',
    );
    const row =
      wait === 'settled'
        ? await waitForSettled(db, changes, idParam(req), timeoutMs, config.WAIT_RECHECK_MS)
        : await findViewRow(db, idParam(req), 'milestone');
    res.json(milestoneView(row));
  });

  router.post('/:id/events', requireScope('events:write'), postEvent(deps, 'milestone', milestoneView));

  router.get('/:id/history', requireScope('read'), historyRoute(deps, 'milestone'));

  return router;
}
