// `npm run bench`: one run on this machine, printed as a table and written to bench/results/<time>.json.
//   ceiling     pgbench's built-in tpcb-like on a scratch database, BENCH_CLIENTS clients, BENCH_PGBENCH_S seconds
//   ingest      events/s through the HTTP API (load generator in its own process), at BENCH_CLIENTS and half
//   settlement  CREATE accepted → in_progress visible (wait=settled), p50/p99, and settlements/s
//   memory      RSS of the API and workers processes, sampled every second over a BENCH_SOAK_S soak of ingest
//   replay      bench/replay.ts (verify vs a bare xstate transition() loop) at BENCH_REPLAY_N milestones
// BENCH_SMOKE=1 shortens every phase (a quick check that the harness works, not a measurement).
// BENCH_CPU_PROF=<dir> profiles both service processes with --cpu-prof for the whole run.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { admin, ADMIN_URL, api, baseUrl, rssMb, seedProjects, startDeployment, type Deployment } from './harness.js';
import { ingest } from './ingest.js';
import { sampleRss, type RssTrend } from './rss-sampler.js';
import { pgbenchTps } from './pgbench.js';
import { percentile, round } from './stats.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const PGBENCH_S = Number(process.env.BENCH_PGBENCH_S ?? (SMOKE ? 3 : 20));
const INGEST_S = Number(process.env.BENCH_INGEST_S ?? (SMOKE ? 3 : 20));
const SOAK_S = Number(process.env.BENCH_SOAK_S ?? (SMOKE ? 5 : 120));
const SETTLEMENTS = Number(process.env.BENCH_SETTLEMENTS ?? (SMOKE ? 40 : 400));
const REPLAY_N = Number(process.env.BENCH_REPLAY_N ?? (SMOKE ? 200 : 20000));
function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

async function settlementLatency(token: string, project: { projectId: string; employer: string }, count: number) {
  const latencies: number[] = [];
  const started = Date.now();
  const worker = async () => {
    while (latencies.length < count) {
      const t0 = process.hrtime.bigint();
      const { id } = await api(token, 'POST', `/v1/projects/${project.projectId}/milestones`, { type: 'CREATE', actor: project.employer, amount: '1', description: 's' });
      const m = await api(token, 'GET', `/v1/milestones/${id}?wait=settled&timeoutMs=30000`);
      if (m.state !== 'in_progress') throw new Error(`milestone ${id} settled as ${m.state}`);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { count: latencies.length, p50Ms: round(percentile(latencies, 50), 2), p99Ms: round(percentile(latencies, 99), 2), perSecond: round(latencies.length / seconds) };
}

async function main(): Promise<void> {
  const name = `escrow_bench_${randomBytes(4).toString('hex')}`;
  const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version, clients: CLIENTS, smoke: SMOKE };
  let deployment: Deployment | null = null;
  try {
    process.stderr.write(`ceiling: pgbench tpcb-like, ${CLIENTS} clients, ${PGBENCH_S} s\n`);
    results.ceiling = { tps: await pgbenchTps(ADMIN_URL, CLIENTS, PGBENCH_S) };

    deployment = await startDeployment(name);
    const { token, pids } = deployment;
    const target = { baseUrl, databaseUrl: deployment.databaseUrl, token, pids };
    const rss = () => ({ api: rssMb(pids.api), workers: rssMb(pids.workers) });
    process.stderr.write('seeding projects and milestones\n');
    const projects = await seedProjects(token, CLIENTS, 20);
    results.memoryBeforeMb = rss();

    process.stderr.write(`ingest: ${CLIENTS} and ${CLIENTS / 2} clients, ${INGEST_S} s each\n`);
    results.ingest = await ingest(target, projects, CLIENTS, INGEST_S, { mix: 'engine' });
    results.ingestHalf = await ingest(target, projects, CLIENTS / 2, INGEST_S, { mix: 'engine' });

    process.stderr.write(`settlement: ${SETTLEMENTS} milestones CREATE → in_progress\n`);
    results.settlement = await settlementLatency(token, projects[0]!, SETTLEMENTS);

    process.stderr.write(`soak: ${SOAK_S} s of ingest\n`);
    const stopSampling = sampleRss(pids);
    results.soak = await ingest(target, projects, CLIENTS, SOAK_S, { mix: 'engine' });
    results.memory = stopSampling();
  } finally {
    await deployment?.stop();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }

  process.stderr.write(`replay: bench/replay.ts with ${REPLAY_N} milestones\n`);
  const replayOut = await run('npx', ['tsx', 'bench/replay.ts', String(REPLAY_N)], { BENCH_ROUNDS: '1' });
  const replay = JSON.parse(replayOut.trim().split('\n').at(-1)!) as { results: { phase: string; eventsPerSecond: number; maxRssMb: number }[] };
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

function drained(phase: { backlogAtEnd: number; drainSeconds: number }): string {
  return `outbox backlog ${phase.backlogAtEnd} at the end, drained in ${phase.drainSeconds} s`;
}

/** Percent of one core per group; 200 would be both cores of this machine. */
function cpuLine(split: Record<string, number>): string {
  const { idleOfMachine: _idle, ...groups } = split;
  return Object.entries(groups).map(([k, v]) => `${k} ${v}%`).join(', ') + ' (of one core)';
}

function printTable(r: Record<string, any>): void {
  const bare = r.replay.find((x: { phase: string }) => x.phase.startsWith('bare'));
  const verify = r.replay.find((x: { phase: string }) => x.phase.startsWith('verify'));
  const rows: [string, string, string][] = [
    ['ceiling', `${round(r.ceiling.tps)} tps`, `pgbench tpcb-like, ${r.clients} clients`],
    ['ingest', `${r.ingest.perSecond} events/s`, `p50 ${r.ingest.p50Ms} ms, p99 ${r.ingest.p99Ms} ms, errors ${r.ingest.errors}, ${r.clients} clients; ${drained(r.ingest)}`],
    ['ingest (half load)', `${r.ingestHalf.perSecond} events/s`, `p50 ${r.ingestHalf.p50Ms} ms, p99 ${r.ingestHalf.p99Ms} ms, errors ${r.ingestHalf.errors}, ${r.clients / 2} clients; ${drained(r.ingestHalf)}`],
    ['ratio', `${round(r.ingest.perSecond / r.ceiling.tps, 2)}`, 'ingest / ceiling (target ≥ 0.6)'],
    ['cpu during ingest', `${r.ingest.cpuPercent.idleOfMachine}% idle`, cpuLine(r.ingest.cpuPercent)],
    ['settlement', `${r.settlement.perSecond} /s`, `CREATE → in_progress p50 ${r.settlement.p50Ms} ms, p99 ${r.settlement.p99Ms} ms (${r.settlement.count}, 4 clients)`],
    ['replay', `${round(verify.eventsPerSecond, 0)} events/s`, `bare transition() loop ${round(bare.eventsPerSecond, 0)} events/s, ratio ${round(verify.eventsPerSecond / bare.eventsPerSecond, 2)}, N = ${r.replayN}`],
    ['memory (api)', memoryCell(r.memory.api), `RSS over a ${r.soak.seconds} s soak (${r.soak.requests} events, errors ${r.soak.errors}), ${memoryRange(r.memory.api)}`],
    ['memory (workers)', memoryCell(r.memory.workers), `RSS over the same soak, ${memoryRange(r.memory.workers)}`],
  ];
  const w = [0, 1].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  process.stdout.write(`\nbenchmark (${r.at}${r.smoke ? ', SMOKE — not a measurement' : ''})\n`);
  for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
