import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { z } from 'zod';
import { machineVersions, registeredMachines } from '../../../machines/registry.js';
import { machineDiagram } from '../../console/machine-diagram.js';
import { searchInstances } from '../../console/search.js';
import { listSupportActions } from '../../console/support-actions.js';
import { NotFoundError } from '../../errors/index.js';
import { listDeadDeliveries } from '../../lists/dead-deliveries.js';
import { authedClient } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { lagTolerant } from '../read-source.js';
import { clientId, pageQuery, parseOrThrow } from '../schemas.js';
import { requireAnyScope } from './replay.js';

const ASSETS_DIR = fileURLToPath(new URL('../../console/assets/', import.meta.url));
const require = createRequire(import.meta.url);
const ELK_BUNDLE = require.resolve('elkjs/lib/elk.bundled.js');
const ELK_VERSION = (require('elkjs/package.json') as { version: string }).version;

// The page holds no data and no secret: it asks for a token and calls the JSON API with it. Its own scripts
// only (no CDN, no inline script), so a stored value can never run as code in a support agent's browser.
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** `GET /console` and its static assets: served openly, like a login page. */
export function consolePage(): Router {
  const router = Router();
  router.use('/console', (_req, res, next) => {
    res.set(PAGE_HEADERS);
    next();
  });
  router.get('/console', (_req, res) => res.sendFile('index.html', { root: ASSETS_DIR }));
  // The diagram's layout engine, from this server's own copy of the npm package (no CDN): the page's web worker
  // loads it. Its name carries the version, so browsers may keep it; everything else is no-store.
  router.get(`/console/vendor/elk-${ELK_VERSION}.js`, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=31536000, immutable');
    res.sendFile(ELK_BUNDLE);
  });
  router.use('/console', express.static(ASSETS_DIR, { index: false, fallthrough: true, redirect: false }));
  return router;
}

const searchQuery = z.object({ q: clientId });
const actionsQuery = z.object({ instanceId: clientId });
const deliveriesQuery = z.object({
  status: z.literal('dead'),
  instanceId: clientId.optional(),
});
const diagramParams = z.object({
  name: z.enum(registeredMachines().map((d) => d.name) as [string, ...string[]]),
  version: z.coerce.number().int().min(1).max(10_000),
});

/**
 * The console's own JSON endpoints under `/v1/console`: who the token is, search, diagrams, dead deliveries and a
 * case's support actions. Same auth as the rest of v1; reading needs `read` or `support`.
 */
export function consoleApi({ reader, config }: ApiDeps): Router {
  const router = Router();
  router.use(requireAnyScope(['support', 'read']));
  // The page shows support actions only to tokens that may take them; it asks here instead of guessing from 403s.
  router.get('/me', (req, res) => {
    const { id, name, scopes } = authedClient(req);
    res.json({ id, name, scopes });
  });
  router.get('/search', async (req, res) => {
    const { q } = parseOrThrow(
      searchQuery,
      { q: typeof req.query.q === 'string' ? req.query.q.trim() : req.query.q },
      'query',
    );
    res.json(await lagTolerant(reader, res, (db) => searchInstances(db, q, config.CONSOLE_SEARCH_LIMIT)));
  });
  router.get('/diagrams/:name/:version', (req, res) => {
    const { name, version } = parseOrThrow(diagramParams, req.params, 'path');
    const def = machineVersions(name).find((d) => d.version === version);
    if (!def) throw new NotFoundError(`No ${name} machine version ${version}.`, { name, version });
    res.json({ ...machineDiagram(def), layoutEngine: `/console/vendor/elk-${ELK_VERSION}.js` });
  });
  router.get('/deliveries', async (req, res) => {
    const q = parseOrThrow(deliveriesQuery, { status: req.query.status, instanceId: req.query.instanceId }, 'query');
    const { limit, cursor } = pageQuery(req.query, config.LIST_LIMIT_DEFAULT, config.LIST_LIMIT_MAX);
    const page = await lagTolerant(reader, res, (db) =>
      listDeadDeliveries(db, limit, cursor ?? null, q.instanceId ?? null),
    );
    res.json({ items: page.items, nextCursor: page.next });
  });
  router.get('/actions', async (req, res) => {
    const { instanceId } = parseOrThrow(actionsQuery, req.query, 'query');
    const items = await lagTolerant(reader, res, (db) =>
      listSupportActions(db, instanceId, config.CONSOLE_ACTIONS_MAX),
    );
    res.json({ items });
  });
  return router;
}
