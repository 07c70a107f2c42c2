import { Router } from 'express';
import type { ApiDeps } from '../deps.js';
import { stuckSummary } from '../../stuck/find-stuck.js';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);
}

export function healthRoutes({ db, redis, config }: ApiDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  // Ready only when both dependencies answer; the body names the one that does not (docs/api.md "Operations").
  router.get('/readyz', async (_req, res) => {
    const [postgres, redisOk] = await Promise.all([
      withTimeout(db.raw('SELECT 1'), CHECK_TIMEOUT_MS).then(
        () => true,
        () => false,
      ),
      withTimeout(redis.ping(), CHECK_TIMEOUT_MS).then(
        () => true,
        () => false,
      ),
    ]);
    const checks = { postgres: postgres ? 'ok' : 'unavailable', redis: redisOk ? 'ok' : 'unavailable' };
    // Detail, not a verdict: stuck settlements need support's attention (cli stuck redrive), but this process
    // can still serve, so they never make readyz fail. Null when Postgres cannot tell. This endpoint is open,
    // so it says how many and how old, never which (ids are for `cli stuck` and the metrics' token holders).
    const stuck = postgres
      ? await withTimeout(stuckSummary(db, config.STUCK_AFTER_MS), CHECK_TIMEOUT_MS).then(
          ({ count, oldest, thresholdMs }) => ({
            count,
            thresholdMs,
            oldest: oldest && { state: oldest.state, since: oldest.since.toISOString(), ageMs: oldest.ageMs },
          }),
          () => null,
        )
      : null;
    if (postgres && redisOk) {
      res.json({ ok: true, checks, stuck });
      return;
    }
    const down = Object.entries(checks)
      .filter(([, v]) => v !== 'ok')
      .map(([k]) => k);
    res.status(503).json({
      ok: false,
      checks,
      stuck,
      error: { code: 'unavailable', message: `Not ready: ${down.join(', ')} unavailable.`, dependencies: down },
    });
  });

  return router;
}
