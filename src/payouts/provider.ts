import type { Destination } from '../../machines/payout.v1.js';

/** A payout as a provider is asked to make it. */
export interface PayoutOrder {
  /** The idempotency key: a provider makes one payment per payout id, however often it is asked. */
  payoutId: string;
  amount: bigint;
  currency: string;
  destination: Destination;
}

/**
 * What a provider says about a payout: still on its way (ask again after `retryAfterMs`, or never when a person
 * decides, as with the manual provider), paid with the provider's reference, or failed with its reason.
 */
export type ProviderOutcome =
  | { status: 'pending'; retryAfterMs: number | null }
  | { status: 'paid'; reference: string }
  | { status: 'failed'; reason: string };

/**
 * A payout provider (docs/money.md "Payouts"). `send` both hands a payout over and asks how it went:
 * it is keyed by the payout id, so a second call for the same payout (a retried job, a worker that died after the
 * call) never pays twice and answers with what the first call started.
 */
export interface PayoutProvider {
  readonly name: string;
  send(order: PayoutOrder, signal: AbortSignal): Promise<ProviderOutcome>;
}
