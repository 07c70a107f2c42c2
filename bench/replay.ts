// Replay / verification benchmark (issue #5). Run: npx tsx bench/replay.ts [N]   (or BENCH_N=…; default 100000)
//
// Seeds N milestones with valid ~8-event histories (plus their ledger) into a scratch database, then measures in
// separate child processes, so each has its own peak RSS:
//   bare    a plain loop of xstate initialTransition() + transition() over the same events, all in memory;
//   verify  the `cli verify` code path (keyset pages, batched history reads, replay, snapshot + escrow checks).
// Each runs BENCH_ROUNDS times (default 3), alternating; the table shows the median round of each. Prints a
// table and drops the scratch database (BENCH_KEEP_DB=1 keeps it).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { initialTransition, transition } from 'xstate';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/knex.js';
import { migrateLatest } from '../src/db/migrate.js';
import { verifyInstances } from '../src/replay/verify-instances.js';
import { seedMilestones } from './replay-seed.js';
import { BENCH_MACHINE, idsOf, inputOf, machineEventsOf } from './replay-workload.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

interface PhaseResult {
  phase: string;
  instances: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  maxRssMb: number;
  /** RSS at 10 %, 50 % and 100 % of the instances: flat means memory does not grow with instance count. */
  rssMbAt: number[];
  mismatches?: number;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

function urlFor(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function checkpoints(n: number) {
  const marks = [Math.ceil(n * 0.1), Math.ceil(n * 0.5), n];
  const rss: number[] = [];
  return {
    rss,
    at: (done: number) => {
      while (rss.length < marks.length && done >= (marks[rss.length] as number))
        rss.push(mb(process.memoryUsage().rss));
    },
  };
}

function bare(n: number): PhaseResult {
  const marks = checkpoints(n);
  const started = performance.now();
  let events = 0;
  for (let i = 0; i < n; i++) {
    const ids = idsOf(i);
    let snap = initialTransition(BENCH_MACHINE.machine, inputOf(ids))[0];
    for (const event of machineEventsOf(i, ids)) {
      snap = transition(BENCH_MACHINE.machine, snap, event)[0];
      events++;
    }
    marks.at(i + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    phase: 'bare xstate loop',
    instances: n,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    maxRssMb: maxRssMb(),
    rssMbAt: marks.rss,
  };
}

async function verify(database: string, n: number): Promise<PhaseResult> {
  const config = loadConfig({ ...process.env, DATABASE_URL: urlFor(database) });
  const db = createDb(config.DATABASE_URL, 4);
  try {
    const marks = checkpoints(n + 1);
    const summary = await verifyInstances(
      db,
      {
        machine: 'milestone',
        batchSize: config.VERIFY_BATCH_SIZE,
        historyBatchEvents: config.VERIFY_HISTORY_BATCH_EVENTS,
        maxEvents: config.REPLAY_MAX_EVENTS,
      },
      { onProgress: (p) => marks.at(p.instances) },
    );
    while (marks.rss.length < 3) marks.rss.push(mb(process.memoryUsage().rss));
    const seconds = summary.elapsedMs / 1000;
    return {
      phase: 'verify (replay + checks, from Postgres)',
      instances: summary.instances,
      events: summary.events,
      seconds,
      eventsPerSecond: summary.events / seconds,
      maxRssMb: maxRssMb(),
      rssMbAt: marks.rss,
      mismatches: summary.mismatches,
    };
  } finally {
    await db.destroy();
  }
}

async function child(phase: string, database: string, n: number): Promise<PhaseResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', new URL(import.meta.url).pathname, '--phase', phase, database, String(n)],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() as string) as PhaseResult;
}

function median(runs: PhaseResult[]): PhaseResult {
  const sorted = [...runs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
  return sorted[Math.floor(sorted.length / 2)] as PhaseResult;
}

function table(rows: PhaseResult[]): string {
  const base = rows[0]?.eventsPerSecond ?? 1;
  const head = ['phase', 'instances', 'events', 'seconds', 'events/s', 'vs bare', 'peak RSS MB', 'RSS MB @10/50/100%'];
  const body = rows.map((r) => [
    r.phase,
    String(r.instances),
    String(r.events),
    r.seconds.toFixed(2),
    String(Math.round(r.eventsPerSecond)),
    (r.eventsPerSecond / base).toFixed(2),
    String(r.maxRssMb),
    r.rssMbAt.join(' / '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  return [head, widths.map((w) => '-'.repeat(w)), ...body]
    .map((cells) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '))
    .join('\n');
}

async function main(): Promise<void> {
  const [flag, phase, phaseDatabase, nText] = process.argv.slice(2);
  if (flag === '--phase') {
    const n = Number(nText);
    const result = phase === 'bare' ? bare(n) : await verify(phaseDatabase as string, n);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const n = Number(flag ?? process.env.BENCH_N ?? 100_000);
  if (!Number.isInteger(n) || n < 1) throw new Error('N must be a positive integer');
  const database = `escrow_bench_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  try {
    const db = createDb(urlFor(database), 4);
    let seeded: { events: number };
    const seedStart = performance.now();
    try {
      await migrateLatest(db);
      seeded = await seedMilestones(db, n);
    } finally {
      await db.destroy();
    }
    process.stderr.write(
      `seeded ${n} milestones, ${seeded.events} events in ${((performance.now() - seedStart) / 1000).toFixed(1)}s into ${database}\n`,
    );
    // Alternating rounds, median rate each: on a shared machine one round can land on a busy moment.
    const bareRuns: PhaseResult[] = [];
    const verifyRuns: PhaseResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareRuns.push(await child('bare', database, n));
      verifyRuns.push(await child('verify', database, n));
    }
    const rows = [median(bareRuns), median(verifyRuns)];
    process.stdout.write(
      `\nreplay benchmark, N = ${n} milestones, median of ${ROUNDS} alternating rounds (node ${process.version})\n${table(rows)}\n`,
    );
    process.stdout.write(
      `verify/bare per round: ${verifyRuns.map((v, i) => (v.eventsPerSecond / (bareRuns[i] as PhaseResult).eventsPerSecond).toFixed(2)).join(', ')}\n`,
    );
    const verifyRow = rows[1] as PhaseResult;
    if (verifyRow.mismatches !== 0)
      throw new Error(`verify reported ${verifyRow.mismatches} mismatches on a valid seed`);
    process.stdout.write(`\n${JSON.stringify({ n, results: rows })}\n`);
  } finally {
    if (!process.env.BENCH_KEEP_DB)
      await admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
