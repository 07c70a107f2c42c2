import type { Knex } from 'knex';
import { pinnedMachine } from '../../machines/registry.js';
import { accountDifferences, CHECK, holdingDifferences, payoutHoldDifferences, sumZeroDifferences } from './compare.js';
import type { Difference } from './difference.js';
import { accountMismatches, payoutHolds, type KindTotal } from './ledger-queries.js';
import { milestoneHoldings } from './milestone-holdings.js';

/** What every check may read: the transaction (one REPEATABLE READ snapshot) and the balances per kind. */
export interface ReconcileContext {
  trx: Knex.Transaction;
  totals: readonly KindTotal[];
  /** Rows a check reads at a time where it pages (milestones). */
  pageSize: number;
  /** Aborted when the reconciliation is to stop: a paging check stops between pages (src/db/cancel-on-abort.ts). */
  signal?: AbortSignal;
}

/**
 * A group of checks that share their reads: `names` are the checks it answers for (each is reported per
 * currency, as 0 when it found nothing), `run` returns what it found. This list is the hook for whatever adds
 * money the ledger must account for: payouts added "payout holds = open payouts" (payoutsHold) this way.
 */
export interface ReconcileCheck {
  names: readonly string[];
  run(context: ReconcileContext): Promise<Difference[]>;
}

const sumZero: ReconcileCheck = {
  names: [CHECK.sumZero],
  run: ({ totals }) => Promise.resolve(sumZeroDifferences(totals)),
};

const accountsAgree: ReconcileCheck = {
  names: [CHECK.balanceMatchesTransfers, CHECK.runningBalance],
  run: async ({ trx }) => accountDifferences(await accountMismatches(trx)),
};

const milestonesHold: ReconcileCheck = {
  names: [CHECK.escrowMatchesState, CHECK.feeHoldMatchesDispute],
  async run({ trx, pageSize, signal }) {
    const found: Difference[] = [];
    for (let after = '0'; ;) {
      signal?.throwIfAborted();
      const page = await milestoneHoldings(trx, after, pageSize);
      for (const m of page) found.push(...holdingDifferences(pinnedMachine('milestone', m.version), m));
      if (page.length < pageSize) return found;
      after = page[page.length - 1]!.n;
    }
  },
};

const payoutsHold: ReconcileCheck = {
  names: [CHECK.payoutHoldsMatchOpenPayouts],
  run: async ({ trx }) => payoutHoldDifferences(await payoutHolds(trx)),
};

/** The checks a reconciliation runs, in this order. */
export const RECONCILE_CHECKS: readonly ReconcileCheck[] = [sumZero, accountsAgree, milestonesHold, payoutsHold];
