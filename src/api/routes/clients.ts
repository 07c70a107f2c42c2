import { Router } from 'express';
import { listClients } from '../../auth/client-admin.js';
import { requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { pageQuery } from '../schemas.js';

/**
 * `GET /v1/clients` (admin): every API client with its lifecycle (created, last used, expiry, revocation),
 * revoked and expired ones included, oldest first. Never a token or its hash. Issuing, rotating and revoking
 * stay with the CLI (`cli clients …`), where a new token can be shown once to the operator who asked.
 */
export function clientRoutes({ db, config }: ApiDeps): Router {
  const router = Router();
  router.get('/', requireScope('admin'), async (req, res) => {
    const { limit, cursor } = pageQuery(req.query, config.LIST_LIMIT_DEFAULT, config.LIST_LIMIT_MAX);
    res.json(await listClients(db, limit, cursor));
  });
  return router;
}
