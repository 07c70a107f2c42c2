import { describe, expect, it } from 'vitest';
import { pinnedMachine } from '../../machines/registry.js';
import {
  accountDifferences,
  escrowHeldByState,
  feeHeldByDispute,
  holdingDifferences,
  payoutHoldDifferences,
  sumZeroDifferences,
} from '../../src/reconcile/compare.js';

// The comparisons of `cli reconcile` (src/reconcile/compare.ts), without a database: each finds what differs and
// names the check, and finds nothing when the ledger agrees.

const milestone = pinnedMachine('milestone', 3);
const context = { amount: '1000', releasedAmount: '250', dispute: null, disputeRules: { arbitrationFee: '50' } };

describe('reconciliation comparisons', () => {
  it('sums each currency to zero, naming the currency that does not', () => {
    const totals = [
      { currency: 'EUR', kind: 'available', accounts: 1, balance: 10n },
      { currency: 'EUR', kind: 'external', accounts: 1, balance: -10n },
      { currency: 'USD', kind: 'available', accounts: 2, balance: 15n },
      { currency: 'USD', kind: 'external', accounts: 1, balance: -10n },
    ];
    expect(sumZeroDifferences(totals)).toEqual([
      expect.objectContaining({ check: 'sum_zero', currency: 'USD', actual: 5n }),
    ]);
    expect(sumZeroDifferences(totals.slice(0, 2))).toEqual([]);
  });

  it('tells a balance that disagrees with its transfers from one that disagrees with its running balance', () => {
    const found = accountDifferences([
      { id: 'a', currency: 'USD', balance: 5n, net: 3n, lastAfter: 5n },
      { id: 'b', currency: 'USD', balance: 5n, net: 5n, lastAfter: 4n },
    ]);
    expect(found.map((d) => [d.check, d.subject, d.expected, d.actual])).toEqual([
      ['balance_matches_transfers', 'a', 3n, 5n],
      ['running_balance', 'b', 4n, 5n],
    ]);
  });

  it('derives what escrow holds from the state: what remains while it holds funds, nothing once closed', () => {
    expect(escrowHeldByState(milestone, 'in_progress', context)).toBe(750n);
    expect(escrowHeldByState(milestone, 'funding', context)).toBe(0n);
    expect(escrowHeldByState(milestone, 'released', context)).toBe(0n);
  });

  it('keeps a paid arbitration fee held until the dispute is resolved', () => {
    const disputed = { ...context, dispute: { feesPaid: ['freelancer'] } };
    expect(feeHeldByDispute({ disputed: 'arbitration_pending' }, disputed, 'freelancer')).toBe(50n);
    expect(feeHeldByDispute({ disputed: 'arbitration_pending' }, disputed, 'employer')).toBe(0n);
    expect(feeHeldByDispute('resolved', disputed, 'freelancer')).toBe(0n);
  });

  it('names the milestone whose escrow or fee hold differs from its state', () => {
    const holding = {
      n: '1',
      id: 'm1',
      version: 3,
      currency: 'USD',
      value: 'in_progress',
      context,
      escrow: 750n,
      feeHolds: { employer: 0n, freelancer: 0n },
    };
    expect(holdingDifferences(milestone, holding)).toEqual([]);
    const found = holdingDifferences(milestone, {
      ...holding,
      escrow: 700n,
      feeHolds: { employer: 50n, freelancer: 0n },
    });
    expect(found.map((d) => [d.check, d.subject, d.expected, d.actual])).toEqual([
      ['escrow_matches_state', 'm1', 750n, 700n],
      ['fee_hold_matches_dispute', 'm1:employer', 0n, 50n],
    ]);
  });

  it('names the owner whose payout hold differs from their open payouts', () => {
    const found = payoutHoldDifferences([
      { ownerId: 'bob', currency: 'USD', held: 50n, open: 50n },
      { ownerId: 'eve', currency: 'EUR', held: 0n, open: 30n },
    ]);
    expect(found.map((d) => [d.check, d.currency, d.subject, d.expected, d.actual])).toEqual([
      ['payout_holds_match_open_payouts', 'EUR', 'eve', 30n, 0n],
    ]);
  });
});
