import express, { type Express } from 'express';
import { NotFoundError } from '../errors/index.js';
import { eventMetrics } from '../metrics/event-metrics.js';
import { Metrics } from '../metrics/metrics.js';
import { registerStuckGauge } from '../metrics/stuck-gauge.js';
import { requestLog } from '../metrics/request-log.js';
import { authenticate } from './auth.js';
import { rateLimit } from './rate-limit.js';
import type { ApiDeps } from './deps.js';
import { errorHandler } from './error-handler.js';
import { rejectUnsafeInput } from './reject-unsafe-input.js';
import { accountRoutes } from './routes/accounts.js';
import { consoleApi, consolePage } from './routes/console.js';
import { healthRoutes } from './routes/health.js';
import { machineRoutes } from './routes/machines.js';
import { milestoneRoutes } from './routes/milestones.js';
import { notificationRoutes } from './routes/notifications.js';
import { opsRoutes, type OpsDeps } from './routes/ops.js';
import { projectRoutes } from './routes/projects.js';
import { replayRoutes } from './routes/replay.js';
import { webhookRoutes } from './routes/webhooks.js';

export function createApp(deps: ApiDeps, ops: OpsDeps = { metrics: new Metrics(), queues: [] }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // No ETag on API answers: nothing here serves conditional GETs, and hashing every body cost CPU on the hot path.
  app.set('etag', false);
  // First, so every response (errors included) carries X-Request-Id and every request is logged once.
  app.use(requestLog(deps.log, deps.config.REQUEST_ID_MAX_CHARS));
  app.use(healthRoutes(deps));
  // The support console page is static and open (it asks for a token); its data comes from /v1 below.
  app.use(consolePage());
  // The one scrape-time gauge that needs configuration (STUCK_AFTER_MS), registered where config is at hand.
  registerStuckGauge(ops.metrics, deps.db, deps.log, deps.config.STUCK_AFTER_MS);
  // /metrics, /openapi.json, /docs, /admin/queues: before the JSON parser (the dashboard parses its own bodies).
  app.use(opsRoutes(deps, ops));
  // Before the JSON parser, so events refused as malformed JSON are counted too.
  app.use(eventMetrics(ops.metrics));
  // The size limit applies before parsing, so a huge body costs us at most BODY_LIMIT_BYTES of memory.
  app.use(express.json({ limit: deps.config.BODY_LIMIT_BYTES, strict: true, type: () => true }));
  app.use(rejectUnsafeInput);
  app.use('/v1', authenticate(deps.db, deps.config.AUTH_CACHE_MS));
  // Per token, so after authentication; health and ops routes above are never limited.
  app.use('/v1', rateLimit(deps.config));
  app.use('/v1', replayRoutes(deps));
  app.use('/v1/console', consoleApi(deps));
  app.use('/v1/projects', projectRoutes(deps));
  app.use('/v1/milestones', milestoneRoutes(deps));
  app.use('/v1/accounts', accountRoutes(deps));
  app.use('/v1/users', notificationRoutes(deps));
  app.use('/v1/webhooks', webhookRoutes(deps));
  app.use('/v1/machines', machineRoutes(deps));
  app.use(() => {
    throw new NotFoundError('No such route.');
  });
  app.use(errorHandler(deps.log));
  return app;
}
