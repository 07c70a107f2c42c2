import type { NextFunction, Request, Response } from 'express';
import { cachedClientLookup } from '../auth/token-cache.js';
import type { ApiClient, Scope } from '../auth/tokens.js';
import type { Db } from '../db/knex.js';
import { ForbiddenError, UnauthenticatedError } from '../errors/index.js';

declare module 'express-serve-static-core' {
  interface Request {
    client?: ApiClient;
  }
}

export function authenticate(db: Db, cacheMs: number) {
  const lookup = cachedClientLookup(db, cacheMs);
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const match = /^Bearer ([A-Za-z0-9_\-.~+/]{1,512}=*)$/.exec(req.get('authorization') ?? '');
    if (!match?.[1]) throw new UnauthenticatedError('A bearer token is required.');
    const client = await lookup(match[1]);
    if (!client) throw new UnauthenticatedError('Unknown token.');
    req.client = client;
    next();
  };
}

export function requireScope(scope: Scope) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!req.client?.scopes.includes(scope)) {
      throw new ForbiddenError(`This token lacks the ${scope} scope.`, { requiredScope: scope });
    }
    next();
  };
}

export function authedClient(req: Request): ApiClient {
  if (!req.client) throw new Error('route reached without authentication');
  return req.client;
}

/** Whether the caller may act as support staff (RULE): the engine grants the role only to non-parties. */
export function hasSupportScope(req: Request): boolean {
  return req.client?.scopes.includes('support') ?? false;
}
