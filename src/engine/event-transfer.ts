import type { Knex } from 'knex';
import { GuardFailedError } from '../errors/index.js';
import { InsufficientFundsError } from '../ledger/insufficient-funds-error.js';
import { transfer, type TransferRequest } from '../ledger/transfer.js';

/** The rule an event is refused by when the money it moves in its own transaction is not there. */
export const INSUFFICIENT_FUNDS = 'insufficient_funds';

/**
 * A transfer made inside an event's own transaction (an arbitration fee hold, a payout hold, an adjustment), so
 * the sender learns at once whether it went through: when the debited account cannot cover it the event is
 * refused (422 guard_failed, rule insufficient_funds, the amounts in `details`) and, the transaction rolling
 * back, nothing changes. `refusal` words the message for the balance that was there.
 */
export async function transferInEvent(
  trx: Knex.Transaction,
  request: TransferRequest,
  refusal: (available: bigint) => string,
): Promise<void> {
  try {
    await transfer(trx, request);
  } catch (error) {
    if (!(error instanceof InsufficientFundsError)) throw error;
    throw new GuardFailedError(INSUFFICIENT_FUNDS, refusal(error.balance), {
      required: request.amount.toString(),
      available: error.balance.toString(),
    });
  }
}
