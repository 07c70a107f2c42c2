import type { Knex } from 'knex';
import { preparedStatement } from '../db/prepared.js';
import { MONEY_MAX } from '../money.js';
import { AccountOverflowError } from './account-overflow-error.js';
import type { AccountSpec } from './accounts.js';
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
 * The platform's accounts whose balance is a net of money in and out, and so may fall below zero: external
 * (deposits in, payouts out) and adjustments (support's corrections either way). The schema's CHECK says the same.
 */
const MAY_GO_NEGATIVE: ReadonlySet<string> = new Set(['external', 'adjustments']);

/** A request checked against the locked balances, with what it leaves on each account (the statement's column). */
export interface PlannedTransfer extends TransferRequest {
  debitBalanceAfter: bigint;
  creditBalanceAfter: bigint;
}

/** Transfers checked against locked balances (planTransfers), ready to be applied in the same transaction. */
export interface TransferPlan {
  /** The requests to move, in order: those whose id already exists were left out (they moved before). */
  transfers: PlannedTransfer[];
  /** Every locked account's balance once the plan is applied. */
  balances: ReadonlyMap<string, bigint>;
}

// Creates the accounts that do not exist yet and locks all of them, in id order so that two opposite transfers
// cannot deadlock each other (an ON CONFLICT … DO UPDATE locks the row it meets, like an UPDATE); returns each
// balance as locked, and which of the transfer ids exist already. One round trip for any number of accounts.
const lockAccountsStatement = preparedStatement<{
  id: string;
  kind: string | null;
  balance: bigint | null;
  already: boolean;
}>(
  'lock_accounts',
  `
  WITH locked AS (
    INSERT INTO accounts (id, owner_id, currency, kind, milestone_id)
    SELECT id, owner_id, currency, kind, milestone_id
    FROM jsonb_to_recordset(?::jsonb) AS a(id text, owner_id text, currency text, kind text, milestone_id text)
    ORDER BY id
    ON CONFLICT (id) DO UPDATE SET balance = accounts.balance
    RETURNING id, kind, balance
  )
  SELECT id, kind, balance, false AS already FROM locked
  UNION ALL
  SELECT id, NULL, NULL, true FROM transfers WHERE id = ANY(?::text[])`,
);

// The transfer rows and every account's net change, in one statement; the balance CHECK in the schema stays the
// last word (it would refuse a negative balance that the check in planTransfers somehow missed). The account ids
// come a second time as an array: the planner takes a JSON parameter for 100 rows and would rather scan the
// whole table than look that many up, where "id = ANY" tells it how few there are. Rows are inserted in plan
// order (ORDER BY i, their place in the plan), so their `n` and created_at (clock_timestamp()) follow the running balances
// they record (migrations/20261208100000_statement_running_balances.ts).
const applyTransfersStatement = preparedStatement(
  'apply_transfers',
  `
  WITH moved AS (
    INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, kind, instance_id, seq,
                           debit_balance_after, credit_balance_after)
    SELECT id, debit, credit, amount, currency, kind, instance_id, seq, debit_after, credit_after
    FROM jsonb_to_recordset(?::jsonb)
      AS t(i int, id text, debit text, credit text, amount bigint, currency text, kind text, instance_id text,
           seq int, debit_after bigint, credit_after bigint)
    ORDER BY i
  )
  UPDATE accounts SET balance = accounts.balance + d.delta
  FROM jsonb_to_recordset(?::jsonb) AS d(id text, delta bigint)
  WHERE accounts.id = d.id AND accounts.id = ANY(?::text[])`,
);

/** Accounts locked by this transaction, with their balances as the transfers planned so far leave them. */
export interface LockedAccounts {
  readonly kinds: ReadonlyMap<string, string>;
  readonly balances: ReadonlyMap<string, bigint>;
  /** Transfer ids among the requested ones that exist already. */
  readonly existing: ReadonlySet<string>;
}

/**
 * Locks the accounts of `requests` (creating the missing ones) and reads their balances, and which of the
 * transfer ids exist already, without moving anything: one round trip for any number of transfers.
 */
export async function lockAccounts(
  trx: Knex.Transaction,
  requests: readonly TransferRequest[],
): Promise<LockedAccounts> {
  for (const r of requests) {
    if (r.amount <= 0n) throw new Error(`transfer ${r.id}: amount must be positive, got ${r.amount}`);
    if (r.debit.currency !== r.credit.currency)
      throw new Error(`transfer ${r.id}: currency mismatch ${r.debit.currency}/${r.credit.currency}`);
  }
  const accounts = new Map<string, AccountSpec>();
  for (const r of requests) accounts.set(r.debit.id, r.debit).set(r.credit.id, r.credit);
  const specs = [...accounts.values()].map((a) => ({
    id: a.id,
    owner_id: a.ownerId,
    currency: a.currency,
    kind: a.kind,
    milestone_id: a.milestoneId,
  }));
  const rows = await lockAccountsStatement(trx, [JSON.stringify(specs), requests.map((r) => r.id)]);
  const locked = rows.filter((r) => !r.already);
  return {
    kinds: new Map(locked.map((r) => [r.id, r.kind!])),
    balances: new Map(locked.map((r) => [r.id, r.balance!])),
    existing: new Set(rows.filter((r) => r.already).map((r) => r.id)),
  };
}

/**
 * Checks `requests` against the locked balances, in order, and returns them with the balances they leave: a
 * debit the account cannot cover throws InsufficientFundsError, one that would take a balance past what the
 * ledger holds an AccountOverflowError (typed outcomes the caller decides on). A request whose id exists
 * already is left out, so a retry moves no money twice. Pure: `locked` is not changed (a caller planning
 * several batches in turn plans each on `lockedAfter` of the one before), and the plan moves money only when
 * applied.
 */
export function planTransfers(locked: LockedAccounts, requests: readonly TransferRequest[]): TransferPlan {
  const balances = new Map(locked.balances);
  const transfers: PlannedTransfer[] = [];
  for (const r of requests.filter((request) => !locked.existing.has(request.id))) {
    const debitBalance = balances.get(r.debit.id)!;
    const creditBalance = balances.get(r.credit.id)!;
    if (!MAY_GO_NEGATIVE.has(locked.kinds.get(r.debit.id) ?? '') && debitBalance < r.amount) {
      // The CHECK constraint would refuse it too; refusing first, with a typed error, lets the caller decide
      // (the settlement worker answers SETTLEMENT_FAILED instead of retrying forever).
      throw new InsufficientFundsError(r.debit.id, debitBalance, r.amount);
    }
    // A bigint column would refuse it with a database error; name the account and the cause instead.
    if (creditBalance + r.amount > MONEY_MAX) throw overflow(r.credit, creditBalance, r.amount);
    if (debitBalance - r.amount < -MONEY_MAX) throw overflow(r.debit, debitBalance, r.amount);
    const after = { debitBalanceAfter: debitBalance - r.amount, creditBalanceAfter: creditBalance + r.amount };
    balances.set(r.debit.id, after.debitBalanceAfter).set(r.credit.id, after.creditBalanceAfter);
    transfers.push({ ...r, ...after });
  }
  return { transfers, balances };
}

function overflow(account: AccountSpec, balance: bigint, amount: bigint): AccountOverflowError {
  return new AccountOverflowError(account.id, account.kind, account.currency, balance, amount, MONEY_MAX);
}

/** The locked accounts as `plan` leaves them: what the next plan of the same transaction is checked against. */
export function lockedAfter(locked: LockedAccounts, plan: TransferPlan): LockedAccounts {
  return { ...locked, balances: plan.balances };
}

/** Writes planned transfers: their rows and the new balances, in one statement of the same transaction. */
export async function applyTransfers(trx: Knex.Transaction, plans: readonly TransferPlan[]): Promise<void> {
  const moves = plans.flatMap((p) => p.transfers);
  if (moves.length === 0) return;
  const deltas = new Map<string, bigint>();
  for (const r of moves) {
    deltas
      .set(r.debit.id, (deltas.get(r.debit.id) ?? 0n) - r.amount)
      .set(r.credit.id, (deltas.get(r.credit.id) ?? 0n) + r.amount);
  }
  // Money crosses into SQL as decimal strings inside the JSON (STYLE §11), cast to bigint there.
  const transfers = moves.map((r, i) => ({
    i,
    id: r.id,
    debit: r.debit.id,
    credit: r.credit.id,
    amount: r.amount.toString(),
    currency: r.debit.currency,
    kind: r.kind,
    instance_id: r.instanceId ?? null,
    seq: r.seq ?? null,
    debit_after: r.debitBalanceAfter.toString(),
    credit_after: r.creditBalanceAfter.toString(),
  }));
  const changes = [...deltas]
    .filter(([, delta]) => delta !== 0n)
    .map(([id, delta]) => ({ id, delta: delta.toString() }));
  await applyTransfersStatement(trx, [JSON.stringify(transfers), JSON.stringify(changes), changes.map((c) => c.id)]);
}

/**
 * Moves money between two accounts of one currency, atomically, inside the caller's transaction. Returns the
 * credit account's balance afterwards, or null (and moves nothing) when a transfer with this id already exists.
 */
export async function transfer(trx: Knex.Transaction, request: TransferRequest): Promise<bigint | null> {
  const plan = planTransfers(await lockAccounts(trx, [request]), [request]);
  if (plan.transfers.length === 0) return null;
  await applyTransfers(trx, [plan]);
  return plan.balances.get(request.credit.id)!;
}
