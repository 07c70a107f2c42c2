// `npm run bench`: one run on this machine, printed as a table and written to bench/results/<time>.json.
//   ceiling      pgbench's built-in tpcb-like on a scratch database, BENCH_CLIENTS clients, BENCH_PGBENCH_S seconds
//   ingest       events/s through the HTTP API (wrk in its own process), BENCH_CLIENTS connections, closed loop:
//                the money mix (fund / release / cancel lifecycles), then the same mix paced at half that rate,
//                then the engine mix (no money moves but for the odd new milestone), for comparison with older runs
//   settlement   CREATE sent → in_progress visible (wait=settled), and from the CREATE's answer; settlements/s
//   memory       RSS of the API and workers processes, sampled every second over a BENCH_SOAK_S soak (money mix)
//   replay       bench/replay.ts (verify vs a bare xstate transition() loop) at BENCH_REPLAY_N milestones
// BENCH_SMOKE=1 shortens every phase (a quick check that the harness works, not a measurement).
// BENCH_CPU_PROF=<dir> profiles both service processes with --cpu-prof for the whole run.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { admin, ADMIN_URL, api, baseUrl, seedProjects, startDeployment, type Deployment } from './harness.js';
import { ingest, type BenchProject } from './ingest.js';
import type { TypeLatency } from './latency-by-type.js';
import { sampleRss, type RssTrend } from './rss-sampler.js';
import { pgbenchTps } from './pgbench.js';
import { runQueueCell, schedstatAvailable } from './run-queue.js';
import { percentile, percentOf, round } from './stats.js';
import type { Json } from '../test/support/json.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
// Distinct projects (each its own employer and freelancer) the money mix spreads over, as a marketplace would.
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 128);
const PGBENCH_S = Number(process.env.BENCH_PGBENCH_S ?? (SMOKE ? 3 : 20));
const INGEST_S = Number(process.env.BENCH_INGEST_S ?? (SMOKE ? 3 : 20));
const SOAK_S = Number(process.env.BENCH_SOAK_S ?? (SMOKE ? 5 : 120));
const SETTLEMENTS = Number(process.env.BENCH_SETTLEMENTS ?? (SMOKE ? 40 : 400));
const SETTLEMENT_CLIENTS = 4;
const REPLAY_N = Number(process.env.BENCH_REPLAY_N ?? (SMOKE ? 200 : 20000));

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
    );
  });
}

const summary = (xs: number[]) => {
  xs.sort((a, b) => a - b);
  return { p50Ms: round(percentile(xs, 50), 2), p99Ms: round(percentile(xs, 99), 2) };
};

/**
 * SETTLEMENT_CLIENTS clients, each on a project of its own, create a milestone and wait for it to be funded,
 * one after the other: end to end from sending the CREATE, and from its 201 (the settlement alone).
 */
async function settlementLatency(token: string, projects: BenchProject[], count: number) {
  const endToEnd: number[] = [];
  const afterAccept: number[] = [];
  const started = Date.now();
  const client = async (project: BenchProject) => {
    while (endToEnd.length < count) {
      const t0 = performance.now();
      const { id } = await api(token, 'POST', `/v1/projects/${project.projectId}/milestones`, {
        type: 'CREATE',
        actor: project.employer,
        amount: '1',
        description: 's',
      });
      const t1 = performance.now();
      const m = await api(token, 'GET', `/v1/milestones/${id}?wait=settled&timeoutMs=30000`);
      if (m.state !== 'in_progress') throw new Error(`milestone ${id} settled as ${m.state}`);
      const t2 = performance.now();
      endToEnd.push(t2 - t0);
      afterAccept.push(t2 - t1);
    }
  };
  await Promise.all(projects.map(client));
  const seconds = (Date.now() - started) / 1000;
  return {
    count: endToEnd.length,
    endToEnd: summary(endToEnd),
    afterAccept: summary(afterAccept),
    perSecond: round(endToEnd.length / seconds),
  };
}

