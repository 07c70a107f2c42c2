import { InvalidArgumentError, type Command } from 'commander';
import { currencyExponent, isCurrencyInUse } from '../../currencies.js';
import type { Difference } from '../../reconcile/difference.js';
import { reconcile, type CurrencyReport, type ReconcileReport } from '../../reconcile/reconcile.js';
import type { CliRun } from '../cli-run.js';

function parseDay(value: string): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : null;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value)
    throw new InvalidArgumentError('must be a day, e.g. 2026-01-31');
  return value;
}

/** Minor units in the currency's notation, without floating point: 123456 USD → 1,234.56. */
function inCurrency(minor: bigint, currency: string): string {
  const exponent = isCurrencyInUse(currency) ? currencyExponent(currency) : 0;
  const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : '';
  return `${minor < 0n ? '-' : ''}${whole}${fraction}`;
}

const COLUMNS: [string, (c: CurrencyReport) => bigint][] = [
  ['deposits', (c) => c.day.deposits],
  ['payouts paid', (c) => c.day.payoutsPaid],
  ['fees earned', (c) => c.day.feesEarned],
  ['adjustments', (c) => c.day.adjustments],
  ["users' available", (c) => c.balances.usersAvailable],
  ['escrow held', (c) => c.balances.escrowHeld],
  ['fee holds', (c) => c.balances.feeHolds],
  ['payout holds', (c) => c.balances.payoutHolds],
  ['fees', (c) => c.balances.fees],
  ['external', (c) => c.balances.external],
  ['sum', (c) => c.balances.total],
];

/** The per-currency table: the day's flows, then balances now; numbers right-aligned. */
function table(report: ReconcileReport): string {
  const rows = [
    ['currency', ...COLUMNS.map(([name]) => name), 'differences'],
    ...report.currencies.map((c) => [
      c.currency,
      ...COLUMNS.map(([, value]) => inCurrency(value(c), c.currency)),
      String(c.differences),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '))
    .join('\n');
}

function differenceLine(d: Difference): string {
  return `  ${d.currency}  ${d.check}  ${d.subject}: expected ${d.expected}, found ${d.actual} — ${d.message}`;
}

function text(report: ReconcileReport): string {
  const lines = [
    `Reconciliation, ${report.date} (flows: that UTC day; balances: now; amounts in each currency's units)`,
    '',
    report.currencies.length > 0 ? table(report) : '(no accounts yet)',
    '',
  ];
  if (report.ok) lines.push(`All ${report.checks.length} checks hold: ${report.checks.join(', ')}.`);
  else lines.push(`${report.differences.length} difference(s):`, ...report.differences.map(differenceLine));
  return `${lines.join('\n')}\n`;
}

/** Money as decimal strings of minor units in JSON (bigint cannot cross JSON otherwise). */
const json = (report: ReconcileReport) =>
  `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`;

/**
 * `cli reconcile [--date YYYY-MM-DD] [--json]`: per currency the day's deposits, payouts paid, fees earned and
 * adjustments, the balances by kind, and the ledger's checks (src/reconcile/). Exit 1 listing the differences
 * when any check fails, 0 otherwise.
 */
export function registerReconcileCommand(program: Command, run: CliRun): void {
  program
    .command('reconcile')
    .description("Check the ledger's invariants per currency and summarise the day's money")
    .option('--date <day>', "the UTC day of the flow figures (default: today's)", parseDay)
    .option('--json', 'print one JSON object {date, ok, checks, currencies, differences} (money in minor units)')
    .action(async (opts: { date?: string; json?: boolean }) => {
      const date = opts.date ?? new Date().toISOString().slice(0, 10);
      const report = await run.withDb((db, config) => reconcile(db, { date, pageSize: config.RECONCILE_BATCH_SIZE }));
      run.out(opts.json ? json(report) : text(report));
      if (!report.ok) run.fail(1);
    });
}
