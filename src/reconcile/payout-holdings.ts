import type { Knex } from 'knex';
import { machineVersions } from '../../machines/registry.js';
import { HOLDS_FUNDS_TAG } from '../replay/holds-funds.js';

/** One owner's payout hold in one currency beside the amounts of their open payouts (either may be 0). */
export interface PayoutHolding {
  ownerId: string;
  currency: string;
  /** The payout-hold account's balance. */
  held: bigint;
  /** The sum of the amounts of the owner's payouts in a state that holds funds (requested, processing). */
  open: bigint;
}

/** Top-level payout states, of any version, tagged as holding the payout's amount. */
export function openPayoutStates(): string[] {
  const states = new Set<string>();
  for (const def of machineVersions('payout')) {
    for (const [name, node] of Object.entries(def.machine.root.states)) {
      if (node.tags.includes(HOLDS_FUNDS_TAG)) states.add(name);
    }
  }
  return [...states].sort();
}

/**
 * Every owner and currency where the payout-hold balance differs from the open payouts' amounts. Aggregated in the
 * database (one row per owner and currency at most, and only those that disagree), like the other ledger queries.
 */
export async function payoutHoldMismatches(trx: Knex.Transaction): Promise<PayoutHolding[]> {
  const result: { rows: { owner_id: string; currency: string; held: bigint; open: bigint }[] } = await trx.raw(
    `WITH open AS (
       SELECT employer_id AS owner_id, input ->> 'currency' AS currency,
              sum((snapshot -> 'context' ->> 'amount')::bigint) AS amount
         FROM instances WHERE machine = 'payout' AND state = ANY(?) GROUP BY 1, 2
     ), held AS (
       SELECT owner_id, currency::text AS currency, balance FROM accounts WHERE kind = 'payout_hold'
     )
     SELECT coalesce(h.owner_id, o.owner_id) AS owner_id, coalesce(h.currency, o.currency) AS currency,
            coalesce(h.balance, 0)::bigint AS held, coalesce(o.amount, 0)::bigint AS open
       FROM held h FULL JOIN open o ON o.owner_id = h.owner_id AND o.currency = h.currency
      WHERE coalesce(h.balance, 0) <> coalesce(o.amount, 0)
      ORDER BY 2, 1`,
    [openPayoutStates()],
  );
  return result.rows.map((r) => ({ ownerId: r.owner_id, currency: r.currency, held: r.held, open: r.open }));
}
