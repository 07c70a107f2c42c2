import express, { Router, type Express } from 'express';
import { NotFoundError } from '../errors/index.js';
import { QUEUE_NAMES } from '../jobs/queues.js';
import { eventMetrics } from '../metrics/event-metrics.js';
import { Metrics } from '../metrics/metrics.js';
import { registerReconcileGauge } from '../metrics/reconcile-gauge.js';
import { registerStuckGauge } from '../metrics/stuck-gauge.js';
import { requestLog } from '../metrics/request-log.js';
import { rateLimit } from './rate-limit.js';
import type { ApiDeps } from './deps.js';
import { errorHandler } from './error-handler.js';
import { jsonBodyParser, requireJsonBody } from './json-body.js';
import { rejectUnsafeInput } from './reject-unsafe-input.js';
import { accountRoutes } from './routes/accounts.js';
import { clientRoutes } from './routes/clients.js';
import { consoleApi, consolePage } from './routes/console.js';
import { healthRoutes } from './routes/health.js';
import { machineRoutes } from './routes/machines.js';
import { milestoneRoutes } from './routes/milestones.js';
import { notificationRoutes } from './routes/notifications.js';
import { opsRoutes, type OpsDeps } from './routes/ops.js';
import { payoutRoutes } from './routes/payouts.js';
import { projectRoutes } from './routes/projects.js';
import { redriveRoutes } from './routes/redrive.js';
import { replayRoutes } from './routes/replay.js';
import { statsRoutes } from './routes/stats.js';
import { timeTravelRoutes } from './routes/time-travel.js';
import { webhookRoutes } from './routes/webhooks.js';
import { pageSecurityHeaders } from './security-headers.js';

/** Everything under /v1 (docs/api.md): parsed, checked, authenticated and rate limited, then routed. */
function v1Routes(deps: ApiDeps, ops: OpsDeps): Router {
  const settlementQueue = ops.queues.find((q) => q.name === QUEUE_NAMES.settlement);
  const v1 = Router();
  // Before the JSON parser, so events refused as malformed JSON are counted too.
  v1.use(eventMetrics(ops.metrics));
  // Before any body is read: an unauthenticated request costs no parsing, and a flood of them is refused by
  // the failed-authentication budget (docs/security.md "Edge limits").
  v1.use(deps.auth.middleware());
  // Per token, so after authentication; health and ops routes are never limited.
  v1.use(rateLimit(deps.config));
  // A body not declared as JSON in UTF-8 is refused (415) before it is read; nothing has changed by then.
  v1.use(requireJsonBody);
  // The size limit applies before parsing, so a huge body costs us at most BODY_LIMIT_BYTES of memory.
  v1.use(jsonBodyParser(deps.config.BODY_LIMIT_BYTES));
  v1.use(rejectUnsafeInput);
  v1.use(replayRoutes(deps));
  v1.use('/clients', clientRoutes(deps));
  v1.use('/console', consoleApi(deps));
  v1.use(redriveRoutes(deps, settlementQueue));
  v1.use(timeTravelRoutes(deps));
  v1.use('/projects', projectRoutes(deps));
  v1.use('/milestones', milestoneRoutes(deps));
  v1.use(payoutRoutes(deps));
  v1.use('/accounts', accountRoutes(deps));
  v1.use('/users', notificationRoutes(deps));
  v1.use('/webhooks', webhookRoutes(deps));
  v1.use('/machines', machineRoutes(deps));
  v1.use('/stats', statsRoutes(deps));
  return v1;
}

/** TRUST_PROXY as Express takes it: off, on, a hop count, or a list of trusted addresses and subnets. */
export function trustProxySetting(value: string): boolean | number | string {
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^[0-9]+$/.test(value)) return Number(value);
  return value;
}

export function createApp(deps: ApiDeps, ops: OpsDeps = { metrics: new Metrics(), queues: [] }): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind a reverse proxy, the client's address and protocol come from its X-Forwarded-* headers, trusted
  // only as configured (they decide the failed-authentication budget's key and the admin cookie's Secure flag).
  app.set('trust proxy', trustProxySetting(deps.config.TRUST_PROXY));
  app.set('query parser', 'simple');
  // No ETag on API answers: nothing here serves conditional GETs, and hashing every body cost CPU on the hot path.
  app.set('etag', false);
  // First, so every response (errors included) carries X-Request-Id and every request is logged once.
  app.use(requestLog(deps.log, deps.config.REQUEST_ID_MAX_CHARS));
  // The API first: events are the traffic, and a request only walks the routers of its own part of the tree
  // (with every request walking them all, routing was 9 % of the API's CPU on the event hot path in `perf`, 7 %
  // after; bench/README.md).
  app.use('/v1', v1Routes(deps, ops));
  app.use(healthRoutes(deps));
  // Every HTML page (docs/api.md "Clients and sessions"): a page may replace the policy on its own route.
  app.use(['/console', '/docs', '/admin'], pageSecurityHeaders());
  // The support console page is static and open (it asks for a token); its data comes from /v1 above.
  app.use(consolePage());
  // The scrape-time gauges that need configuration, registered where config is at hand.
  registerStuckGauge(ops.metrics, deps.db, deps.log, deps.config.STUCK_AFTER_MS);
  registerReconcileGauge(ops.metrics, deps.db, deps.log, deps.config);
  // /metrics, /openapi.json, /docs, /admin/queues: outside /v1, so without its JSON parser (the dashboard
  // parses its own bodies), its token check and its rate limit.
  app.use(opsRoutes(deps, ops));
  app.use(() => {
    throw new NotFoundError('No such route.');
  });
  app.use(errorHandler(deps.log));
  return app;
}
