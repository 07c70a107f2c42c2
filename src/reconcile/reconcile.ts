import { cancelOnAbort } from '../db/cancel-on-abort.js';
import type { Db } from '../db/knex.js';
import { RECONCILE_CHECKS, type ReconcileCheck } from './checks.js';
import type { Difference } from './difference.js';
import { balancesByKind, flowsOfDay, type DayFlow, type KindTotal } from './ledger-queries.js';

/**
 * The day's money movements a reconciliation reports, by the transfer kinds that make each one up. Kinds a later
 * feature adds (payouts, adjustments) are named here already, so their figures appear once they are posted.
 */
export const DAY_FIGURES = {
  deposits: ['deposit'],
  payoutsPaid: ['payout'],
  feesEarned: ['platform_fee', 'arbitration_fee_forfeit'],
  adjustments: ['adjustment'],
} as const satisfies Record<string, readonly string[]>;

/** The balances a reconciliation reports, by account kind. */
export const BALANCE_FIGURES = {
  usersAvailable: ['available'],
  escrowHeld: ['escrow'],
  feeHolds: ['fee_hold'],
  payoutHolds: ['payout_hold'],
  fees: ['fees'],
  adjustments: ['adjustments'],
  external: ['external'],
} as const satisfies Record<string, readonly string[]>;

export type DayFigure = keyof typeof DAY_FIGURES;
export type BalanceFigure = keyof typeof BALANCE_FIGURES;

export interface CurrencyReport {
  currency: string;
  /** Money moved on the reconciled day. */
  day: Record<DayFigure, bigint>;
  /** Balances now, by kind; `total` is all of them, which the ledger keeps at 0. */
  balances: Record<BalanceFigure | 'total', bigint>;
  differences: number;
}

export interface ReconcileReport {
  /** The UTC day of the `day` figures (YYYY-MM-DD). */
  date: string;
  ok: boolean;
  /** Every check run, by name. */
  checks: string[];
  currencies: CurrencyReport[];
  differences: Difference[];
}

const sumOf = <T extends { kind: string }>(rows: readonly T[], kinds: readonly string[], value: (r: T) => bigint) =>
  rows.filter((r) => kinds.includes(r.kind)).reduce((total, r) => total + value(r), 0n);

function currencyReport(
  currency: string,
  totals: readonly KindTotal[],
  flows: readonly DayFlow[],
  differences: readonly Difference[],
): CurrencyReport {
  const own = totals.filter((t) => t.currency === currency);
  const moved = flows.filter((f) => f.currency === currency);
  const day = Object.fromEntries(
    Object.entries(DAY_FIGURES).map(([name, kinds]) => [name, sumOf(moved, kinds, (f) => f.amount)]),
  ) as Record<DayFigure, bigint>;
  const balances = Object.fromEntries(
    Object.entries(BALANCE_FIGURES).map(([name, kinds]) => [name, sumOf(own, kinds, (t) => t.balance)]),
  ) as Record<BalanceFigure, bigint>;
  const total = own.reduce((sum, t) => sum + t.balance, 0n);
  return {
    currency,
    day,
    balances: { ...balances, total },
    differences: differences.filter((d) => d.currency === currency).length,
  };
}

/**
 * Reconciles the ledger (docs/money.md "Reconciliation"): per currency, the day's deposits, payouts
 * paid, fees earned and adjustments, the balances by kind, and every check's differences. All reads come from
 * one REPEATABLE READ, READ ONLY snapshot, so work committing meanwhile can never pass for a difference. Aborting
 * `signal` cancels it (the metric's reconciliation when the service stops, src/metrics/reconcile-gauge.ts).
 */
export async function reconcile(
  db: Db,
  options: { date: string; pageSize: number; checks?: readonly ReconcileCheck[]; signal?: AbortSignal },
): Promise<ReconcileReport> {
  const checks = options.checks ?? RECONCILE_CHECKS;
  return db.transaction(async (trx) => {
    await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return cancelOnAbort(db, trx, options.signal, async () => {
      const totals = await balancesByKind(trx);
      const flows = await flowsOfDay(trx, options.date);
      const differences: Difference[] = [];
      for (const check of checks) {
        options.signal?.throwIfAborted();
        differences.push(...(await check.run({ trx, totals, pageSize: options.pageSize, signal: options.signal })));
      }
      const currencies = [...new Set([...totals, ...flows].map((r) => r.currency))].sort();
      return {
        date: options.date,
        ok: differences.length === 0,
        checks: checks.flatMap((c) => c.names),
        currencies: currencies.map((c) => currencyReport(c, totals, flows, differences)),
        differences,
      };
    });
  });
}
