import type { Request, Response } from 'express';
import { findInstance } from '../engine/instance-row.js';
import { historyPage } from '../history/history-page.js';
import type { ApiDeps } from './deps.js';
import { lagTolerant } from './read-source.js';
import { idParam, pageQuery } from './schemas.js';

/**
 * `GET /v1/<machine>s/:id/history` for every machine: the page parameters checked first (400 before 404), then
 * the instance and one page of its history read together from the replica when one serves (docs/scaling.md).
 */
export function historyRoute({ reader, config }: ApiDeps, machine: string) {
  return async (req: Request, res: Response): Promise<void> => {
    const { limit, cursor } = pageQuery(req.query, config.LIST_LIMIT_MAX, config.LIST_LIMIT_MAX, 'seq');
    const page = await lagTolerant(reader, res, async (rdb) => {
      await findInstance(rdb, idParam(req), machine);
      return historyPage(rdb, idParam(req), cursor === undefined ? 0 : Number(cursor), limit);
    });
    res.json(page);
  };
}
