import { ApiError } from './api-error.js';

/** 429: the token spent its request budget (docs/operations.md "Rate limiting"); `retryAfterS` is also sent as Retry-After. */
export class RateLimitedError extends ApiError {
  constructor(message: string, details: { retryAfterS: number; limitPerSec: number; burst: number }) {
    super(429, 'rate_limited', message, details);
  }
}
