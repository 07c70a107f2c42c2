import type { AccountKind } from './accounts.js';

/**
 * A transfer would take an account past what the ledger can hold (a Postgres bigint, ±(2^63−1) minor units):
 * an expected operating outcome with a cause to name (which account, how full), not a malformed request. The
 * external account of a currency is the usual one: it carries every deposit in that currency, negated, until
 * money leaves through payouts.
 */
export class AccountOverflowError extends Error {
  constructor(
    readonly accountId: string,
    readonly kind: AccountKind,
    readonly currency: string,
    readonly balance: bigint,
    readonly amount: bigint,
    readonly limit: bigint,
  ) {
    super(`transfer of ${amount} would take account ${accountId} (balance ${balance}) past ±${limit}`);
    this.name = 'AccountOverflowError';
  }
}
