import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { Router, type Express, type NextFunction, type Request, type Response } from 'express';
import { adminSessionClient, endAdminSession, startAdminSession } from '../../auth/admin-sessions.js';
import type { ApiClient, Scope } from '../../auth/tokens.js';
import { ForbiddenError, InvalidRequestError } from '../../errors/index.js';
import type { Metrics } from '../../metrics/metrics.js';
import { bearerToken, type Authenticator } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { openApiDocument } from '../openapi.js';
import { docsPage } from './docs-page.js';

export interface OpsDeps {
  metrics: Metrics;
  /** Queues shown on the dashboard (the API process's own producer handles). */
  queues: readonly Queue[];
}

const SESSION_COOKIE = 'escrow_admin_session';
const DASHBOARD_PATH = '/admin/queues';
const LOGIN_PATH = '/admin/login';
// The login form carries one token field; nothing bigger is a login.
const LOGIN_BODY_LIMIT_BYTES = 4 * 1024;

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

function requireScopeOf(client: ApiClient, scope: Scope): ApiClient {
  if (!client.scopes.includes(scope))
    throw new ForbiddenError(`This token lacks the ${scope} scope.`, { requiredScope: scope });
  return client;
}

/**
 * Authentication for the operations endpoints, which live outside /v1: a bearer token always works; under
 * /admin a browser may instead present the session cookie set by the login form (the dashboard's page and XHRs
 * cannot carry a bearer header). The cookie is a session id, not a token, so it opens nothing outside /admin.
 * A browser without credentials is sent to the login form; every other failure counts toward its address's
 * failed-authentication budget like one on /v1.
 */
function requireClient(db: ApiDeps['db'], auth: Authenticator, scope: Scope, options: { session: boolean }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const sessionId = options.session ? cookie(req, SESSION_COOKIE) : undefined;
    if (bearerToken(req) === undefined && sessionId !== undefined) {
      const client = await adminSessionClient(db, sessionId);
      if (!client) return auth.refuse(req, res, 'This admin session has ended; log in again.');
      req.client = requireScopeOf(client, scope);
      return next();
    }
    if (
      bearerToken(req) === undefined &&
      options.session &&
      req.method === 'GET' &&
      req.accepts(['json', 'html']) === 'html'
    )
      return res.redirect(303, LOGIN_PATH);
    req.client = requireScopeOf(await auth.clientOf(req, res), scope);
    next();
  };
}

const LOGIN_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Escrow admin login</title></head>
<body style="font:15px system-ui,sans-serif;max-width:30em;margin:4em auto">
<h1 style="font-size:20px">Queue dashboard</h1>
<form method="post" action="${LOGIN_PATH}"><p><label>Admin token<br>
<input name="token" type="password" autocomplete="off" style="width:100%;font:inherit"></label></p>
<p><button type="submit">Open the dashboard</button></p></form></body></html>`;

/** `POST /admin/login` and `POST /admin/logout`: server-side admin sessions (docs/security.md). */
function sessionRoutes({ db, config, auth }: ApiDeps): Router {
  const router = Router();
  router.get(LOGIN_PATH, (_req, res) => {
    res.type('html').send(LOGIN_PAGE);
  });

  // Exchanges an admin token for a session: the cookie holds a random session id (never the token), HttpOnly
  // and SameSite=Strict, scoped to /admin: scripts cannot read it, other sites cannot make the browser send it
  // (no CSRF on the dashboard's buttons), and it is Secure when the request came over https (TRUST_PROXY).
  const form = express.urlencoded({ extended: false, limit: LOGIN_BODY_LIMIT_BYTES, parameterLimit: 10 });
  router.post(LOGIN_PATH, form, async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    const token = typeof body?.token === 'string' ? body.token.trim() : '';
    if (!token) throw new InvalidRequestError('The login form needs a token.', { field: 'token' });
    const client = await auth.clientOfToken(token);
    if (!client) return auth.refuse(req, res, 'Unknown token.');
    requireScopeOf(client, 'admin');
    const sessionId = await startAdminSession(db, client.id, config.OPS_COOKIE_MAX_AGE_S);
    res.cookie(SESSION_COOKIE, sessionId, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/admin',
      maxAge: config.OPS_COOKIE_MAX_AGE_S * 1000,
    });
    res.redirect(303, DASHBOARD_PATH);
  });

  // Ends the session on the server, so the old cookie opens nothing even if a copy of it survives.
  router.post('/admin/logout', async (req, res) => {
    const sessionId = cookie(req, SESSION_COOKIE);
    if (sessionId !== undefined) await endAdminSession(db, sessionId);
    res.clearCookie(SESSION_COOKIE, { path: '/admin', httpOnly: true, sameSite: 'strict', secure: req.secure });
    res.redirect(303, LOGIN_PATH);
  });
  return router;
}

/**
 * `/metrics` (scope read: monitoring systems get a read-only token), `/openapi.json` and `/docs` (public: the
 * reference describes the API and holds no data), admin sessions, and the BullMQ dashboard at `/admin/queues` (admin). Outside
 * /v1, so without its JSON parser: the login form posts url-encoded, and the dashboard parses its own bodies.
 */
export function opsRoutes(deps: ApiDeps, { metrics, queues }: OpsDeps): Router {
  const { db, config, auth } = deps;
  const router = Router();
  const document = openApiDocument(config);

  router.get('/metrics', requireClient(db, auth, 'read', { session: false }), async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // Public (docs/api.md asks for a reference readable without a token): it describes the API and holds no data.
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  router.use(docsPage());

  router.use(sessionRoutes(deps));

  const board = new ExpressAdapter();
  board.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: board });
  // The dashboard is an Express app of its own, which would announce itself again (X-Powered-By).
  const dashboard = board.getRouter() as Express;
  dashboard.disable('x-powered-by');
  router.use(DASHBOARD_PATH, requireClient(db, auth, 'admin', { session: true }), dashboard);

  return router;
}
