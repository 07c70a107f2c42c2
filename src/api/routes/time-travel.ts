import { Router } from 'express';
import { z } from 'zod';
import { fireArmedTimersNow } from '../../engine/time-travel.js';
import { NotFoundError } from '../../errors/index.js';
import { authedClient, requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { idParam, parseOrThrow } from '../schemas.js';

/**
 * `POST /v1/admin/instances/:id/fire-timers` (admin): time travel for test deployments. Fires the instance's
 * armed timers now, through the timers worker's own code (src/engine/time-travel.ts), so a generated timer path
 * finishes in seconds instead of days. Off unless ALLOW_TIME_TRAVEL, which a production deployment refuses to
 * start with; off, it answers 404 as if it did not exist. Repeating it fires nothing more.
 */
export function timeTravelRoutes({ config, db, log }: ApiDeps): Router {
  const router = Router();
  // Optional: only the timers that raise this event (e.g. RESPONSE_TIMEOUT); none given, every armed one.
  const body = z
    .object({
      event: z
        .string()
        .regex(/^[A-Z][A-Z_]{0,63}$/)
        .optional(),
    })
    .strict();
  router.post('/admin/instances/:id/fire-timers', requireScope('admin'), async (req, res) => {
    if (!config.ALLOW_TIME_TRAVEL)
      throw new NotFoundError('Time travel is off on this deployment (ALLOW_TIME_TRAVEL).', { timeTravel: 'off' });
    const { event } = parseOrThrow(body, req.body ?? {}, 'body');
    const timers = await fireArmedTimersNow(db, log, idParam(req), authedClient(req).id, event);
    res.json({ instanceId: idParam(req), timers });
  });
  return router;
}
