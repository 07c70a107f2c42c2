// What every benchmark needs: a scratch database with an API token, the service started from it as separate API and
// workers processes (one of each by default, as in a scaled deployment), and projects with funded milestones for
// load to run against.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { deleteQueueKeys } from '../src/jobs/queues.js';
import type { BenchProject } from './ingest.js';
import { forwardSevereLines } from './service-errors.js';
import type { Json } from '../test/support/json.js';

export const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const PORT = Number(process.env.BENCH_PORT ?? 3999);
export const baseUrl = `http://127.0.0.1:${PORT}`;

// Absolute, so that a service started from another checkout (cwd) still runs this checkout's launcher and setup.
const API_CLUSTER = fileURLToPath(new URL('./api-cluster.ts', import.meta.url));
const PREPARE_DATABASE = fileURLToPath(new URL('./prepare-database.ts', import.meta.url));

export const urlFor = (name: string) => Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();

export async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  await client.query(sql).finally(() => client.end());
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** One started role: the process the harness stops, and every process doing the role's work (for CPU and RSS). */
interface Started {
  child: ChildProcess;
  pids: number[];
}

/** Flags for the service's node from the environment. */
function nodeFlags(): string[] {
  // BENCH_CPU_PROF=<dir>: each process writes a V8 CPU profile there on exit (summarise: bench/profile-summary.ts).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_NODE_ARGS: more flags, e.g. "--trace-gc" (node refuses some in NODE_OPTIONS).
  return [...profile, ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
}

/**
 * Starts one role of the service (`api`, `workers`, or `all` of it in one process, as `npm start` does) from the
 * checkout at `cwd`. Several API processes share the
 * port through bench/api-cluster.ts, which prints its workers' pids once all of them listen.
 */
async function startService(
  role: 'api' | 'workers' | 'all',
  databaseUrl: string,
  queuePrefix: string,
  { cwd, processes, env }: { cwd: string; processes: number; env: Record<string, string | undefined> },
): Promise<Started> {
  const entry = processes > 1 ? [API_CLUSTER, String(processes)] : ['src/main.ts', role];
  const child = spawn('node', [...nodeFlags(), '--import', 'tsx', ...entry], {
    cwd,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(PORT),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SEC: '0',
      QUEUE_PREFIX: queuePrefix,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = role === 'workers' ? 'workers running' : 'listening';
  const workerPids = await new Promise<number[]>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!out.includes(ready)) return;
      child.stdout.off('data', onData);
      // Keep reading, so that the service never blocks on a full pipe, showing its errors; with BENCH_NODE_ARGS (a
      // trace) show all of it.
      if (process.env.BENCH_NODE_ARGS) child.stdout.pipe(process.stderr);
      else forwardSevereLines(child.stdout, role, (line) => process.stderr.write(line));
      const listed = processes > 1 ? /pids ([\d,]+)/.exec(out)?.[1] : undefined;
      resolve(listed ? listed.split(',').map(Number) : []);
    };
    child.stdout.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${role} exited ${code}`)));
  });
  // A cluster's primary only hands out connections; it is listed last, after the processes serving requests.
  return { child, pids: [...workerPids, child.pid!] };
}

async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function api(token: string, method: string, path: string, body?: object) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json()) as Record<string, Json>;
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * `count` awarded projects, each with its own employer (funded far beyond what a run spends) and freelancer, and
 * `milestonesEach` funded milestones ready for events that need no settlement. Four at a time.
 */
export async function seedProjects(token: string, count: number, milestonesEach = 0): Promise<BenchProject[]> {
  const seedOne = async (c: number): Promise<BenchProject> => {
    const employer = `bench-emp-${c}-${randomBytes(3).toString('hex')}`;
    const freelancer = `bench-fl-${c}-${randomBytes(3).toString('hex')}`;
    await api(token, 'POST', `/v1/accounts/${employer}/deposits`, { currency: 'USD', amount: '100000000000' });
    const { id: projectId } = await api(token, 'POST', '/v1/projects', {
      employerId: employer,
      title: 'bench',
      currency: 'USD',
    });
    await api(token, 'POST', `/v1/projects/${projectId}/events`, {
      type: 'AWARD',
      actor: employer,
      freelancerId: freelancer,
    });
    await api(token, 'POST', `/v1/projects/${projectId}/events`, { type: 'ACCEPT_AWARD', actor: freelancer });
    const milestones: string[] = [];
    for (let m = 0; m < milestonesEach; m++) {
      const { id } = await api(token, 'POST', `/v1/projects/${projectId}/milestones`, {
        type: 'CREATE',
        actor: employer,
        amount: '100',
        description: 'b',
      });
      milestones.push(id);
    }
    for (const id of milestones) await api(token, 'GET', `/v1/milestones/${id}?wait=settled&timeoutMs=30000`);
    return { projectId, employer, freelancer, milestones };
  };
  const projects: BenchProject[] = [];
  for (let c = 0; c < count; c += 4) {
    projects.push(...(await Promise.all(Array.from({ length: Math.min(4, count - c) }, (_, i) => seedOne(c + i)))));
  }
  return projects;
}

export interface Deployment {
  databaseUrl: string;
  token: string;
  /** Every process of each role: one, or for several API processes the cluster's workers and then its primary. */
  pids: { api: number[]; workers: number[] };
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  /** The checkout whose service and migrations run (another ref's worktree for an A/B run); this one by default. */
  cwd?: string;
  apiProcesses?: number;
  workerProcesses?: number;
  /** API and workers in one process, as `npm start` runs them (apiProcesses and workerProcesses are then ignored). */
  oneProcess?: boolean;
  /** Overrides of the service's environment; a variable set to undefined runs with the service's default. */
  env?: Record<string, string | undefined>;
}

/** Migrates the scratch database and creates an all-scopes client with the code at `cwd` (its own migrations). */
function prepareDatabase(cwd: string, databaseUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['--import', 'tsx', PREPARE_DATABASE, databaseUrl], {
      cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const token = /^token (\S+)$/m.exec(out)?.[1];
      if (code === 0 && token) resolve(token);
      else reject(new Error(`preparing ${databaseUrl} in ${cwd} exited ${code}`));
    });
  });
}

/** A migrated scratch database with an all-scopes token, and the API and workers started on it. */
export async function startDeployment(databaseName: string, options: DeploymentOptions = {}): Promise<Deployment> {
  const { cwd = process.cwd(), apiProcesses = 1, workerProcesses = 1, oneProcess = false, env = {} } = options;
  const databaseUrl = urlFor(databaseName);
  const token = await prepareDatabase(cwd, databaseUrl);
  const queuePrefix = `bench-${randomBytes(4).toString('hex')}`;
  const started: Started[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => stopService(s.child)));
    // Since Redis Cluster support BullMQ's keys sit under the hash tag {prefix}; an older ref puts them under prefix.
    for (const bullmqPrefix of [`{${queuePrefix}}`, queuePrefix]) {
      await deleteQueueKeys({ ...loadConfig({ ...process.env, QUEUE_PREFIX: queuePrefix }), bullmqPrefix });
    }
  };
  try {
    if (oneProcess) {
      const all = await startService('all', databaseUrl, queuePrefix, { cwd, processes: 1, env });
      started.push(all);
      return { databaseUrl, token, pids: { api: all.pids, workers: [] }, stop };
    }
    started.push(await startService('api', databaseUrl, queuePrefix, { cwd, processes: apiProcesses, env }));
    for (let i = 0; i < workerProcesses; i++) {
      started.push(await startService('workers', databaseUrl, queuePrefix, { cwd, processes: 1, env }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const [api, ...workers] = started;
  return { databaseUrl, token, pids: { api: api!.pids, workers: workers.flatMap((w) => w.pids) }, stop };
}
