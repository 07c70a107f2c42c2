// `npx tsx bench/event-costs.ts` (about a minute): what one money-mix event leaves on the primary, the figures the
// plan past one primary in docs/scaling.md is sized with. Runs the money mix (bench/ingest.ts, 16 connections,
// BENCH_INGEST_S seconds) on a scratch deployment and prints, per event applied: WAL bytes written, bytes the
// tables and their indexes grew by, rows per table, Postgres CPU (bench/cpu-split.ts), transactions committed
// (every shared statement of the hot path is one; the service's background work counts too), WAL flushes (each
// commit waits for one, its own or a shared one) and, where the server loads pg_stat_statements, statements run per
// event.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { admin, baseUrl, seedProjects, startDeployment } from './harness.js';
import { planIngest, runIngest } from './ingest.js';
import { cpuMsPerEvent } from './cpu-split.js';
import { round } from './stats.js';

const INGEST_S = Number(process.env.BENCH_INGEST_S ?? 20);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 128);

interface TableSize {
  relname: string;
  bytes: string;
  rows: string;
}

const tableSizes = async (c: pg.Client) =>
  (
    await c.query<TableSize>(
      `SELECT relname, pg_total_relation_size(relid)::text AS bytes, n_tup_ins::text AS rows FROM pg_stat_user_tables`,
    )
  ).rows;

/** Statements run in this database, or null where pg_stat_statements is not loaded. */
async function statementCalls(c: pg.Client): Promise<number | null> {
  try {
    const { rows } = await c.query<{ calls: string }>(
      `SELECT coalesce(sum(calls), 0)::text AS calls FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return Number(rows[0]!.calls);
  } catch {
    return null;
  }
}

const transactionCount = async (c: pg.Client) =>
  Number(
    (
      await c.query<{ n: string }>(
        `SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()`,
      )
    ).rows[0]!.n,
  );

// WAL flushes to disk so far, server-wide (pg_stat_wal, Postgres 14 and later): every commit waits for one, its own
// or one that covered it too.
const walSyncCount = async (c: pg.Client) =>
  Number((await c.query<{ n: string }>('SELECT wal_sync::text AS n FROM pg_stat_wal')).rows[0]!.n);

// A backend reports its transaction counts when it goes idle, at most once a second; one that went idle sooner
// after its last report does so 10 s later (Postgres's PGSTAT_IDLE_INTERVAL), and one that exits, as it exits.
const IDLE_REPORT_MS = 11_000;

/** The count once every backend of the stopped service has exited and reported (it then holds still). */
async function finalTransactionCount(c: pg.Client): Promise<number> {
  let last = await transactionCount(c);
  for (let tries = 0; tries < 30; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await transactionCount(c);
    // This query's own transaction is one: holding still means no more than that.
    if (now - last <= 1) return now;
    last = now;
  }
  throw new Error('the transaction count did not hold still within 15 s of the service stopping');
}

async function main(): Promise<void> {
  const name = `escrow_costs_${randomBytes(4).toString('hex')}`;
  const deployment = await startDeployment(name);
  const c = new pg.Client({ connectionString: deployment.databaseUrl });
  try {
    const target = { baseUrl, databaseUrl: deployment.databaseUrl, token: deployment.token, pids: deployment.pids };
    const projects = await seedProjects(deployment.token, PROJECTS);
    await c.connect();
    // The view exists only in a database that has the extension; without the library loaded (or the extension
    // installed), reading it fails and statementCalls says so with null.
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').catch(() => undefined);
    // The phase's own seeding (bench/money-slots.ts) stays out of the counts, as the projects' does.
    const plan = await planIngest(target, projects, { mix: 'money' });
    // The seeding's transactions reported before the count starts.
    await new Promise((resolve) => setTimeout(resolve, IDLE_REPORT_MS));
    const before = {
      sizes: await tableSizes(c),
      calls: await statementCalls(c),
      transactions: await transactionCount(c),
      walSyncs: await walSyncCount(c),
    };
    const { rows: lsn } = await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const result = await runIngest(target, plan, CLIENTS, INGEST_S);
    const events = result.requests - result.errors;
    const { rows: wal } = await c.query<{ bytes: string }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text AS bytes',
      [lsn[0]!.lsn],
    );
    const calls = await statementCalls(c);
    const after = await tableSizes(c);
    await deployment.stop();
    const transactions = (await finalTransactionCount(c)) - before.transactions;
    const walSyncs = (await walSyncCount(c)) - before.walSyncs;
    const growth = after
      .map((t) => {
        const b = before.sizes.find((x) => x.relname === t.relname);
        return {
          table: t.relname,
          bytesPerEvent: round((Number(t.bytes) - Number(b?.bytes ?? 0)) / events),
          rowsPerEvent: round((Number(t.rows) - Number(b?.rows ?? 0)) / events, 2),
        };
      })
      .filter((t) => t.rowsPerEvent > 0)
      .sort((a, b) => b.bytesPerEvent - a.bytesPerEvent);
    console.log(`money mix, ${CLIENTS} connections, ${INGEST_S} s: ${events} events, ${result.perSecond} events/s`);
    console.log(`WAL bytes per event: ${round(Number(wal[0]!.bytes) / events)}`);
    const cpuMs = (role: string) => round(cpuMsPerEvent(result.cpuPercent[role], result.perSecond), 3);
    console.log(`Postgres CPU per event: ${cpuMs('postgres')} ms`);
    console.log(`CPU per event, ms: api ${cpuMs('api')}, workers ${cpuMs('workers')}, redis ${cpuMs('redis')}`);
    console.log(
      `transactions per event: ${round(transactions / events, 3)} (pg_stat_database, until the service stopped)`,
    );
    console.log(
      `WAL flushes per event: ${round(walSyncs / events, 3)}, per transaction: ${round(walSyncs / transactions, 2)} (pg_stat_wal, server-wide, until the service stopped)`,
    );
    if (calls !== null && before.calls !== null)
      console.log(`statements per event: ${round((calls - before.calls) / events, 2)} (pg_stat_statements)`);
    console.table(growth);
  } finally {
    await c.end();
    await deployment.stop();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

await main();
