// `npx tsx bench/round-trips.ts` (about a minute): how many messages one event costs between the processes, counted
// rather than timed. One scratch deployment (API and workers processes, 128 seeded projects), then a phase of the
// engine mix (bench/ingest.lua) for each of BENCH_RATES (events/s, 0 = closed loop), BENCH_INGEST_S (10) seconds
// each, every BENCH_CREATE_EVERY-th request (1: all of them) a milestone creation. Per event it prints the read and
// write system calls of the API, the workers, Postgres (all its processes) and Redis (from /proc/<pid>/io: on a
// socket each is about one message sent or taken in), Postgres transactions (pg_stat_database) and Redis commands
// by name (INFO commandstats; a BullMQ script counts as one EVALSHA plus the commands it runs). On a host where a
// wake-up is dear (bench/wake-cost.ts) every message costs two processes one, and counts, unlike CPU times, do not
// move with the machine's speed (bench/README.md round 19).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { admin, baseUrl, seedProjects, startDeployment, urlFor } from './harness.js';
import { planIngest, runIngest } from './ingest.js';

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
  try {
    const text = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { reads: Number(/syscr: (\d+)/.exec(text)?.[1]), writes: Number(/syscw: (\d+)/.exec(text)?.[1]) };
  } catch {
    return { reads: 0, writes: 0 };
  }
}

function pidsNamed(comm: string): number[] {
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => {
      if (!Number.isInteger(pid)) return false;
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
      } catch {
        return false;
      }
    });
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
  const snapshot = async () => ({
    api: sum(deployment.pids.api),
    workers: sum(deployment.pids.workers),
    postgres: sum(pidsNamed('postgres')),
    redis: sum(pidsNamed('redis-server')),
    transactions: Number(
      (await stats.query('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [name])).rows[0].xact_commit,
    ),
    commands: redisCommands(),
  });
  const rows = [];
  const commandRows: string[] = [];
  for (const rate of RATES) {
    const plan = await planIngest(target, projects, { mix: 'engine', rate, createEvery: CREATE_EVERY });
    const before = await snapshot();
    const r = await runIngest(target, plan, CLIENTS, INGEST_S);
    const after = await snapshot();
    const perEvent = (n: number) => (n / r.requests).toFixed(1);
    const io = (group: 'api' | 'workers' | 'postgres' | 'redis') =>
      `${perEvent(after[group].reads - before[group].reads)} / ${perEvent(after[group].writes - before[group].writes)}`;
    const paced = rate === 0 ? 'closed loop' : `${rate}/s`;
    rows.push({
      paced,
      'events/s': Math.round(r.perSecond),
      errors: r.errors,
      'api reads / writes': io('api'),
      'workers reads / writes': io('workers'),
      'postgres reads / writes': io('postgres'),
      'redis reads / writes': io('redis'),
      'pg transactions': ((after.transactions - before.transactions) / r.requests).toFixed(2),
    });
    const commands = [...after.commands]
      .map(([command, calls]) => [command, (calls - (before.commands.get(command) ?? 0)) / r.requests] as const)
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
