import { Router } from 'express';
import { z } from 'zod';
import { requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { postEvent } from '../post-event.js';
import { findInstance, type InstanceRow } from '../../engine/instance-row.js';
import { clientId, idParam, pageQuery, parseOrThrow } from '../schemas.js';
import { historyPage } from '../../history/history-page.js';
import { milestoneView } from '../views.js';
import { waitForSettled } from '../wait-for-settled.js';

export function milestoneRoutes(deps: ApiDeps): Router {
  const { db, config, changes } = deps;
  const router = Router();
  const waitQuery = z.object({
    wait: z.enum(['settled']).optional(),
    timeoutMs: z.coerce.number().int().min(0).max(config.WAIT_TIMEOUT_MAX_MS).default(config.WAIT_TIMEOUT_DEFAULT_MS),
  });
  const listFilters = z.object({
    projectId: clientId.optional(),
    state: z
      .string()
      .regex(/^[a-z_]{1,64}$/)
      .optional(),
    party: clientId.optional(),
  });

  router.get('/', requireScope('read'), async (req, res) => {
    const filters = parseOrThrow(
      listFilters,
      { projectId: req.query.projectId, state: req.query.state, party: req.query.party },
      'query',
    );
    const { limit, cursor } = pageQuery(req.query, config.LIST_LIMIT_DEFAULT, config.LIST_LIMIT_MAX);
    const query = db<InstanceRow>('instances')
      .where({ machine: 'milestone' })
      .orderBy('n')
      .limit(limit + 1);
    if (filters.projectId) query.andWhere({ project_id: filters.projectId });
    if (filters.state) query.andWhere({ state: filters.state });
    if (filters.party)
      query.andWhere((q) => void q.where({ employer_id: filters.party }).orWhere({ freelancer_id: filters.party }));
    if (cursor) query.andWhere('n', '>', cursor);
    const rows = await query;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    res.json({ items: page.map(milestoneView), nextCursor: rows.length > limit && last ? last.n.toString() : null });
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
        : await findInstance(db, idParam(req), 'milestone');
    res.json(milestoneView(row));
  });

  router.post('/:id/events', requireScope('events:write'), postEvent(deps, 'milestone', milestoneView));

  router.get('/:id/history', requireScope('read'), async (req, res) => {
    await findInstance(db, idParam(req), 'milestone');
    const { limit, cursor } = pageQuery(req.query, config.LIST_LIMIT_MAX, config.LIST_LIMIT_MAX);
    res.json(await historyPage(db, idParam(req), cursor === undefined ? 0 : Number(cursor), limit));
  });

  return router;
}
