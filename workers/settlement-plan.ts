import type { MilestoneContext } from '../machines/milestone.v1.js';
import type { SettlementCommandV2 } from '../machines/milestone.v2.js';
import type { PartyRole } from '../machines/roles.js';
import {
  availableAccount,
  escrowAccount,
  feeHoldAccount,
  feesAccount,
  type AccountSpec,
} from '../src/ledger/accounts.js';

/** A settlement command as the machine emitted it (decimal strings, decided when it entered the settling state). */
export type SettlementCommand = SettlementCommandV2;

export interface Leg {
  debit: AccountSpec;
  credit: AccountSpec;
  amount: bigint;
  kind: string;
}

/** Integer division rounds the platform fee down: the platform never takes more than its rate. */
const platformFee = (amount: bigint, feeBps: number): bigint => (amount * BigInt(feeBps)) / 10_000n;

/**
 * The ledger legs of one settlement command (docs/concepts.md "Ledger"): fund = available(employer) → escrow;
 * release = escrow → available(freelancer) minus the platform fee, which goes to fees; cancel = escrow →
 * available(employer); a dispute split = both, plus each paid arbitration fee refunded to its payer or kept
 * by the platform. Zero-amount legs are left out: a transfer always moves something.
 */
export function settlementLegs(command: SettlementCommand, milestone: MilestoneContext, feeBps: number): Leg[] {
  const escrow = escrowAccount(milestone.id, milestone.employerId, milestone.currency);
  const employer = availableAccount(milestone.employerId, milestone.currency);
  const freelancer = availableAccount(milestone.freelancerId, milestone.currency);
  const fees = feesAccount(milestone.currency);
  const payout = (amount: bigint): Leg[] => {
    const fee = platformFee(amount, feeBps);
    return [
      { debit: escrow, credit: freelancer, amount: amount - fee, kind: 'release' },
      { debit: escrow, credit: fees, amount: fee, kind: 'platform_fee' },
    ];
  };
  let legs: Leg[];
  switch (command.kind) {
    case 'fund':
      legs = [{ debit: employer, credit: escrow, amount: BigInt(command.amount), kind: 'fund' }];
      break;
    case 'release':
      legs = payout(BigInt(command.amount));
      break;
    case 'cancel':
      legs = [{ debit: escrow, credit: employer, amount: BigInt(command.amount), kind: 'refund' }];
      break;
    case 'split': {
      const fee = BigInt(command.arbitrationFee);
      const hold = (role: PartyRole) =>
        feeHoldAccount(
          milestone.id,
          role,
          role === 'employer' ? milestone.employerId : milestone.freelancerId,
          milestone.currency,
        );
      legs = [
        ...payout(BigInt(command.amountToFreelancer)),
        { debit: escrow, credit: employer, amount: BigInt(command.amountToEmployer), kind: 'refund' },
        ...command.feeRefunds.map((role) => ({
          debit: hold(role),
          credit: role === 'employer' ? employer : freelancer,
          amount: fee,
          kind: 'arbitration_fee_refund',
        })),
        ...command.feeForfeits.map((role) => ({
          debit: hold(role),
          credit: fees,
          amount: fee,
          kind: 'arbitration_fee_forfeit',
        })),
      ];
      break;
    }
  }
  return legs.filter((leg) => leg.amount > 0n);
}
