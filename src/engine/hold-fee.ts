import type { Knex } from 'knex';
import type { PartyRole } from '../../machines/roles.js';
import { availableAccount, feeHoldAccount } from '../ledger/accounts.js';
import { transferInEvent } from './event-transfer.js';

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
  await transferInEvent(
    trx,
    {
      id: `fee-hold-${milestone.id}-${seq}`,
      debit: availableAccount(payerId, milestone.currency),
      credit: feeHoldAccount(milestone.id, payer, payerId, milestone.currency),
      amount,
      kind: 'arbitration_fee_hold',
      instanceId: milestone.id,
      seq,
    },
    (available) => `The arbitration fee of ${amount} exceeds the ${available} available to the ${payer}.`,
  );
}
