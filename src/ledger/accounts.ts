export type AccountKind = 'available' | 'escrow' | 'fee_hold' | 'payout_hold' | 'fees' | 'adjustments' | 'external';

export interface AccountSpec {
  id: string;
  ownerId: string;
  currency: string;
  kind: AccountKind;
  milestoneId: string | null;
}

// Account ids are derived from what the account is, so every caller names the same account without a lookup.
export const PLATFORM_OWNER = 'platform';

export function availableAccount(ownerId: string, currency: string): AccountSpec {
  return { id: `available:${currency}:${ownerId}`, ownerId, currency, kind: 'available', milestoneId: null };
}

/** The escrow account of one milestone belongs to the employer who funded it (their `held` balance). */
export function escrowAccount(milestoneId: string, employerId: string, currency: string): AccountSpec {
  return { id: `escrow:${currency}:${milestoneId}`, ownerId: employerId, currency, kind: 'escrow', milestoneId };
}

/** A party's arbitration fee held for one milestone's dispute, until the outcome refunds or forfeits it. */
export function feeHoldAccount(
  milestoneId: string,
  payer: 'employer' | 'freelancer',
  payerId: string,
  currency: string,
): AccountSpec {
  return {
    id: `fee-hold:${currency}:${milestoneId}:${payer}`,
    ownerId: payerId,
    currency,
    kind: 'fee_hold',
    milestoneId,
  };
}

export function feesAccount(currency: string): AccountSpec {
  return { id: `fees:${currency}`, ownerId: PLATFORM_OWNER, currency, kind: 'fees', milestoneId: null };
}

/** Money entering (deposits) and leaving (withdrawals) the system; the only account that may go negative. */
export function externalAccount(currency: string): AccountSpec {
  return { id: `external:${currency}`, ownerId: PLATFORM_OWNER, currency, kind: 'external', milestoneId: null };
}

/**
 * An owner's money on its way out: requested payouts hold it here (two-phase, docs/money.md "Payouts") until the
 * provider pays it (→ external) or it comes back (→ available). Counted in the owner's `held` balance.
 */
export function payoutHoldAccount(ownerId: string, currency: string): AccountSpec {
  return { id: `payout-hold:${currency}:${ownerId}`, ownerId, currency, kind: 'payout_hold', milestoneId: null };
}

/**
 * The platform's side of support's corrections (four-eyes adjustments): credits to users come out of it and
 * debits go into it, so it may go negative like external (its balance is the net of all corrections).
 */
export function adjustmentsAccount(currency: string): AccountSpec {
  return { id: `adjustments:${currency}`, ownerId: PLATFORM_OWNER, currency, kind: 'adjustments', milestoneId: null };
}
