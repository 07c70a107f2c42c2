import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { z } from 'zod';
import { machineVersions } from '../../../machines/registry.js';
import { machineDiagram } from '../../console/machine-diagram.js';
import { searchInstances } from '../../console/search.js';
import { NotFoundError } from '../../errors/index.js';
import type { ApiDeps } from '../deps.js';
import { clientId, parseOrThrow } from '../schemas.js';
import { requireAnyScope } from './replay.js';

const ASSETS_DIR = fileURLToPath(new URL('../../console/assets/', import.meta.url));

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
  router.use('/console', express.static(ASSETS_DIR, { index: false, fallthrough: true, redirect: false }));
  return router;
}

const searchQuery = z.object({ q: clientId });
const diagramParams = z.object({
  name: z.enum(['milestone', 'project']),
  version: z.coerce.number().int().min(1).max(10_000),
});

/** The console's own JSON endpoints under `/v1/console`: search and diagrams. Same auth as the rest of v1. */
export function consoleApi({ db, config }: ApiDeps): Router {
  const router = Router();
  router.use(requireAnyScope(['support', 'read']));
  router.get('/search', async (req, res) => {
    const { q } = parseOrThrow(
      searchQuery,
      { q: typeof req.query.q === 'string' ? req.query.q.trim() : req.query.q },
      'query',
    );
    res.json(await searchInstances(db, q, config.CONSOLE_SEARCH_LIMIT));
  });
  router.get('/diagrams/:name/:version', (req, res) => {
    const { name, version } = parseOrThrow(diagramParams, req.params, 'path');
    const def = machineVersions(name).find((d) => d.version === version);
    if (!def) throw new NotFoundError(`No ${name} machine version ${version}.`, { name, version });
    res.json(machineDiagram(def));
  });
  return router;
}
