// `npm run bench:ab`: several sides (code variants × process shapes, bench/ab-sides.ts) measured in one run on this
// machine, interleaved (the order reverses every round), so that before/after and one-vs-two-process comparisons
// are ratios taken minutes apart rather than from runs of different hours. Per round and side: pgbench's ceiling,
// then the side started on a fresh scratch database and seeded, then the money mix closed loop, the money mix at
// half that rate, and the engine mix (bench/ingest.ts). Prints one table (bench/ab-table.ts) and writes
// bench/results/ab-<time>.json.
//   BENCH_AB, BENCH_AB_PROCESSES   the sides (bench/ab-sides.ts); by default this checkout, one process of each role
//   BENCH_AB_ROUNDS                rounds (default 2)
//   BENCH_PGBENCH_S, BENCH_INGEST_S, BENCH_CLIENTS, BENCH_PROJECTS, BENCH_SMOKE=1   as for `npm run bench`
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { checkOut, parseSides, type Checkouts, type Side } from './ab-sides.js';
import { formatTable, summarise, type AbRow } from './ab-table.js';
import { admin, ADMIN_URL, baseUrl, seedProjects, startDeployment, type Deployment } from './harness.js';
import { ingest } from './ingest.js';
import { pgbenchTps } from './pgbench.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 128);
const PGBENCH_S = Number(process.env.BENCH_PGBENCH_S ?? (SMOKE ? 3 : 15));
const INGEST_S = Number(process.env.BENCH_INGEST_S ?? (SMOKE ? 3 : 20));
const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 2);

// What an interrupted run must still undo (scratch databases, worktrees), newest first; each runs once.
const cleanups = new Set<() => Promise<void>>();

async function withCleanup<T>(cleanup: () => Promise<void>, body: () => Promise<T>): Promise<T> {
  let done: Promise<void> | undefined;
  const once = () => (done ??= cleanup());
  cleanups.add(once);
  try {
    return await body();
  } finally {
    cleanups.delete(once);
    await once();
  }
}

// Ctrl-C also reaches the service, wrk and pgbench (one process group); a drain would then wait for workers that
// are gone, so undo what is registered and leave.
process.once('SIGINT', () => {
  process.stderr.write('\ninterrupted: stopping the service, dropping its database, removing worktrees\n');
  void (async () => {
    for (const cleanup of [...cleanups].reverse()) await cleanup().catch((e: unknown) => console.error(e));
    process.exit(130);
  })();
});

/** CPU groups for bench/cpu-split.ts: each API and workers process on its own, a cluster's launcher apart. */
function processGroups(pids: Deployment['pids']): Record<string, number[]> {
  const groups: Record<string, number[]> = {};
  // bench/harness.ts lists a cluster's workers first and its primary last.
  const serving = pids.api.length > 1 ? pids.api.slice(0, -1) : pids.api;
  serving.forEach((pid, i) => (groups[`api${i + 1}`] = [pid]));
  if (pids.api.length > 1) groups.apiLauncher = [pids.api.at(-1)!];
  pids.workers.forEach((pid, i) => (groups[`workers${i + 1}`] = [pid]));
  return groups;
}

async function measureSide(side: Side, cwd: string, round: number): Promise<AbRow> {
  const say = (what: string) => process.stderr.write(`round ${round}, ${side.label}: ${what}\n`);
  say(`ceiling, pgbench tpcb-like, ${CLIENTS} clients, ${PGBENCH_S} s`);
  const ceilingTps = await pgbenchTps(ADMIN_URL, CLIENTS, PGBENCH_S);
  const name = `escrow_ab_${randomBytes(4).toString('hex')}`;
  let deployment: Deployment | null = null;
  const teardown = async () => {
    await deployment?.stop();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  };
  return withCleanup(teardown, async () => {
    say(`starting ${side.apiProcesses} API and ${side.workerProcesses} workers processes from ${cwd}`);
    deployment = await startDeployment(name, {
      cwd,
      apiProcesses: side.apiProcesses,
      workerProcesses: side.workerProcesses,
    });
    const { token, databaseUrl } = deployment;
    const target = { baseUrl, databaseUrl, token, pids: processGroups(deployment.pids) };
    say(`seeding ${PROJECTS} projects`);
    // The engine mix toggles flags on the first CLIENTS projects' funded milestones; the money mix uses them all.
    const engineProjects = await seedProjects(token, CLIENTS, 20);
    const projects = [...engineProjects, ...(await seedProjects(token, Math.max(0, PROJECTS - CLIENTS)))];
    say(`money mix, ${CLIENTS} connections, ${INGEST_S} s, then at half that rate, then the engine mix`);
    const money = await ingest(target, projects, CLIENTS, INGEST_S, { mix: 'money' });
    const halfRate = Math.round(money.perSecond / 2);
    const half = await ingest(target, projects, CLIENTS, INGEST_S, { mix: 'money', rate: halfRate });
    const engine = await ingest(target, engineProjects, CLIENTS, INGEST_S, { mix: 'engine' });
    return { round, side: side.label, ceilingTps, money, halfRate, half, engine };
  });
}

async function measureAll(sides: Side[], checkouts: Checkouts): Promise<AbRow[]> {
  const rows: AbRow[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternating the order (A B, B A, …) spreads a machine's drift over every side alike.
    const order = round % 2 === 1 ? sides : [...sides].reverse();
    for (const side of order) rows.push(await measureSide(side, checkouts.cwdOf(side.code), round));
  }
  return rows;
}

async function main(): Promise<void> {
  const sides = parseSides(process.env);
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`BENCH_AB_ROUNDS: ${ROUNDS} is not a round count`);
  const at = new Date().toISOString();
  const checkouts = await checkOut([...new Set(sides.map((s) => s.code))]);
  const rows = await withCleanup(checkouts.remove, () => measureAll(sides, checkouts));
  const labels = sides.map((s) => s.label);
  const summary = summarise(rows, labels);
  const results = {
    at,
    node: process.version,
    smoke: SMOKE,
    clients: CLIENTS,
    projects: PROJECTS,
    seconds: { pgbench: PGBENCH_S, ingest: INGEST_S },
    rounds: ROUNDS,
    sides: sides.map((s) => ({ ...s, commit: checkouts.commits[s.code.label] })),
    rows,
    summary,
  };
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/ab-${at.replace(/[:.]/g, '-')}.json`;
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nA/B benchmark (${at}${SMOKE ? ', SMOKE — not a measurement' : ''})\n`);
  for (const s of results.sides) process.stdout.write(`  ${s.label}: ${s.commit}\n`);
  process.stdout.write(`\n${formatTable(rows, summary)}\n\nresults written to ${file}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
