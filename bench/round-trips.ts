// `npx tsx bench/round-trips.ts` (about two minutes): how many messages one event costs between the processes,
// counted rather than timed. One scratch deployment (API and workers processes, 128 seeded projects), then a phase of
// the engine mix (bench/ingest.lua) for each of BENCH_RATES (events/s, 0 = closed loop), BENCH_INGEST_S (10) seconds
// each, every BENCH_CREATE_EVERY-th request (1: all of them) a milestone creation. Per event, from the load's start to
// the end of the work it left (the outbox drained), it prints the read and write system calls of the API, the workers
// and Redis (/proc/<pid>/io: on a socket each is about one message; Postgres is left out, as it talks to its clients
// with send and recv, which that file does not count), Postgres transactions (pg_stat_database) and Redis commands
// by name (INFO commandstats; a BullMQ script counts as one EVALSHA plus the commands it runs). On a host where a
// wake-up is dear (bench/wake-cost.ts) every message may cost a wake-up, and counts, unlike CPU times, do not move
// with the machine's speed (bench/README.md round 19).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { admin, baseUrl, seedProjects, startDeployment, urlFor } from './harness.js';
import { planIngest } from './ingest.js';
import { pidsNamed } from './run-queue.js';
import { runWrk } from './wrk.js';

const RATES = (process.env.BENCH_RATES ?? '0,100,300').split(',').map(Number);
const INGEST_S = Number(process.env.BENCH_INGEST_S ?? 10);
const CREATE_EVERY = Number(process.env.BENCH_CREATE_EVERY ?? 1);
const CLIENTS = 16;
const PROJECTS = 128;

interface Io {
  reads: number;
  writes: number;
}

/** The process's read and write system calls so far; zero once it has exited. */
function ioOf(pid: number): Io {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/io`, 'utf8');
  } catch (error) {
    // Unreadable for another reason (not root, and the process another user's): a zero would pass for a count.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { reads: 0, writes: 0 };
    throw error;
  }
  return { reads: Number(/syscr: (\d+)/.exec(text)?.[1]), writes: Number(/syscw: (\d+)/.exec(text)?.[1]) };
}

const sum = (pids: readonly number[]): Io =>
  pids.map(ioOf).reduce((a, b) => ({ reads: a.reads + b.reads, writes: a.writes + b.writes }), { reads: 0, writes: 0 });

/** Calls per Redis command so far, from INFO commandstats. */
function redisCommands(): Map<string, number> {
  const text = execFileSync('redis-cli', ['info', 'commandstats']).toString();
  const calls = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  return calls;
}

const name = `bench_trips_${randomBytes(4).toString('hex')}`;
await admin(`CREATE DATABASE ${name}`);
const deployment = await startDeployment(name);
const stats = new pg.Client(urlFor(name));
await stats.connect();
try {
  const projects = await seedProjects(deployment.token, PROJECTS);
  const target = { baseUrl, databaseUrl: deployment.databaseUrl, token: deployment.token, pids: deployment.pids };
  // This script's own statements are transactions too: counted, and taken off the phase's.
  let ownStatements = 0;
  const query = async (sql: string, values: unknown[] = []) => {
    ownStatements++;
    return (await stats.query(sql, values)).rows[0];
  };
  const transactions = async () =>
    Number((await query('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [name])).xact_commit);
  const messages = () => ({
    api: sum(deployment.pids.api),
    workers: sum(deployment.pids.workers),
    redis: sum(pidsNamed('redis-server')),
    commands: redisCommands(),
  });
  const rows = [];
  const commandRows: string[] = [];
  for (const rate of RATES) {
    const plan = await planIngest(target, projects, { mix: 'engine', rate, createEvery: CREATE_EVERY });
    const ownBefore = ownStatements;
    const transactionsBefore = await transactions();
    const before = messages();
    const { result } = await runWrk(baseUrl, 'bench/ingest.lua', plan.lua, CLIENTS, INGEST_S);
    // The phase's work ends when the workers have done what its events left them.
    for (let waited = 0; ; waited += 100) {
      const { n } = await query('SELECT count(*)::int AS n FROM outbox WHERE processed_at IS NULL');
      if (n === 0) break;
      if (waited > 60_000) throw new Error(`outbox not drained: ${n} rows left`);
      await sleep(100);
    }
    const after = messages();
    // An idle backend reports its last transactions to the statistics within PGSTAT_IDLE_INTERVAL (10 s).
    await sleep(11_000);
    const phaseTransactions = (await transactions()) - transactionsBefore - (ownStatements - ownBefore);
    const events = result.requests;
    const perEvent = (n: number) => (n / events).toFixed(1);
    const io = (group: 'api' | 'workers' | 'redis') =>
      `${perEvent(after[group].reads - before[group].reads)} / ${perEvent(after[group].writes - before[group].writes)}`;
    const paced = rate === 0 ? 'closed loop' : `${rate}/s`;
    rows.push({
      paced,
      'events/s': Math.round(result.perSecond),
      errors: result.errors,
      'api reads / writes': io('api'),
      'workers reads / writes': io('workers'),
      'redis reads / writes': io('redis'),
      'pg transactions': (phaseTransactions / events).toFixed(2),
    });
    const commands = [...after.commands]
      .map(([command, calls]) => [command, (calls - (before.commands.get(command) ?? 0)) / events] as const)
      .filter(([, n]) => n >= 0.05)
      .sort((a, b) => b[1] - a[1]);
    commandRows.push(`${paced}: ${commands.map(([c, n]) => `${c} ${n.toFixed(2)}`).join(', ')}`);
  }
  console.table(rows);
  process.stdout.write(`Redis commands per event (all clients of this Redis):\n${commandRows.join('\n')}\n`);
} finally {
  await stats.end();
  await deployment.stop();
  await admin(`DROP DATABASE ${name} WITH (FORCE)`);
}
