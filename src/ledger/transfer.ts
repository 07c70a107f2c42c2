import type { Knex } from 'knex';
import { InvalidRequestError } from '../errors/index.js';
import { MONEY_MAX } from '../money.js';
import { ensureAccounts, type AccountSpec } from './accounts.js';
import { InsufficientFundsError } from './insufficient-funds-error.js';

export interface TransferRequest {
  /** Deterministic id: the same logical transfer always has the same id, so a retry moves no money twice. */
  id: string;
  debit: AccountSpec;
  credit: AccountSpec;
  amount: bigint;
  kind: string;
  /** The history entry this transfer belongs to, for settlement transfers. */
  instanceId?: string;
  seq?: number;
}

/**
 * Moves money between two accounts of one currency, atomically, inside the caller's transaction.
 * Returns false (and moves nothing) when a transfer with this id already exists.
 */
export async function transfer(trx: Knex.Transaction, request: TransferRequest): Promise<boolean> {
  const { debit, credit, amount } = request;
  if (amount <= 0n) throw new Error(`transfer ${request.id}: amount must be positive, got ${amount}`);
  if (debit.currency !== credit.currency) throw new Error(`transfer ${request.id}: currency mismatch ${debit.currency}/${credit.currency}`);
  await ensureAccounts(trx, [debit, credit]);
  // Lock both rows in id order so two opposite transfers cannot deadlock each other.
  const locked: { id: string; kind: string; balance: bigint }[] = await trx('accounts')
    .whereIn('id', [debit.id, credit.id])
    .orderBy('id')
    .forUpdate()
    .select('id', 'kind', 'balance');
  const existing = await trx('transfers').where({ id: request.id }).first('id');
  if (existing) return false;

  const debitRow = locked.find((a) => a.id === debit.id);
  if (debitRow && debitRow.kind !== 'external' && debitRow.balance < amount) {
    // The CHECK constraint would refuse it too; refusing first, with a typed error, lets the caller decide
    // (the settlement worker answers SETTLEMENT_FAILED instead of retrying forever).
    throw new InsufficientFundsError(debit.id, debitRow.balance, amount);
  }
  const creditRow = locked.find((a) => a.id === credit.id);
  if ((creditRow?.balance ?? 0n) + amount > MONEY_MAX || (debitRow?.balance ?? 0n) - amount < -MONEY_MAX) {
    // A bigint column would refuse it with a database error; say what is wrong instead.
    throw new InvalidRequestError(`Transfer ${request.id} would take an account beyond ${MONEY_MAX} minor units.`);
  }
  // The row lock above serialises transfers touching the debit account, and the primary key catches any
  // other writer of the same id: a duplicate fails the transaction rather than moving money twice.
  await trx('transfers').insert({
    id: request.id,
    debit_account_id: debit.id,
    credit_account_id: credit.id,
    amount: amount.toString(),
    currency: debit.currency,
    kind: request.kind,
    instance_id: request.instanceId ?? null,
    seq: request.seq ?? null,
  });
  await trx('accounts').where({ id: debit.id }).update({ balance: trx.raw('balance - ?::bigint', [amount.toString()]) });
  await trx('accounts').where({ id: credit.id }).update({ balance: trx.raw('balance + ?::bigint', [amount.toString()]) });
  return true;
}

export async function availableBalance(trx: Knex.Transaction | Knex, account: AccountSpec): Promise<bigint> {
  const row = await trx('accounts').where({ id: account.id }).first('balance');
  return (row?.balance as bigint | undefined) ?? 0n;
}
