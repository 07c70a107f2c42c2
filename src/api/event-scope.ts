import type { NextFunction, Request, Response } from 'express';
import { machineVersions, type MachineName } from '../../machines/registry.js';
import { ForbiddenError } from '../errors/index.js';

/**
 * The scope an event POST needs (docs/api.md "Authentication and scopes"): `events:write` for events users send, `support` for an event only
 * support staff may send (a payout's MARK_PAID, an adjustment's APPROVE). Which one is read from the machine's roles
 * table, every version's, so a support-only token can act as support and never as a user. The engine still checks
 * the role itself; this only refuses a token that could never send the event.
 */
export function requireEventScope(machine: MachineName) {
  const supportOnly = new Set<string>();
  for (const def of machineVersions(machine)) {
    for (const [type, roles] of Object.entries(def.roles)) {
      if (roles.length === 1 && roles[0] === 'support') supportOnly.add(type);
    }
  }
  return (req: Request, _res: Response, next: NextFunction): void => {
    const type = (req.body as { type?: unknown } | undefined)?.type;
    const scope = typeof type === 'string' && supportOnly.has(type) ? 'support' : 'events:write';
    if (!req.client?.scopes.includes(scope)) {
      throw new ForbiddenError(`This token lacks the ${scope} scope.`, { requiredScope: scope });
    }
    next();
  };
}
