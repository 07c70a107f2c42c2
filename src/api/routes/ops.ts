import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { clientByToken, type ApiClient, type Scope } from '../../auth/tokens.js';
import { ForbiddenError, UnauthenticatedError } from '../../errors/index.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { ApiDeps } from '../deps.js';
import { openApiDocument } from '../openapi.js';
import { DOCS_PAGE } from './ops-docs-page.js';

export interface OpsDeps {
  metrics: Metrics;
  /** Queues shown on the dashboard (the API process's own producer handles). */
  queues: readonly Queue[];
}

const ADMIN_COOKIE = 'escrow_admin';
const DASHBOARD_PATH = '/admin/queues';
const LOGIN_PATH = '/admin/login';

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

function bearer(req: Request): string | undefined {
  return /^Bearer ([A-Za-z0-9_\-.~+/]{1,512}=*)$/.exec(req.get('authorization') ?? '')?.[1];
}

/**
 * Token check for the operations endpoints, which live outside /v1. The bearer header always works; under
 * /admin a browser may instead present the HttpOnly cookie set by the login form, because the dashboard's
 * own page and XHRs cannot carry a bearer header. A browser without credentials is sent to the login form.
 */
function requireToken(db: ApiDeps['db'], scope: Scope, options: { cookie: boolean }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const token = bearer(req) ?? (options.cookie ? cookie(req, ADMIN_COOKIE) : undefined);
    if (!token) {
      if (options.cookie && req.method === 'GET' && req.accepts(['json', 'html']) === 'html')
        return res.redirect(303, LOGIN_PATH);
      throw new UnauthenticatedError('A bearer token is required.');
    }
    const client: ApiClient | null = await clientByToken(db, token);
    if (!client) throw new UnauthenticatedError('Unknown token.');
    if (!client.scopes.includes(scope))
      throw new ForbiddenError(`This token lacks the ${scope} scope.`, { requiredScope: scope });
    req.client = client;
    next();
  };
}

const LOGIN_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Escrow admin login</title></head>
<body style="font:15px system-ui,sans-serif;max-width:30em;margin:4em auto">
<h1 style="font-size:20px">Queue dashboard</h1>
<form method="post" action="${LOGIN_PATH}"><p><label>Admin token<br>
<input name="token" type="password" autocomplete="off" style="width:100%;font:inherit"></label></p>
<p><button type="submit">Open the dashboard</button></p></form></body></html>`;

/**
 * `/metrics` (scope read: monitoring systems get a read-only token), `/openapi.json` (read), `/docs` (a static
 * page that asks for a token), and the BullMQ dashboard at `/admin/queues` (admin). Mounted before the JSON
 * body parser: the login form posts url-encoded, and the dashboard parses its own bodies.
 */
export function opsRoutes({ db, config }: ApiDeps, { metrics, queues }: OpsDeps): Router {
  const router = Router();
  const document = openApiDocument(config);

  router.get('/metrics', requireToken(db, 'read', { cookie: false }), async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  router.get('/openapi.json', requireToken(db, 'read', { cookie: false }), (_req, res) => {
    res.json(document);
  });

  router.get('/docs', (_req, res) => {
    res
      .set('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
      .type('html')
      .send(DOCS_PAGE);
  });

  router.get(LOGIN_PATH, (_req, res) => {
    res.type('html').send(LOGIN_PAGE);
  });

  // Exchanges an admin token for an HttpOnly, SameSite=Strict cookie scoped to /admin: scripts cannot read it
  // and other sites cannot make the browser send it (no CSRF on the dashboard's retry/clean buttons).
  router.post(LOGIN_PATH, express.urlencoded({ extended: false, limit: config.BODY_LIMIT_BYTES }), async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const client = token ? await clientByToken(db, token) : null;
    if (!client) throw new UnauthenticatedError('Unknown token.');
    if (!client.scopes.includes('admin'))
      throw new ForbiddenError('This token lacks the admin scope.', { requiredScope: 'admin' });
    res.cookie(ADMIN_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/admin',
      maxAge: config.OPS_COOKIE_MAX_AGE_S * 1000,
    });
    res.redirect(303, DASHBOARD_PATH);
  });

  router.post('/admin/logout', (_req, res) => {
    res.clearCookie(ADMIN_COOKIE, { path: '/admin' });
    res.redirect(303, LOGIN_PATH);
  });

  const board = new ExpressAdapter();
  board.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: board });
  router.use(DASHBOARD_PATH, requireToken(db, 'admin', { cookie: true }), board.getRouter() as Router);

  return router;
}