async function main(): Promise<void> {
  const name = `escrow_bench_${randomBytes(4).toString('hex')}`;
  const results: Record<string, unknown> = {
    at: new Date().toISOString(),
    node: process.version,
    clients: CLIENTS,
    projects: PROJECTS,
    smoke: SMOKE,
  };
  let deployment: Deployment | null = null;
  try {
    process.stderr.write(`ceiling: pgbench tpcb-like, ${CLIENTS} clients, ${PGBENCH_S} s\n`);
    results.ceiling = { tps: await pgbenchTps(ADMIN_URL, CLIENTS, PGBENCH_S) };

    deployment = await startDeployment(name);
    const { token, pids } = deployment;
    const target = { baseUrl, databaseUrl: deployment.databaseUrl, token, pids };
    process.stderr.write(`seeding ${PROJECTS} projects\n`);
    // The engine mix toggles flags on the first CLIENTS projects' funded milestones; the money mix uses them all.
    const engineProjects = await seedProjects(token, CLIENTS, 20);
    const projects = [...engineProjects, ...(await seedProjects(token, Math.max(0, PROJECTS - CLIENTS)))];

    process.stderr.write(`ingest: money mix, ${CLIENTS} connections, ${INGEST_S} s, then paced at half that rate\n`);
    const full = await ingest(target, projects, CLIENTS, INGEST_S, { mix: 'money' });
    results.ingest = full;
    results.ingestHalf = await ingest(target, projects, CLIENTS, INGEST_S, {
      mix: 'money',
      rate: Math.round(full.perSecond / 2),
    });
    process.stderr.write(`ingest: engine mix, ${CLIENTS} connections, ${INGEST_S} s\n`);
    results.ingestEngine = await ingest(target, engineProjects, CLIENTS, INGEST_S, { mix: 'engine' });

    process.stderr.write(`settlement: ${SETTLEMENTS} milestones CREATE → in_progress, ${SETTLEMENT_CLIENTS} clients\n`);
    results.settlement = await settlementLatency(
      token,
      projects.slice(CLIENTS, CLIENTS + SETTLEMENT_CLIENTS),
      SETTLEMENTS,
    );

    process.stderr.write(`soak: ${SOAK_S} s of the money mix\n`);
    const stopSampling = sampleRss(pids);
    results.soak = await ingest(target, projects, CLIENTS, SOAK_S, { mix: 'money' });
    results.memory = stopSampling();
  } finally {
    await deployment?.stop();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }

  process.stderr.write(`replay: bench/replay.ts with ${REPLAY_N} milestones\n`);
  const replayOut = await run('npx', ['tsx', 'bench/replay.ts', String(REPLAY_N)], { BENCH_ROUNDS: '1' });
  const replay = JSON.parse(replayOut.trim().split('\n').at(-1)!) as {
    results: { phase: string; eventsPerSecond: number; maxRssMb: number }[];
  };
  results.replay = replay.results;
  results.replayN = REPLAY_N;

  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/${String(results.at).replace(/[:.]/g, '-')}.json`;
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  process.stdout.write(`\nresults written to ${file}\n`);
}

function memoryCell(t: RssTrend): string {
  return `${t.firstFifthMb} → ${t.lastFifthMb} MB (${t.changePercent >= 0 ? '+' : ''}${t.changePercent} %)`;
}

function memoryRange(t: RssTrend): string {
  return `mean of the first and last fifth of ${t.samples} samples; range ${t.minMb}–${t.maxMb} MB`;
}

function phase(p: {
  p50Ms: number;
  p99Ms: number;
  errors: number;
  backlogAtEnd: number;
  drainSeconds: number;
  settlementsPerSecond: number;
}): string {
  return `p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, errors ${p.errors}, settlements ${p.settlementsPerSecond}/s; outbox backlog ${p.backlogAtEnd} at the end, drained in ${p.drainSeconds} s`;
}

/** Percent of one core per group; 200 would be both cores of this machine. */
function cpuLine(split: Record<string, number>): string {
  const { idleOfMachine: _idle, ...groups } = split;
  return (
    Object.entries(groups)
      .map(([k, v]) => `${k} ${v}%`)
      .join(', ') + ' (of one core)'
  );
}

function printTable(r: Record<string, Json>): void {
  const bare = r.replay.find((x: { phase: string }) => x.phase.startsWith('bare'));
  const verify = r.replay.find((x: { phase: string }) => x.phase.startsWith('verify'));
  const rows: [string, string, string][] = [
    ['ceiling', `${round(r.ceiling.tps)} tps`, `pgbench tpcb-like, ${r.clients} clients`],
    [
      'ingest (money mix)',
      `${r.ingest.perSecond} events/s`,
      `${phase(r.ingest)}; ${r.clients} connections, ${r.projects} projects`,
    ],
    ['ratio', `${round(r.ingest.perSecond / r.ceiling.tps, 2)}`, 'money-mix ingest / ceiling (target ≥ 0.6)'],
    ['cpu during ingest', `${r.ingest.cpuPercent.idleOfMachine}% idle`, cpuLine(r.ingest.cpuPercent)],
    [
      'ingest, half load',
      `${r.ingestHalf.perSecond} events/s`,
      `${phase(r.ingestHalf)}; paced at ${Math.round(r.ingest.perSecond / 2)}/s (target p99 ≤ 25 ms)`,
    ],
    waitingRow(r.ingestHalf),
    [
      'ingest (engine mix)',
      `${r.ingestEngine.perSecond} events/s`,
      `${phase(r.ingestEngine)}; ratio ${round(r.ingestEngine.perSecond / r.ceiling.tps, 2)}`,
    ],
    [
      'settlement',
      `p50 ${r.settlement.endToEnd.p50Ms} ms`,
      `CREATE sent → in_progress visible: p50 ${r.settlement.endToEnd.p50Ms}, p99 ${r.settlement.endToEnd.p99Ms} ms; from its 201: p50 ${r.settlement.afterAccept.p50Ms}, p99 ${r.settlement.afterAccept.p99Ms} ms (${r.settlement.count}, ${SETTLEMENT_CLIENTS} clients, ${r.settlement.perSecond}/s; target p50 ≤ 30 ms)`,
    ],
    [
      'replay',
      `${round(verify.eventsPerSecond, 0)} events/s`,
      `bare transition() loop ${round(bare.eventsPerSecond, 0)} events/s, ratio ${round(verify.eventsPerSecond / bare.eventsPerSecond, 2)}, N = ${r.replayN}`,
    ],
    [
      'memory (api)',
      memoryCell(r.memory.api),
      `RSS over a ${r.soak.seconds} s soak (${r.soak.requests} events, errors ${r.soak.errors}), ${memoryRange(r.memory.api)}`,
    ],
    ['memory (workers)', memoryCell(r.memory.workers), `RSS over the same soak, ${memoryRange(r.memory.workers)}`],
  ];
  const w = [0, 1].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  process.stdout.write(`\nbenchmark (${r.at}${r.smoke ? ', SMOKE — not a measurement' : ''})\n`);
  for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c}\n`);
  printByType(r.ingestHalf.byType as TypeLatency[]);
}

