import express, { type Express } from 'express';
import { NotFoundError } from '../errors/index.js';
import { authenticate } from './auth.js';
import type { ApiDeps } from './deps.js';
import { errorHandler } from './error-handler.js';
import { rejectUnsafeInput } from './reject-unsafe-input.js';
import { accountRoutes } from './routes/accounts.js';
import { healthRoutes } from './routes/health.js';
import { milestoneRoutes } from './routes/milestones.js';
import { notificationRoutes } from './routes/notifications.js';
import { projectRoutes } from './routes/projects.js';

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(healthRoutes(deps));
  // The size limit applies before parsing, so a huge body costs us at most BODY_LIMIT_BYTES of memory.
  app.use(express.json({ limit: deps.config.BODY_LIMIT_BYTES, strict: true, type: () => true }));
  app.use(rejectUnsafeInput);
  app.use('/v1', authenticate(deps.db));
  app.use('/v1/projects', projectRoutes(deps));
  app.use('/v1/milestones', milestoneRoutes(deps));
  app.use('/v1/accounts', accountRoutes(deps));
  app.use('/v1/users', notificationRoutes(deps));
  app.use(() => {
    throw new NotFoundError('No such route.');
  });
  app.use(errorHandler(deps.log));
  return app;
}
