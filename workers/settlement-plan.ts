import type { MilestoneContext, SettlementKind } from '../machines/milestone.v1.js';
import { availableAccount, escrowAccount, feesAccount, type AccountSpec } from '../src/ledger/accounts.js';

export interface SettlementCommand {
  kind: SettlementKind;
  /** Decimal string of minor units, decided by the machine when it entered the settlement state. */
  amount: string;
}

export interface Leg {
  debit: AccountSpec;
  credit: AccountSpec;
  amount: bigint;
  kind: string;
}

/**
 * The ledger legs of one settlement command (DESIGN.md "Ledger"): fund = available(employer) → escrow;
 * release = escrow → available(freelancer) minus the platform fee, which goes to fees; cancel = escrow →
 * available(employer). Zero-amount legs are left out: a transfer always moves something.
 */
export function settlementLegs(command: SettlementCommand, milestone: MilestoneContext, feeBps: number): Leg[] {
  const amount = BigInt(command.amount);
  const escrow = escrowAccount(milestone.id, milestone.employerId, milestone.currency);
  const employer = availableAccount(milestone.employerId, milestone.currency);
  const freelancer = availableAccount(milestone.freelancerId, milestone.currency);
  let legs: Leg[];
  switch (command.kind) {
    case 'fund':
      legs = [{ debit: employer, credit: escrow, amount, kind: 'fund' }];
      break;
    case 'release': {
      // Integer division rounds the fee down: the platform never takes more than its rate.
      const fee = (amount * BigInt(feeBps)) / 10_000n;
      legs = [
        { debit: escrow, credit: freelancer, amount: amount - fee, kind: 'release' },
        { debit: escrow, credit: feesAccount(milestone.currency), amount: fee, kind: 'platform_fee' },
      ];
      break;
    }
    case 'cancel':
      legs = [{ debit: escrow, credit: employer, amount, kind: 'refund' }];
      break;
  }
  return legs.filter((leg) => leg.amount > 0n);
}