/** How long the half-load phase's processes waited for a core per event, against their time on one. */
function waitingRow(half: Json): [string, string, string] {
  if (!schedstatAvailable()) return ['waiting for a core', 'n/a', 'this kernel reports no /proc/<pid>/schedstat'];
  if (!(half.requests > 0)) return ['waiting for a core', 'n/a', 'the half-load phase answered nothing'];
  const perEvent = (group: string) => Math.round((half.runQueue[group]?.waitNs ?? 0) / 1000 / half.requests);
  return [
    'waiting for a core',
    `api ${perEvent('api')} µs`,
    `half load, per event, µs waiting for a core / on one: ${runQueueCell(half.runQueue, half.requests, ['api', 'workers', 'postgres'])}`,
  ];
}

/** The half-load tail by event type, as the service timed each applied event (bench/latency-by-type.ts). */
function printByType(byType: TypeLatency[]): void {
  const over25Ms = byType.reduce((n, t) => n + t.events - t.within25Ms, 0);
  process.stdout.write('\ningest, half load, by event type (server side, escrow_transition_duration_seconds)\n');
  console.table(
    byType.map((t) => ({
      event: `${t.machine} ${t.type}`,
      applied: t.events,
      '≤ 10 ms': percentOf(t.within10Ms, t.events),
      '≤ 25 ms': percentOf(t.within25Ms, t.events),
      '> 50 ms': percentOf(t.over50Ms, t.events),
      'share of all > 25 ms': percentOf(t.events - t.within25Ms, over25Ms),
    })),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
