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

/**
 * History entries with the ledger transfers each one caused, read in two queries for the whole page. Each entry
 * names the API client whose request caused it (`client`, null for timers and settlement): who did what.
 */
export async function historyPage(db: Knex, instanceId: string, afterSeq: number, limit: number) {
  const rows: (HistoryRow & { client_id: string | null; client_name: string | null })[] = await db('history AS h')
    .leftJoin('api_clients AS c', 'c.id', 'h.client_id')
    .where({ 'h.instance_id': instanceId })
    .andWhere('h.seq', '>', afterSeq)
    .orderBy('h.seq')
    .limit(limit + 1)
    .select('h.*', 'c.name AS client_name');
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
    // A client id whose row is gone (deleted by hand) still names the id: the trail outlives the credential.
    client: h.client_id === null ? null : { id: h.client_id, name: h.client_name ?? h.client_id },
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
