import type { Knex } from 'knex';
import type { AccountRole, MoneyMove } from '../../machines/money-moves.js';
import { GuardFailedError } from '../errors/index.js';
import {
  adjustmentsAccount,
  availableAccount,
  externalAccount,
  payoutHoldAccount,
  type AccountSpec,
} from '../ledger/accounts.js';
import { InsufficientFundsError } from '../ledger/insufficient-funds-error.js';
import { transfer } from '../ledger/transfer.js';
import { INSUFFICIENT_FUNDS } from './hold-fee.js';

/** What an owned instance's context tells the engine about whose money it moves. */
export interface OwnedContext {
  id: string;
  ownerId: string;
  currency: string;
}

function accountOf(role: AccountRole, owned: OwnedContext): AccountSpec {
  switch (role) {
    case 'available':
      return availableAccount(owned.ownerId, owned.currency);
    case 'payout_hold':
      return payoutHoldAccount(owned.ownerId, owned.currency);
    case 'external':
      return externalAccount(owned.currency);
    case 'adjustments':
      return adjustmentsAccount(owned.currency);
  }
}

/**
 * Carries out a `moveMoney` action in the event's own transaction, after its history row exists (the transfer
 * references it). The transfer id names the instance and the event's seq: the event is applied once, so the money
 * moves once. When the debited account cannot cover it the event is refused (422 insufficient_funds) and, the
 * transaction rolling back, nothing changes: not the instance, not its history, not the balances.
 */
export async function moveMoney(
  trx: Knex.Transaction,
  owned: OwnedContext,
  seq: number,
  move: MoneyMove,
): Promise<void> {
  const amount = BigInt(move.amount);
  try {
    await transfer(trx, {
      id: `${move.kind}-${owned.id}-${seq}`,
      debit: accountOf(move.from, owned),
      credit: accountOf(move.to, owned),
      amount,
      kind: move.kind,
      instanceId: owned.id,
      seq,
    });
  } catch (error) {
    if (!(error instanceof InsufficientFundsError)) throw error;
    throw new GuardFailedError(
      INSUFFICIENT_FUNDS,
      `Moving ${amount} (${move.kind}) needs more than the ${error.balance} the ${move.from.replace('_', ' ')} balance holds.`,
      { required: amount.toString(), available: error.balance.toString() },
    );
  }
}
