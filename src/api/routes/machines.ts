import { Router } from 'express';
import { z } from 'zod';
import { machineVersions, pinnedMachine, registeredMachines } from '../../../machines/registry.js';
import { NotFoundError } from '../../errors/index.js';
import { definitionJson } from '../../paths/definition-json.js';
import { requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { limitParam } from '../page-params.js';
import { parseOrThrow } from '../schemas.js';

/** The machine a request names, at the version it asks for or the latest. */
function machineFor(name: string, version: number | undefined) {
  const versions = machineVersions(name);
  const def = version === undefined ? versions[versions.length - 1] : versions.find((d) => d.version === version);
  if (!def)
    throw new NotFoundError(`No machine ${name}${version === undefined ? '' : `@${version}`}.`, {
      name,
      version: version ?? null,
    });
  return pinnedMachine(def.name, def.version);
}

export function machineRoutes({ config, paths }: ApiDeps): Router {
  const router = Router();
  const versionQuery = z.object({ version: z.coerce.number().int().min(1).max(1_000_000).optional() });
  const pathsQuery = versionQuery.extend({
    strategy: z.enum(['shortest', 'simple', 'transitions']).default('shortest'),
  });

  router.get('/', requireScope('read'), (_req, res) => {
    const names = [...new Set(registeredMachines().map((d) => d.name))];
    res.json(
      names.map((name) => {
        const versions = machineVersions(name).map((d) => d.version);
        return { name, versions, current: versions[versions.length - 1] };
      }),
    );
  });

  router.get('/:name', requireScope('read'), (req, res) => {
    const { version } = parseOrThrow(versionQuery, { version: req.query.version }, 'query');
    res.json(definitionJson(machineFor(String(req.params.name), version)));
  });

  // Path lists can be large (simple paths grow fast); `limit` caps them and `truncated` says when it did. They
  // are generated and serialised on a worker thread (src/paths/paths-thread.ts): seconds of CPU for the large
  // ones, which on this thread would hold up every other request, health checks included.
  router.get('/:name/paths', requireScope('read'), async (req, res) => {
    const q = parseOrThrow(pathsQuery, { version: req.query.version, strategy: req.query.strategy }, 'query');
    // Read as every list's limit is (no hex, no exponent): src/api/page-params.ts.
    const limit = limitParam(req.query, config.PATHS_LIMIT_MAX, config.PATHS_LIMIT_MAX);
    const def = machineFor(String(req.params.name), q.version);
    res.type('json').send(await paths.generate(def.name, def.version, q.strategy, limit));
  });

  return router;
}
