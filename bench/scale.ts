// `npm run bench:scale`: does ingest and GET /v1/milestones/:id latency hold with a large database? Measures
// both on an empty database, bulk-loads BENCH_SCALE_MILESTONES milestones with 8 history rows each (1,000,000
// and 8,000,000 by default; bench/scale-seed.ts), measures again on the same deployment and prints the
// comparison (target: within 20 %). Results go to bench/results/scale-<time>.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { admin, baseUrl, seedProjects, startDeployment, type Deployment } from './harness.js';
import { ingest } from './ingest.js';
import { seedScale } from './scale-seed.js';
import { round } from './stats.js';
import { readLatency } from './wrk.js';
import type { Json } from '../test/support/json.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 128);
const PHASE_S = Number(process.env.BENCH_SCALE_PHASE_S ?? 20);
const MILESTONES = Number(process.env.BENCH_SCALE_MILESTONES ?? 1_000_000);
const HISTORY_PER_MILESTONE = 8;

async function sample(databaseUrl: string, n: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Spread over the whole table, so reads touch pages no earlier phase warmed.
    const { rows } = await client.query<{ id: string }>(
      `SELECT 'ms_scale_' || (1 + floor(random() * $1))::int AS id FROM generate_series(1, $2)`,
      [MILESTONES, n],
    );
    return rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

async function sizes(databaseUrl: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; rows: string; size: string }>(
      `SELECT relname AS name, n_live_tup::text AS rows, pg_size_pretty(pg_total_relation_size(relid)) AS size
       FROM pg_stat_user_tables WHERE relname IN ('instances', 'history')`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, `${Number(r.rows).toLocaleString('en')} rows, ${r.size}`]));
  } finally {
    await client.end();
  }
}

async function measure(d: Deployment, projects: Awaited<ReturnType<typeof seedProjects>>, reads: string[]) {
  const target = { baseUrl, databaseUrl: d.databaseUrl, token: d.token, pids: d.pids };
  return {
    ingest: await ingest(target, projects, CLIENTS, PHASE_S, { mix: 'money' }),
    get: await readLatency(baseUrl, d.token, reads, CLIENTS / 2, PHASE_S),
  };
}

async function main(): Promise<void> {
  const name = `escrow_bench_scale_${randomBytes(4).toString('hex')}`;
  const results: Record<string, Json> = {
    at: new Date().toISOString(),
    clients: CLIENTS,
    milestones: MILESTONES,
    historyRows: MILESTONES * HISTORY_PER_MILESTONE,
  };
  let deployment: Deployment | null = null;
  try {
    deployment = await startDeployment(name);
    process.stderr.write('seeding projects and milestones through the API\n');
    const withMilestones = await seedProjects(deployment.token, CLIENTS, 20);
    const projects = [...withMilestones, ...(await seedProjects(deployment.token, Math.max(0, PROJECTS - CLIENTS)))];
    const own = withMilestones.flatMap((p) => p.milestones);
    process.stderr.write(`empty database: ingest and GET, ${PHASE_S} s each\n`);
    results.empty = { ...(await measure(deployment, projects, own)), sizes: await sizes(deployment.databaseUrl) };

    process.stderr.write(
      `bulk-loading ${MILESTONES.toLocaleString('en')} milestones and ${(MILESTONES * HISTORY_PER_MILESTONE).toLocaleString('en')} history rows\n`,
    );
    const t0 = Date.now();
    await seedScale(
      deployment.databaseUrl,
      own[0]!,
      { milestones: MILESTONES, historyPerMilestone: HISTORY_PER_MILESTONE, projects: 10_000, chunk: 100_000 },
      (l) => process.stderr.write(`${l}\n`),
    );
    results.loadSeconds = round((Date.now() - t0) / 1000);

    process.stderr.write(`loaded database: ingest and GET, ${PHASE_S} s each\n`);
    results.loaded = { ...(await measure(deployment, projects, own)), sizes: await sizes(deployment.databaseUrl) };
    results.loadedColdGet = await readLatency(
      baseUrl,
      deployment.token,
      await sample(deployment.databaseUrl, 20_000),
      CLIENTS / 2,
      PHASE_S,
    );
  } finally {
    await deployment?.stop();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/scale-${String(results.at).replace(/[:.]/g, '-')}.json`;
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  process.stdout.write(`\nresults written to ${file}\n`);
}

function printTable(r: Record<string, Json>): void {
  const change = (after: number, before: number) =>
    `${after >= before ? '+' : ''}${round(((after - before) / before) * 100)} %`;
  const rows: [string, string, string, string][] = [
    ['', 'empty database', `${r.milestones.toLocaleString('en')} milestones`, 'change'],
    [
      'ingest events/s',
      `${r.empty.ingest.perSecond}`,
      `${r.loaded.ingest.perSecond}`,
      change(r.loaded.ingest.perSecond, r.empty.ingest.perSecond),
    ],
    [
      'ingest p50 ms',
      `${r.empty.ingest.p50Ms}`,
      `${r.loaded.ingest.p50Ms}`,
      change(r.loaded.ingest.p50Ms, r.empty.ingest.p50Ms),
    ],
    [
      'ingest p99 ms',
      `${r.empty.ingest.p99Ms}`,
      `${r.loaded.ingest.p99Ms}`,
      change(r.loaded.ingest.p99Ms, r.empty.ingest.p99Ms),
    ],
    ['ingest errors', `${r.empty.ingest.errors}`, `${r.loaded.ingest.errors}`, ''],
    [
      'GET /v1/milestones/:id per s',
      `${r.empty.get.perSecond}`,
      `${r.loaded.get.perSecond}`,
      change(r.loaded.get.perSecond, r.empty.get.perSecond),
    ],
    ['GET p50 ms', `${r.empty.get.p50Ms}`, `${r.loaded.get.p50Ms}`, change(r.loaded.get.p50Ms, r.empty.get.p50Ms)],
    ['GET p99 ms', `${r.empty.get.p99Ms}`, `${r.loaded.get.p99Ms}`, change(r.loaded.get.p99Ms, r.empty.get.p99Ms)],
    [
      'GET random of all, p50 / p99 ms',
      '',
      `${r.loadedColdGet.p50Ms} / ${r.loadedColdGet.p99Ms}`,
      change(r.loadedColdGet.p50Ms, r.empty.get.p50Ms),
    ],
    ['instances', r.empty.sizes.instances, r.loaded.sizes.instances, ''],
    ['history', r.empty.sizes.history, r.loaded.sizes.history, ''],
  ];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  process.stdout.write(
    `\nscale check (${r.at}; bulk load took ${r.loadSeconds} s; ${r.clients} ingest clients, ${r.clients / 2} GET clients)\n`,
  );
  for (const [a, b, c, d] of rows)
    process.stdout.write(`${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c.padStart(w[2]!)}  ${d}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
