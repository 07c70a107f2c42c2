import { Router } from 'express';
import { causeOf, requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { historyRoute } from '../history-route.js';
import { lagTolerant } from '../read-source.js';
import { postEvent } from '../post-event.js';
import { createMilestone } from '../../engine/create-milestone.js';
import { createProject, type Created } from '../../engine/create-project.js';
import { findViewRow, withViewFacts, type ViewRow } from '../../engine/view-row.js';
import { runWrite } from '../idempotent.js';
import { createMilestoneBody, createProjectBody, idParam, parseOrThrow } from '../schemas.js';
import { listInstances } from '../../lists/instance-list.js';
import { encodeCursor } from '../../lists/list-cursor.js';
import { projectListRequest } from '../list-query.js';
import { milestoneView, projectView } from '../views.js';

const createdReply = ({ row, created }: Created<ViewRow>) => ({
  status: created ? 201 : 200,
  body: milestoneView(row),
});

export function projectRoutes(deps: ApiDeps): Router {
  const { db, reader, config, rules, signals, events } = deps;
  const router = Router();

  router.post('/', requireScope('events:write'), async (req, res) => {
    const body = parseOrThrow(createProjectBody, req.body, 'project');
    const reply = await runWrite(db, config, req, async (trx) => {
      const { row, created } = await createProject(trx, body, rules);
      return { status: created ? 201 : 200, body: projectView(await withViewFacts(trx, row)) };
    });
    res.status(reply.status).json(reply.body);
  });

  router.get('/', requireScope('read'), async (req, res) => {
    const { filters, limit, after } = projectListRequest(req.query, config);
    const page = await lagTolerant(reader, res, (rdb) => listInstances(rdb, 'project', filters, limit, after));
    res.json({ items: page.rows.map(projectView), nextCursor: page.next && encodeCursor(page.next) });
  });

  router.get('/:id', requireScope('read'), async (req, res) => {
    res.json(projectView(await findViewRow(db, idParam(req), 'project')));
  });

  router.post('/:id/events', requireScope('events:write'), postEvent(deps, 'project', projectView));

  router.get('/:id/history', requireScope('read'), historyRoute(deps, 'project'));

  // With an Idempotency-Key, in the key's transaction; without one, as a compare-and-set when it can.
  router.post('/:id/milestones', requireScope('events:write'), async (req, res) => {
    const body = parseOrThrow(createMilestoneBody, req.body, 'milestone');
    // As for events (post-event.ts): the relay is woken only when the write left it rows.
    let relay = true;
    const reply = await runWrite(
      db,
      config,
      req,
      async (trx) => {
        // The project's row this process remembers would be behind once this commits.
        events.forget(idParam(req));
        const { row, created } = await createMilestone(trx, idParam(req), body, rules, causeOf(req));
        return createdReply({ row: await withViewFacts(trx, row), created });
      },
      async () => {
        const created = await events.create(idParam(req), body, rules, causeOf(req));
        relay = created.relay;
        return createdReply(created);
      },
    );
    if (relay) signals.outboxWritten();
    res.status(reply.status).json(reply.body);
  });

  return router;
}
