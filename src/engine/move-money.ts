import type { Knex } from 'knex';
import type { AccountRole, MoneyMove } from '../../machines/money-moves.js';
import {
  adjustmentsAccount,
  availableAccount,
  externalAccount,
  payoutHoldAccount,
  type AccountSpec,
} from '../ledger/accounts.js';
import { transferInEvent } from './event-transfer.js';

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
 * moves once; money that is not there refuses the event (event-transfer.ts).
 */
export async function moveMoney(
  trx: Knex.Transaction,
  owned: OwnedContext,
  seq: number,
  move: MoneyMove,
): Promise<void> {
  const amount = BigInt(move.amount);
  await transferInEvent(
    trx,
    {
      id: `${move.kind}-${owned.id}-${seq}`,
      debit: accountOf(move.from, owned),
      credit: accountOf(move.to, owned),
      amount,
      kind: move.kind,
      instanceId: owned.id,
      seq,
    },
    (available) =>
      `Moving ${amount} (${move.kind}) needs more than the ${available} the ${move.from.replace('_', ' ')} balance holds.`,
  );
}
