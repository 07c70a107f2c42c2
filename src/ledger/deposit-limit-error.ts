/** A single deposit larger than DEPOSIT_MAX (docs/api.md: 422 guard_failed, rule deposit_limit, details {max}). */
export class DepositLimitError extends Error {
  constructor(
    readonly amount: bigint,
    readonly max: bigint,
  ) {
    super(`deposit of ${amount} exceeds the ${max} allowed in one deposit`);
    this.name = 'DepositLimitError';
  }
}
