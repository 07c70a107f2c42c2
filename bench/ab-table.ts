// The table an A/B run (bench/ab.ts) prints: one row per side per round, then one summary row per side (medians
// over the rounds). A side's throughput is read as its ratio to the pgbench ceiling measured just before it, and
// compared with the first side's ratio in the same round ("vs"), so a machine that speeds up or slows down between
// rounds moves both sides of a comparison alike.
import type { IngestResult } from './ingest.js';
import { round } from './stats.js';

export interface AbRow {
  round: number;
  side: string;
  ceilingTps: number;
  money: IngestResult;
  /** Events per second the half-load phase was paced at: half of `money`'s. */
  halfRate: number;
  half: IngestResult;
  engine: IngestResult;
}

export interface AbSummary {
  side: string;
  ceilingTps: number;
  eventsPerSecond: number;
  ratio: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  halfP50Ms: number;
  halfP99Ms: number;
  engineEventsPerSecond: number;
  engineRatio: number;
  /** This side's ratio over the first side's, in the same round; the median of those. */
  vsFirst: number;
  cpuPercent: Record<string, number>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const ratioOf = (row: AbRow) => row.money.perSecond / row.ceilingTps;

/** This row's ratio over the ratio of the first side in the same round. */
function vsFirst(row: AbRow, rows: AbRow[], firstSide: string): number {
  const first = rows.find((r) => r.round === row.round && r.side === firstSide);
  return first ? ratioOf(row) / ratioOf(first) : Number.NaN;
}

export function summarise(rows: AbRow[], sides: string[]): AbSummary[] {
  return sides.map((side) => {
    const own = rows.filter((r) => r.side === side);
    const med = (f: (r: AbRow) => number, digits = 1) => round(median(own.map(f)), digits);
    const cpuKeys = Object.keys(own[0]?.money.cpuPercent ?? {});
    return {
      side,
      ceilingTps: med((r) => r.ceilingTps, 0),
      eventsPerSecond: med((r) => r.money.perSecond),
      ratio: med(ratioOf, 2),
      p50Ms: med((r) => r.money.p50Ms),
      p99Ms: med((r) => r.money.p99Ms),
      errors: own.reduce((sum, r) => sum + r.money.errors + r.half.errors + r.engine.errors, 0),
      halfP50Ms: med((r) => r.half.p50Ms),
      halfP99Ms: med((r) => r.half.p99Ms),
      engineEventsPerSecond: med((r) => r.engine.perSecond),
      engineRatio: med((r) => r.engine.perSecond / r.ceilingTps, 2),
      vsFirst: med((r) => vsFirst(r, rows, sides[0]!), 2),
      cpuPercent: Object.fromEntries(cpuKeys.map((k) => [k, med((r) => r.money.cpuPercent[k] ?? 0, 0)])),
    };
  });
}

/**
 * The money mix's CPU split in percent of one core: each API and workers process on its own ("api 35+34"), the
 * cluster's launcher only when it used any, and what the machine left idle.
 */
function cpuCell(cpu: Record<string, number>): string {
  const processes = (prefix: string) =>
    Object.entries(cpu)
      .filter(([k]) => new RegExp(`^${prefix}\\d+$`).test(k))
      .map(([, v]) => v)
      .join('+');
  const launcher = cpu.apiLauncher ? `, launcher ${cpu.apiLauncher}` : '';
  return `api ${processes('api')}${launcher}, workers ${processes('workers')}, pg ${cpu.postgres}, redis ${cpu.redis}, wrk ${cpu.loadGenerator}, other ${cpu.other}; idle ${cpu.idleOfMachine} %`;
}

const HEADER = [
  'round',
  'side',
  'ceiling tps',
  'money ev/s',
  'ratio',
  'vs first',
  'p50 / p99 ms',
  'errors',
  'half load p50 / p99 ms',
  'engine ev/s (ratio)',
  'CPU during money mix, % of one core',
];

function rowCells(r: AbRow, rows: AbRow[], firstSide: string): string[] {
  return [
    String(r.round),
    r.side,
    String(round(r.ceilingTps, 0)),
    String(r.money.perSecond),
    round(ratioOf(r), 2).toFixed(2),
    round(vsFirst(r, rows, firstSide), 2).toFixed(2),
    `${r.money.p50Ms} / ${r.money.p99Ms}`,
    String(r.money.errors + r.half.errors + r.engine.errors),
    `${r.half.p50Ms} / ${r.half.p99Ms}`,
    `${r.engine.perSecond} (${round(r.engine.perSecond / r.ceilingTps, 2).toFixed(2)})`,
    cpuCell(r.money.cpuPercent),
  ];
}

function summaryCells(s: AbSummary): string[] {
  return [
    'median',
    `**${s.side}**`,
    String(s.ceilingTps),
    String(s.eventsPerSecond),
    `**${s.ratio.toFixed(2)}**`,
    `**${s.vsFirst.toFixed(2)}**`,
    `${s.p50Ms} / ${s.p99Ms}`,
    String(s.errors),
    `${s.halfP50Ms} / ${s.halfP99Ms}`,
    `${s.engineEventsPerSecond} (${s.engineRatio.toFixed(2)})`,
    cpuCell(s.cpuPercent),
  ];
}

/** A markdown table, its columns padded so that it also reads as plain text. */
export function formatTable(rows: AbRow[], summary: AbSummary[]): string {
  const firstSide = summary[0]!.side;
  const body = [...rows.map((r) => rowCells(r, rows, firstSide)), ...summary.map(summaryCells)];
  const widths = HEADER.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(HEADER), rule, ...body.map(line)].join('\n');
}
