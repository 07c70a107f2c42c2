/** The debit account cannot cover a transfer: an expected operating outcome, not a bug. */
export class InsufficientFundsError extends Error {
  constructor(
    readonly accountId: string,
    readonly balance: bigint,
    readonly amount: bigint,
  ) {
    super(`account ${accountId} holds ${balance}, needs ${amount}`);
    this.name = 'InsufficientFundsError';
  }
}
