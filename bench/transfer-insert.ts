// What one ledger write costs the database: transactions of two transfer legs each (external → a user's
// available, then that available → the platform's fees, the shape of a deposit and a fee), one after another on
// one connection, on a scratch database migrated to the schema of the checked-out code. Run it before and after
// a schema change (constraints, triggers, columns, indexes on transfers) to see what the change adds to a
// settlement's insert. synchronous_commit is off for the session so the disk's flush time, the same for both,
// does not drown the difference. Prints the median, p95 and mean per transaction, and the CPU time the database
// backend spent per transaction (from /proc, so other load on the machine stretches the wall times above but
// hardly this).
//
//   node --import tsx bench/transfer-insert.ts [transactions=3000]
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createDb } from '../src/db/knex.js';
import { migrateLatest } from '../src/db/migrate.js';
import { availableAccount, externalAccount, feesAccount } from '../src/ledger/accounts.js';
import { applyTransfers, lockAccounts, planTransfers, type TransferRequest } from '../src/ledger/transfer.js';
import { admin, urlFor } from './harness.js';

const TRANSACTIONS = Number(process.argv[2] ?? 3000);
const WARMUP = Math.min(500, Math.floor(TRANSACTIONS / 5));
const USERS = 100;

/** User + system CPU time of a process so far, in ms (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
function backendCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
}
const CLOCK_TICKS_PER_SEC = 100;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

async function main(): Promise<void> {
  const name = `bench_transfer_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const db = createDb(urlFor(name), 1);
  try {
    await migrateLatest(db);
    const backend = (await db.raw<{ rows: { pid: number }[] }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    let cpuStart = 0;
    const timesMs: number[] = [];
    for (let i = 0; i < WARMUP + TRANSACTIONS; i++) {
      const user = availableAccount(`user-${i % USERS}`, 'USD');
      const legs: TransferRequest[] = [
        { id: `b-${i}-0`, debit: externalAccount('USD'), credit: user, amount: 1000n, kind: 'deposit' },
        { id: `b-${i}-1`, debit: user, credit: feesAccount('USD'), amount: 100n, kind: 'platform_fee' },
      ];
      if (i === WARMUP) cpuStart = backendCpuMs(backend);
      const started = process.hrtime.bigint();
      await db.transaction(async (trx) => {
        await trx.raw('SET LOCAL synchronous_commit = off');
        await applyTransfers(trx, [planTransfers(await lockAccounts(trx, legs), legs)]);
      });
      if (i >= WARMUP) timesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const cpuMs = backendCpuMs(backend) - cpuStart;
    timesMs.sort((a, b) => a - b);
    const mean = timesMs.reduce((a, b) => a + b, 0) / timesMs.length;
    console.table([
      {
        transactions: timesMs.length,
        'median ms': quantile(timesMs, 0.5).toFixed(3),
        'p95 ms': quantile(timesMs, 0.95).toFixed(3),
        'mean ms': mean.toFixed(3),
        'backend CPU µs/txn': Math.round((cpuMs * 1000) / timesMs.length),
      },
    ]);
  } finally {
    await db.destroy();
    await admin(`DROP DATABASE ${name} WITH (FORCE)`);
  }
}

await main();
