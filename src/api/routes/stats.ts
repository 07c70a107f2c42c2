import { Router } from 'express';
import { StatsCache } from '../../lists/stats-cache.js';
import type { ApiDeps } from '../deps.js';
import { tellReadSource } from '../read-source.js';
import { requireAnyScope } from './replay.js';

/** `GET /v1/stats` (docs/api.md "Lists (v1.1)"): instances per state path, stuck settlements, dead deliveries. */
export function statsRoutes({ reader, config }: ApiDeps): Router {
  const router = Router();
  const stats = new StatsCache(reader, {
    stuckAfterMs: config.STUCK_AFTER_MS,
    cacheAboveRows: config.STATS_CACHE_ABOVE_ROWS,
    cacheFactor: config.STATS_CACHE_FACTOR,
    cacheMaxMs: config.STATS_CACHE_MAX_MS,
  });
  // The console's queue page reads it with a support token as well as a read one.
  router.get('/', requireAnyScope(['read', 'support']), async (_req, res) => {
    const served = await stats.get();
    tellReadSource(res, served);
    res.json(served.value);
  });
  return router;
}
