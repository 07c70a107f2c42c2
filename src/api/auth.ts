import type { NextFunction, Request, Response } from 'express';
import { LastUsedRecorder } from '../auth/last-used.js';
import { TokenCache } from '../auth/token-cache.js';
import type { ApiClient, Scope } from '../auth/tokens.js';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { EventCause } from '../engine/prepare-event.js';
import { ForbiddenError, UnauthenticatedError } from '../errors/index.js';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import type { Logger } from '../logger.js';
import type { SignalBus } from '../signals/signal-bus.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';

/** The token of `Authorization: Bearer <token>`, if the header has that shape. Nothing else is a credential. */
export function bearerToken(req: Request): string | undefined {
  return /^Bearer ([A-Za-z0-9_\-.~+/]{1,512}=*)$/.exec(req.get('authorization') ?? '')?.[1];
}

/**
 * Who is calling: the API client of the request's bearer token, for /v1 and the operations routes alike.
 * Runs before any body is parsed, so an unauthenticated request costs no parsing. Every failure counts toward
 * the calling address's budget of AUTH_FAILURES_PER_SEC (per API process); past it, unauthenticated requests
 * from that address get 429 rate_limited with Retry-After instead of 401 until it slows down. A valid token is
 * never refused for its address's failures: it is checked first. Token lookups are cached (TokenCache), and a
 * "client changed" signal drops a revoked or rotated client from the cache at once.
 */
export class Authenticator {
  private readonly cache: TokenCache;
  private readonly failures: RateLimiter | null;
  private readonly lastUsed: LastUsedRecorder;

  constructor(
    db: Db,
    private readonly config: Config,
    log: Logger,
  ) {
    this.cache = new TokenCache(db, {
      ttlMs: config.AUTH_CACHE_MS,
      negativeTtlMs: config.AUTH_NEGATIVE_CACHE_MS,
      maxEntries: 10_000,
      negativeMaxEntries: config.AUTH_NEGATIVE_CACHE_MAX_ENTRIES,
      lookupBatchMax: config.AUTH_LOOKUP_BATCH_MAX,
    });
    const perSec = config.AUTH_FAILURES_PER_SEC;
    this.failures = perSec > 0 ? createRateLimiter(perSec, perSec) : null;
    this.lastUsed = new LastUsedRecorder(db, config.CLIENT_LAST_USED_INTERVAL_MS, log);
  }

  /** Listens for revoked and rotated clients (src/signals/signal-bus.ts). */
  start(signals: SignalBus): void {
    signals.onClientChanged((clientId) => this.cache.forget(clientId));
  }

  /** The active client of `token`, or null; no failure is counted (the caller decides what a miss means). */
  async clientOfToken(token: string): Promise<ApiClient | null> {
    const client = await this.cache.lookup(token);
    if (client) this.lastUsed.touch(client.id);
    return client;
  }

  /** The request's client from its bearer token; throws 401, or 429 when its address is over the failure budget. */
  async clientOf(req: Request, res: Response): Promise<ApiClient> {
    const token = bearerToken(req);
    const client = token === undefined ? null : await this.clientOfToken(token);
    if (client) return client;
    return this.refuse(req, res, token === undefined ? 'A bearer token is required.' : 'Unknown token.');
  }

  /** Counts a failed authentication for the request's address and throws what it earns: 401, or 429. */
  async refuse(req: Request, res: Response, message: string): Promise<never> {
    const decision = this.failures ? await this.failures(req.ip ?? 'unknown') : null;
    if (decision && !decision.allowed) {
      const retryAfterS = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      res.set('Retry-After', String(retryAfterS));
      throw new RateLimitedError(`Too many failed authentications from this address; retry after ${retryAfterS} s.`, {
        retryAfterS,
        limitPerSec: this.config.AUTH_FAILURES_PER_SEC,
        burst: this.config.AUTH_FAILURES_PER_SEC,
      });
    }
    throw new UnauthenticatedError(message);
  }

  /** Middleware: sets `req.client` or answers 401/429. */
  middleware() {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      req.client = await this.clientOf(req, res);
      next();
    };
  }
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

/** What an event records about the request that caused it: the request id and the API client (audit trail). */
export function causeOf(req: Request): EventCause {
  return { requestId: String(req.id), clientId: authedClient(req).id };
}

/** Whether the caller may act as support staff (RULE): the engine grants the role only to non-parties. */
export function hasSupportScope(req: Request): boolean {
  return req.client?.scopes.includes('support') ?? false;
}
