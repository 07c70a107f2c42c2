import type { Knex } from 'knex';
import type { MachineDefinition } from '../../machines/definition.js';
import { escrowAccount } from '../ledger/accounts.js';
import type { InstanceRow } from '../engine/instance-row.js';
import { holdsFunds } from './holds-funds.js';

export interface EscrowFacts {
  /** The escrow account's balance now (0 when it was never opened). */
  balance: bigint;
  /** Credits − debits of the escrow account over all its settlement transfers. */
  netAll: bigint;
  /** The same, counting only transfers of events up to the instance's seq as read. */
  netAtSeq: bigint;
}

interface EscrowRow {
  id: string;
  balance: string | null;
  net_all: string;
  net_at_seq: string;
}

/**
 * Escrow facts of many milestones in one query. Transfers are found through their instance (the indexed
 * `transfers.instance_id`): every movement in or out of a milestone's escrow is a settlement of that milestone.
 * `netAtSeq` stops at the seq the instance was read at, so a settlement landing meanwhile is no false alarm.
 */
export async function escrowFacts(db: Knex, rows: readonly InstanceRow[]): Promise<Map<string, EscrowFacts>> {
  const milestones = rows.filter((r) => r.machine === 'milestone');
  const facts = new Map<string, EscrowFacts>();
  if (milestones.length === 0) return facts;
  const accountIds = milestones.map((r) => escrowAccount(r.id, r.employer_id, String(r.input.currency)).id);
  const result = await db.raw<{ rows: EscrowRow[] }>(
    `SELECT x.id, a.balance::text AS balance,
            coalesce(sum(CASE WHEN t.credit_account_id = x.account THEN t.amount ELSE -t.amount END), 0)::text AS net_all,
            coalesce(sum(CASE WHEN t.credit_account_id = x.account THEN t.amount ELSE -t.amount END) FILTER (WHERE t.seq <= x.seq), 0)::text AS net_at_seq
       FROM unnest(?::text[], ?::text[], ?::int[]) AS x(id, account, seq)
       LEFT JOIN accounts a ON a.id = x.account
       LEFT JOIN transfers t ON t.instance_id = x.id AND (t.credit_account_id = x.account OR t.debit_account_id = x.account)
      GROUP BY x.id, a.balance`,
    [milestones.map((r) => r.id), accountIds, milestones.map((r) => r.seq)],
  );
  for (const r of result.rows) {
    facts.set(r.id, { balance: BigInt(r.balance ?? '0'), netAll: BigInt(r.net_all), netAtSeq: BigInt(r.net_at_seq) });
  }
  return facts;
}

/**
 * docs/concepts.md's escrow invariants for one milestone, as readable problems: its balance equals funded − released
 * − returned per transfers, and equals amount − releasedAmount while its state holds the money (else zero).
 */
export function escrowProblems(def: MachineDefinition, row: InstanceRow, facts: EscrowFacts | undefined): string[] {
  if (row.machine !== 'milestone') return [];
  const f = facts ?? { balance: 0n, netAll: 0n, netAtSeq: 0n };
  const problems: string[] = [];
  if (f.balance !== f.netAll) {
    problems.push(`escrow balance ${f.balance} ≠ funded − released − returned per transfers ${f.netAll}`);
  }
  const c = row.snapshot.context as { amount?: string; releasedAmount?: string };
  let expected = 0n;
  if (holdsFunds(def, row.snapshot.value)) {
    try {
      expected = BigInt(c.amount ?? '0') - BigInt(c.releasedAmount ?? '0');
    } catch {
      problems.push(
        `snapshot amounts are not money: amount ${String(c.amount)}, releasedAmount ${String(c.releasedAmount)}`,
      );
      return problems;
    }
  }
  if (f.netAtSeq !== expected) {
    problems.push(
      `escrow holds ${f.netAtSeq} at seq ${row.seq} but state ${JSON.stringify(row.snapshot.value)} implies ${expected}`,
    );
  }
  return problems;
}
