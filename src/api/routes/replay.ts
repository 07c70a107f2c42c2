import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { pinnedMachine } from '../../../machines/registry.js';
import type { Scope } from '../../auth/tokens.js';
import { ForbiddenError } from '../../errors/index.js';
import { loadReplaySource } from '../../replay/load-replay-source.js';
import { readConsistent } from '../../replay/read-consistent.js';
import { replayInstance } from '../../replay/replay-instance.js';
import { replayView } from '../../replay/replay-view.js';
import type { ApiDeps } from '../deps.js';
import { lagTolerant } from '../read-source.js';
import { idParam, parseOrThrow } from '../schemas.js';

/** docs/api.md: replay is open to support staff and to read-only clients alike. */
export function requireAnyScope(scopes: readonly Scope[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!scopes.some((s) => req.client?.scopes.includes(s))) {
      throw new ForbiddenError(`This token needs one of the scopes ${scopes.join(', ')}.`, { requiredScopes: scopes });
    }
    next();
  };
}

const replayQuery = z.object({
  to: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
});

/**
 * `GET /v1/{milestones,projects,payouts,adjustments}/:id/replay?to=<seq>`: re-run the history
 * through the pinned machine version(s) and compare with the stored snapshot. Reads only.
 */
export function replayRoutes({ reader, config }: ApiDeps): Router {
  const router = Router();
  for (const [machine, prefix] of [
    ['milestone', '/milestones'],
    ['project', '/projects'],
    ['payout', '/payouts'],
    ['adjustment', '/adjustments'],
  ] as const) {
    router.get(`${prefix}/:id/replay`, requireAnyScope(['support', 'read']), async (req, res) => {
      const { to } = parseOrThrow(replayQuery, { to: req.query.to }, 'query');
      const source = await lagTolerant(reader, res, (db) =>
        readConsistent(db, (trx) => loadReplaySource(trx, machine, idParam(req), config.REPLAY_MAX_EVENTS)),
      );
      const result = replayInstance(source, pinnedMachine, { toSeq: to, keepSteps: true });
      res.json(replayView(source, result, to ?? null));
    });
  }
  return router;
}
