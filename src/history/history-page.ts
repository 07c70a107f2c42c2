import type { Knex } from 'knex';
import type { HistoryRow } from '../engine/history-row.js';
import { formatMoney } from '../money.js';

interface TransferRow {
  instance_id: string;
  id: string;
  seq: number;
  debit_account_id: string;
  credit_account_id: string;
  amount: bigint;
  kind: string;
}

/** History entries with the ledger transfers each one caused, read in two queries for the whole page. */
export async function historyPage(db: Knex, instanceId: string, afterSeq: number, limit: number) {
  const rows = await db<HistoryRow>('history')
    .where({ instance_id: instanceId })
    .andWhere('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const transfers = page.length
    ? await db<TransferRow>('transfers')
        .where({ instance_id: instanceId })
        .whereBetween('seq', [page[0]!.seq, page[page.length - 1]!.seq])
        .orderBy('id')
    : [];
  const items = page.map((h) => ({
    seq: h.seq,
    type: h.type,
    actor: h.actor,
    role: h.role,
    payload: h.payload,
    from: h.from_state,
    to: h.to_state,
    at: h.at.toISOString(),
    machineVersion: h.machine_version,
    transfers: transfers
      .filter((t) => t.seq === h.seq)
      .map((t) => ({
        id: t.id,
        kind: t.kind,
        from: t.debit_account_id,
        to: t.credit_account_id,
        amount: formatMoney(t.amount),
      })),
  }));
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > limit && last ? String(last.seq) : null };
}
