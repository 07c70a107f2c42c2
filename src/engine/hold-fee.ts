import type { Knex } from 'knex';
import type { PartyRole } from '../../machines/roles.js';
import { GuardFailedError } from '../errors/index.js';
import { availableAccount, feeHoldAccount } from '../ledger/accounts.js';
import { InsufficientFundsError } from '../ledger/insufficient-funds-error.js';
import { transfer } from '../ledger/transfer.js';

/** The rule a fee hold the payer cannot cover refuses PAY_ARBITRATION_FEE by (machines/milestone.v2.ts). */
export const INSUFFICIENT_FUNDS = 'insufficient_funds';

interface MilestoneParties {
  id: string;
  employerId: string;
  freelancerId: string;
  currency: string;
}

/**
 * Holds a party's arbitration fee in the same transaction as the PAY_ARBITRATION_FEE event, so the payer learns
 * at once whether it went through: without the funds the event is refused (422) and nothing changes.
 */
export async function holdArbitrationFee(
  trx: Knex.Transaction,
  milestone: MilestoneParties,
  seq: number,
  payer: PartyRole,
  amount: bigint,
): Promise<void> {
  if (amount === 0n) return;
  const payerId = payer === 'employer' ? milestone.employerId : milestone.freelancerId;
  try {
    await transfer(trx, {
      id: `fee-hold-${milestone.id}-${seq}`,
      debit: availableAccount(payerId, milestone.currency),
      credit: feeHoldAccount(milestone.id, payer, payerId, milestone.currency),
      amount,
      kind: 'arbitration_fee_hold',
      instanceId: milestone.id,
      seq,
    });
  } catch (error) {
    if (!(error instanceof InsufficientFundsError)) throw error;
    throw new GuardFailedError(
      INSUFFICIENT_FUNDS,
      `The arbitration fee of ${amount} exceeds the ${error.balance} available to the ${payer}.`,
      { required: amount.toString(), available: error.balance.toString() },
    );
  }
}
