import type { Knex } from 'knex';
import type { PostedKey } from '../lists/list-cursor.js';
import { availableAccount } from './accounts.js';
import { balanceBefore, entriesQuery, type EntryRange, type EntryRow } from './statement-query.js';

/**
 * An owner's statement over their available balance in one currency (docs/money.md "Statements"): the entries posted
 * in [from, to), in ledger order, each with its signed amount and the balance it left.
 */
export interface StatementRange {
  ownerId: string;
  currency: string;
  /** Inclusive; null: from the account's first entry. */
  from: Date | null;
  /** Exclusive; null: up to the latest entry. */
  to: Date | null;
}

export interface StatementEntry {
  transferId: string;
  at: Date;
  kind: string;
  /** Signed: negative when the transfer took money from the account. */
  amount: bigint;
  balanceAfter: bigint;
  /** The instance and history seq whose event caused the transfer (null for deposits). */
  instanceId: string | null;
  seq: number | null;
}

export interface StatementPage {
  openingBalance: bigint;
  closingBalance: bigint;
  entries: StatementEntry[];
  /** The key of the last entry when more follow in the range. */
  next: PostedKey | null;
}

export function entryOf(row: EntryRow): StatementEntry {
  return {
    transferId: row.id,
    at: row.created_at,
    kind: row.kind,
    amount: row.amount,
    balanceAfter: row.balance_after,
    instanceId: row.instance_id,
    seq: row.seq,
  };
}

/** The database's reading of a range: where its entries start (after `after`, or at `from`) and end. */
export function entryRange(range: StatementRange, after: PostedKey | null): EntryRange {
  return {
    accountId: availableAccount(range.ownerId, range.currency).id,
    afterAt: after?.at ?? range.from?.toISOString() ?? '-infinity',
    afterN: after?.n ?? '0',
    before: range.to?.toISOString() ?? 'infinity',
  };
}

/**
 * One page of a statement and the range's opening and closing balances, read in one REPEATABLE READ snapshot so
 * that a transfer landing meanwhile cannot leave the page and the balances disagreeing.
 */
export async function statementPage(
  db: Knex,
  range: StatementRange,
  after: PostedKey | null,
  limit: number,
): Promise<StatementPage> {
  return db.transaction(async (trx: Knex.Transaction): Promise<StatementPage> => {
    await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const where = entryRange(range, after);
    const opening = range.from === null ? 0n : await balanceBefore(trx, where.accountId, range.from.toISOString());
    const closing = await balanceBefore(trx, where.accountId, where.before);
    const rows = (await entriesQuery(trx, where, limit + 1)).rows;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      openingBalance: opening,
      closingBalance: closing,
      entries: page.map(entryOf),
      next: rows.length > limit && last ? { order: 'posted', at: last.at_key, n: last.n.toString() } : null,
    };
  });
}
