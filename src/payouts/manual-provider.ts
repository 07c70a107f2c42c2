import type { PayoutProvider, ProviderOutcome } from './provider.js';

/**
 * The manual provider: support pays by hand (a bank transfer) and records the outcome with MARK_PAID {reference} or
 * MARK_FAILED {reason}. Nothing is sent anywhere, so every payout stays pending until a person decides; the payout
 * machine never hands a manual payout to the worker, and this answer is why it would gain nothing by doing so.
 */
export const manualProvider: PayoutProvider = {
  name: 'manual',
  send: (): Promise<ProviderOutcome> => Promise.resolve({ status: 'pending', retryAfterMs: null }),
};
