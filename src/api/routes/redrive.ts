import type { Queue } from 'bullmq';
import { Router } from 'express';
import { recordSupportAction } from '../../console/support-actions.js';
import { findInstance } from '../../engine/instance-row.js';
import { UnavailableError } from '../../errors/index.js';
import { redriveInstance } from '../../stuck/redrive.js';
import { authedClient, requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { idParam } from '../schemas.js';

/**
 * `POST /v1/milestones/:id/redrive` (support): what `cli stuck redrive <id>` does, for the console. Puts the
 * settlement job a settling milestone waits for back on its queue (safe to repeat: the worker checks its outbox
 * row, transfer ids derive from it), and records who asked, so the case's timeline shows it.
 */
export function redriveRoutes({ db }: ApiDeps, settlementQueue: Queue | undefined): Router {
  const router = Router();
  router.post('/milestones/:id/redrive', requireScope('support'), async (req, res) => {
    const id = idParam(req);
    await findInstance(db, id, 'milestone');
    if (!settlementQueue) throw new UnavailableError('This process has no settlement queue to re-drive with.');
    const deployment: { id: string } | undefined = await db('deployment').first('id');
    if (!deployment) throw new Error('the database has no deployment row; was it migrated?');
    const result = await redriveInstance(db, settlementQueue, deployment.id, id).catch((error: unknown) => {
      throw new UnavailableError('The settlement queue (Redis) did not answer; nothing was re-driven.', {
        cause: error instanceof Error ? error.message : String(error),
      });
    });
    await recordSupportAction(db, {
      instanceId: id,
      action: 'redrive',
      subject: result.outboxId,
      outcome: result.outcome,
      clientId: authedClient(req).id,
    });
    res.json(result);
  });
  return router;
}
