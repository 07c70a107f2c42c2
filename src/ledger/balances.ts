import type { Knex } from 'knex';
import { currencyExponent } from '../currencies.js';
import { formatMoney } from '../money.js';

export interface Balance {
  currency: string;
  /** Digits after the decimal point in the currency's notation (docs/api.md "Money"). */
  currencyExponent: number;
  available: string;
  held: string;
}

/**
 * An owner's balances per currency: `available` is their spendable account, `held` the escrow (and arbitration fee holds) of
 * milestones they funded that is not yet released or returned, and their payouts not yet paid or returned
 * (docs/api.md "Money", docs/money.md "Payouts").
 */
export async function balancesOf(db: Knex | Knex.Transaction, ownerId: string): Promise<Balance[]> {
  const rows: { currency: string; available: string; held: string }[] = await db('accounts')
    .where({ owner_id: ownerId })
    .whereIn('kind', ['available', 'escrow', 'fee_hold', 'payout_hold'])
    .groupBy('currency')
    .orderBy('currency')
    .select(
      'currency',
      db.raw("coalesce(sum(balance) FILTER (WHERE kind = 'available'), 0)::text AS available"),
      db.raw("coalesce(sum(balance) FILTER (WHERE kind IN ('escrow', 'fee_hold', 'payout_hold')), 0)::text AS held"),
    );
  return rows.map((r) => ({
    currency: r.currency,
    currencyExponent: currencyExponent(r.currency),
    available: formatMoney(BigInt(r.available)),
    held: formatMoney(BigInt(r.held)),
  }));
}
