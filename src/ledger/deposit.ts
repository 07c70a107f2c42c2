import type { Knex } from 'knex';
import { newId } from '../ids.js';
import { availableAccount, externalAccount } from './accounts.js';
import { DepositLimitError } from './deposit-limit-error.js';
import { transfer } from './transfer.js';

export interface DepositResult {
  transferId: string;
  /** The owner's available balance in this currency after the deposit. */
  balance: bigint;
}

/**
 * Money entering the system: external → the owner's available account. One deposit moves at most `max` minor
 * units (DEPOSIT_MAX: a sanity bound that keeps one mistyped amount from filling the currency's external
 * account for everyone); more throws DepositLimitError and moves nothing.
 */
export async function deposit(
  trx: Knex.Transaction,
  ownerId: string,
  currency: string,
  amount: bigint,
  max: bigint,
): Promise<DepositResult> {
  if (amount > max) throw new DepositLimitError(amount, max);
  const transferId = newId('dep');
  const target = availableAccount(ownerId, currency);
  // The id is new, so the transfer always moves (null would mean it had moved before).
  const balance = await transfer(trx, {
    id: transferId,
    debit: externalAccount(currency),
    credit: target,
    amount,
    kind: 'deposit',
  });
  if (balance === null) throw new Error(`deposit ${transferId} already existed`);
  return { transferId, balance };
}
