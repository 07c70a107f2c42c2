import { Router } from 'express';
import { z } from 'zod';
import {
  currentMachine,
  machineVersions,
  pinnedMachine,
  registeredMachines,
  type MachineName,
} from '../../../machines/registry.js';
import type { InstanceRules } from '../../engine/instance-rules.js';
import { NotFoundError } from '../../errors/index.js';
import { definitionJson } from '../../paths/definition-json.js';
import { requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { limitParam } from '../page-params.js';
import { parseOrThrow } from '../schemas.js';

/** The version this deployment starts new instances on (NEW_INSTANCE_VERSIONS pins one, else the latest). */
function currentVersion(rules: InstanceRules, name: string): number | undefined {
  if (machineVersions(name).length === 0) return undefined;
  return currentMachine(name as MachineName, rules.newInstanceVersion(name as MachineName)).version;
}

/** The machine a request names, at the version it asks for or the one new instances start on. */
function machineFor(rules: InstanceRules, name: string, version: number | undefined) {
  const wanted = version ?? currentVersion(rules, name);
  const def = machineVersions(name).find((d) => d.version === wanted);
  if (!def)
    throw new NotFoundError(`No machine ${name}${version === undefined ? '' : `@${version}`}.`, {
      name,
      version: version ?? null,
    });
  return pinnedMachine(def.name, def.version);
}

export function machineRoutes({ config, paths, rules }: ApiDeps): Router {
  const router = Router();
  const versionQuery = z.object({ version: z.coerce.number().int().min(1).max(1_000_000).optional() });
  const pathsQuery = versionQuery.extend({
    strategy: z.enum(['shortest', 'simple', 'transitions']).default('shortest'),
    format: z.enum(['json', 'vitest']).default('json'),
  });

  router.get('/', requireScope('read'), (_req, res) => {
    const names = [...new Set(registeredMachines().map((d) => d.name))];
    res.json(
      names.map((name) => {
        const versions = machineVersions(name).map((d) => d.version);
        return { name, versions, current: currentVersion(rules, name) };
      }),
    );
  });

  router.get('/:name', requireScope('read'), (req, res) => {
    const { version } = parseOrThrow(versionQuery, { version: req.query.version }, 'query');
    res.json(definitionJson(machineFor(rules, String(req.params.name), version)));
  });

  // Path lists can be large (simple paths grow fast); `limit` caps them and `truncated` says when it did. They
  // are generated and serialised on a worker thread (src/paths/paths-thread.ts): seconds of CPU for the large
  // ones, which on this thread would hold up every other request, health checks included.
  router.get('/:name/paths', requireScope('read'), async (req, res) => {
    const { version, strategy, format } = req.query;
    const q = parseOrThrow(pathsQuery, { version, strategy, format }, 'query');
    // Read as every list's limit is (no hex, no exponent): src/api/page-params.ts.
    const limit = limitParam(req.query, config.PATHS_LIMIT_MAX, config.PATHS_LIMIT_MAX);
    const def = machineFor(rules, String(req.params.name), q.version);
    const body = await paths.generate(def.name, def.version, q.strategy, limit, q.format);
    // vitest: the test file itself, to save as <machine>.test.mjs (src/paths/vitest-file.ts).
    res.type(q.format === 'json' ? 'json' : 'text/javascript').send(body);
  });

  return router;
}
