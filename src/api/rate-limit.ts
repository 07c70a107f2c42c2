import type { NextFunction, Request, Response } from 'express';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import { RateLimitedError } from '../errors/rate-limited-error.js';

/** What a rate limiter answers for one request: allowed, or refused with the wait until it would be allowed. */
export interface RateDecision {
  allowed: boolean;
  retryAfterMs: number;
}

export type RateLimiter = (key: string) => Promise<RateDecision>;

/**
 * A per-key request budget from `rate-limiter-flexible` (in memory, per API process): `perSec` requests in
 * every one-second window, and when those are spent, a shared reserve of `burst − perSec` more that refills
 * over `burst / perSec` seconds. That is a token bucket of rate `perSec` and depth `burst`, as closely as
 * fixed windows get, without us hand-rolling the counting (and its key expiry) ourselves.
 */
export function createRateLimiter(perSec: number, burst: number): RateLimiter {
  const sustained = new RateLimiterMemory({ keyPrefix: 'rate', points: perSec, duration: 1 });
  const reserve = burst - perSec;
  const limiter =
    reserve > 0
      ? new BurstyRateLimiter(
          sustained,
          new RateLimiterMemory({
            keyPrefix: 'burst',
            points: reserve,
            duration: Math.max(1, Math.ceil(burst / perSec)),
          }),
        )
      : sustained;
  return async (key) => {
    try {
      await limiter.consume(key);
      return { allowed: true, retryAfterMs: 0 };
    } catch (refusal) {
      // The memory store cannot fail; anything but a refusal is a programmer error and must surface.
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { allowed: false, retryAfterMs: refusal.msBeforeNext };
    }
  };
}

/**
 * Per-token rate limiting for /v1 (mounted after authentication, keyed by the API client's id, so one noisy
 * client cannot starve the others). RATE_LIMIT_PER_SEC=0 turns it off. Health, metrics and docs are not
 * under /v1 and are never limited: a probe must never be told to go away.
 */
export function rateLimit(config: Pick<Config, 'RATE_LIMIT_PER_SEC' | 'RATE_LIMIT_BURST'>) {
  const perSec = config.RATE_LIMIT_PER_SEC;
  const burst = config.RATE_LIMIT_BURST;
  const limiter = perSec > 0 ? createRateLimiter(perSec, burst) : null;
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const clientId = req.client?.id;
    if (!limiter || !clientId) return next();
    const decision = await limiter(clientId);
    if (decision.allowed) return next();
    const retryAfterS = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    res.set('Retry-After', String(retryAfterS));
    throw new RateLimitedError(`Too many requests for this token; retry after ${retryAfterS} s.`, {
      retryAfterS,
      limitPerSec: perSec,
      burst,
    });
  };
}
