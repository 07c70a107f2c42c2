import type { Knex } from 'knex';
import type { StateValue } from 'xstate';
import { escrowAccount, feeHoldAccount } from '../ledger/accounts.js';

/** A milestone's state as its snapshot records it, beside the balances of the accounts that hold its money. */
export interface MilestoneHolding {
  n: string;
  id: string;
  version: number;
  currency: string;
  value: StateValue;
  context: Record<string, unknown>;
  escrow: bigint;
  feeHolds: { employer: bigint; freelancer: bigint };
}

interface MilestoneRow {
  n: string;
  id: string;
  version: number;
  employer_id: string;
  freelancer_id: string | null;
  currency: string;
  value: StateValue;
  context: Record<string, unknown>;
}

/**
 * One page of milestones (after instance number `after`, `limit` of them) with their escrow and fee-hold
 * balances (0 for an account never opened). The accounts are looked up by the ids src/ledger/accounts.ts derives
 * from each milestone: primary-key probes, not a scan of accounts per page.
 */
export async function milestoneHoldings(
  trx: Knex.Transaction,
  after: string,
  limit: number,
): Promise<MilestoneHolding[]> {
  const rows: MilestoneRow[] = await trx('instances')
    .where({ machine: 'milestone' })
    .andWhere('n', '>', after)
    .orderBy('n')
    .limit(limit)
    .select(
      trx.raw('n::text AS n'),
      'id',
      'version',
      'employer_id',
      'freelancer_id',
      trx.raw(`input ->> 'currency' AS currency`),
      trx.raw(`snapshot -> 'value' AS value`),
      trx.raw(`snapshot -> 'context' AS context`),
    );
  const accountsOf = (r: MilestoneRow) => ({
    escrow: escrowAccount(r.id, r.employer_id, r.currency).id,
    employer: feeHoldAccount(r.id, 'employer', r.employer_id, r.currency).id,
    freelancer: feeHoldAccount(r.id, 'freelancer', r.freelancer_id ?? '', r.currency).id,
  });
  const ids = rows.flatMap((r) => Object.values(accountsOf(r)));
  const balances = new Map<string, bigint>(
    (await trx('accounts').whereRaw('id = ANY(?)', [ids]).select('id', 'balance')).map(
      (a: { id: string; balance: bigint }) => [a.id, a.balance],
    ),
  );
  return rows.map((r) => {
    const accounts = accountsOf(r);
    const balance = (id: string) => balances.get(id) ?? 0n;
    return {
      n: r.n,
      id: r.id,
      version: r.version,
      currency: r.currency,
      value: r.value,
      context: r.context,
      escrow: balance(accounts.escrow),
      feeHolds: { employer: balance(accounts.employer), freelancer: balance(accounts.freelancer) },
    };
  });
}
