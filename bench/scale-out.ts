// `npx tsx bench/scale-out.ts` (about 2 × (start + seed + BENCH_INGEST_S + drain), under 2 minutes at the
// default 20 s): the money-mix ingest (bench/ingest.ts) on one Redis server, then on a local three-master Redis
// Cluster (REDIS_CLUSTER_NODES), same machine and phase length; and the connections each service process holds
// to Postgres and Redis, idle after start and right after the load (read from `ss`, per process id).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { LocalRedisCluster } from '../test/support/redis-cluster.js';
import { admin, baseUrl, seedProjects, startDeployment, type Deployment } from './harness.js';
import { ingest } from './ingest.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 64);
const INGEST_S = Number(process.env.BENCH_INGEST_S ?? 20);

/** Established TCP connections from these processes (one role's) to any of these ports. */
function connectionsTo(pids: readonly number[], ports: number[]): number {
  const filter = ports.map((p) => `dport = :${p}`).join(' or ');
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( ${filter} )`], { encoding: 'utf8' });
  return out.split('\n').filter((line) => pids.some((pid) => line.includes(`pid=${pid},`))).length;
}

function census(deployment: Deployment, redisPorts: number[]) {
  const { api, workers } = deployment.pids;
  return {
    api: { postgres: connectionsTo(api, [5432]), redis: connectionsTo(api, redisPorts) },
    workers: { postgres: connectionsTo(workers, [5432]), redis: connectionsTo(workers, redisPorts) },
  };
}

async function measure(label: string, redisPorts: number[]) {
  const name = `escrow_scaleout_${randomBytes(4).toString('hex')}`;
  let deployment: Deployment | null = null;
  try {
    deployment = await startDeployment(name);
    const target = { baseUrl, databaseUrl: deployment.databaseUrl, token: deployment.token, pids: deployment.pids };
    const projects = await seedProjects(deployment.token, PROJECTS);
    const idle = census(deployment, redisPorts);
    process.stderr.write(`${label}: money mix, ${CLIENTS} connections, ${INGEST_S} s\n`);
    const result = await ingest(target, projects, CLIENTS, INGEST_S, { mix: 'money' });
    const loaded = census(deployment, redisPorts);
    return {
      label,
      eventsPerSecond: result.perSecond,
      p99Ms: result.p99Ms,
      errors: result.errors,
      settlementsPerSecond: result.settlementsPerSecond,
      drainSeconds: result.drainSeconds,
      connections: { idle, loaded },
    };
  } finally {
    await deployment?.stop();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

async function main(): Promise<void> {
  const singlePort = Number(new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379);
  const single = await measure('single Redis', [singlePort]);
  const cluster = await LocalRedisCluster.start();
  let clustered;
  try {
    // The service processes inherit this (bench/harness.ts), and so does the harness's own key clean-up.
    process.env.REDIS_CLUSTER_NODES = cluster.nodes;
    clustered = await measure('3-master Redis Cluster', cluster.ports);
  } finally {
    delete process.env.REDIS_CLUSTER_NODES;
    await cluster.stop();
  }
  console.log(JSON.stringify([single, clustered], null, 2));
}

await main();
