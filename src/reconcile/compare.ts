import type { StateValue } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import type { PartyRole } from '../../machines/roles.js';
import { holdsFunds } from '../replay/holds-funds.js';
import type { Difference } from './difference.js';
import type { AccountMismatch, KindTotal, PayoutHold } from './ledger-queries.js';
import type { MilestoneHolding } from './milestone-holdings.js';

// The comparisons of a reconciliation, without I/O: each takes what the queries read and returns the
// differences, named by the check that found them (the `check` label of escrow_reconcile_differences).

export const CHECK = {
  sumZero: 'sum_zero',
  balanceMatchesTransfers: 'balance_matches_transfers',
  runningBalance: 'running_balance',
  escrowMatchesState: 'escrow_matches_state',
  feeHoldMatchesDispute: 'fee_hold_matches_dispute',
  payoutHoldsMatchOpenPayouts: 'payout_holds_match_open_payouts',
} as const;

/** Double entry: per currency, all balances (external included) sum to zero. */
export function sumZeroDifferences(totals: readonly KindTotal[]): Difference[] {
  const sums = new Map<string, bigint>();
  for (const t of totals) sums.set(t.currency, (sums.get(t.currency) ?? 0n) + t.balance);
  return [...sums]
    .filter(([, sum]) => sum !== 0n)
    .map(([currency, sum]) => ({
      check: CHECK.sumZero,
      currency,
      subject: currency,
      expected: 0n,
      actual: sum,
      message: `${currency} balances sum to ${sum}, not 0: money was created or destroyed`,
    }));
}

/** Each account's balance equals credits − debits of its transfers, and the balance its last transfer recorded. */
export function accountDifferences(mismatches: readonly AccountMismatch[]): Difference[] {
  const found: Difference[] = [];
  for (const m of mismatches) {
    if (m.balance !== m.net) {
      found.push({
        check: CHECK.balanceMatchesTransfers,
        currency: m.currency,
        subject: m.id,
        expected: m.net,
        actual: m.balance,
        message: `account ${m.id} holds ${m.balance} but its transfers add up to ${m.net}`,
      });
    }
    if (m.balance !== m.lastAfter) {
      found.push({
        check: CHECK.runningBalance,
        currency: m.currency,
        subject: m.id,
        expected: m.lastAfter,
        actual: m.balance,
        message: `account ${m.id} holds ${m.balance} but its last transfer recorded a balance of ${m.lastAfter}`,
      });
    }
  }
  return found;
}

const money = (value: unknown): bigint => BigInt(typeof value === 'string' ? value : '0');

/** What a milestone's escrow must hold in this state: amount − released while its state holds funds, else 0. */
export function escrowHeldByState(def: MachineDefinition, value: StateValue, context: Record<string, unknown>): bigint {
  return holdsFunds(def, value) ? money(context.amount) - money(context.releasedAmount) : 0n;
}

/** A payer's paid arbitration fee stays held until the dispute is resolved (then refunded or kept). */
export function feeHeldByDispute(value: StateValue, context: Record<string, unknown>, payer: PartyRole): bigint {
  const dispute = context.dispute as { feesPaid?: string[] } | null | undefined;
  const rules = context.disputeRules as { arbitrationFee?: string } | undefined;
  const resolved = (typeof value === 'string' ? value : Object.keys(value)[0]) === 'resolved';
  return !resolved && dispute?.feesPaid?.includes(payer) ? money(rules?.arbitrationFee) : 0n;
}

/** A milestone's escrow balance equals what its state holds (funded − released − returned); so does each fee hold. */
export function holdingDifferences(def: MachineDefinition, m: MilestoneHolding): Difference[] {
  const found: Difference[] = [];
  const escrow = escrowHeldByState(def, m.value, m.context);
  if (escrow !== m.escrow) {
    found.push({
      check: CHECK.escrowMatchesState,
      currency: m.currency,
      subject: m.id,
      expected: escrow,
      actual: m.escrow,
      message: `milestone ${m.id} in ${JSON.stringify(m.value)} should hold ${escrow} in escrow; the account holds ${m.escrow}`,
    });
  }
  for (const payer of ['employer', 'freelancer'] as const) {
    const held = feeHeldByDispute(m.value, m.context, payer);
    if (held !== m.feeHolds[payer]) {
      found.push({
        check: CHECK.feeHoldMatchesDispute,
        currency: m.currency,
        subject: `${m.id}:${payer}`,
        expected: held,
        actual: m.feeHolds[payer],
        message: `milestone ${m.id}: the ${payer}'s arbitration fee hold should be ${held}; the account holds ${m.feeHolds[payer]}`,
      });
    }
  }
  return found;
}

/** Each owner's payout hold equals the amounts of their payouts not yet paid or returned (two-phase payouts). */
export function payoutHoldDifferences(holds: readonly PayoutHold[]): Difference[] {
  return holds
    .filter((h) => h.held !== h.open)
    .map((h) => ({
      check: CHECK.payoutHoldsMatchOpenPayouts,
      currency: h.currency,
      subject: h.ownerId,
      expected: h.open,
      actual: h.held,
      message: `${h.ownerId}'s payout hold is ${h.held} but their open payouts add up to ${h.open}`,
    }));
}
