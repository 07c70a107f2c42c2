// What every benchmark needs: a scratch database with an API token, the service started from it as two processes
// (API and workers, as in a scaled deployment), and projects with funded milestones for load to run against.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { createClient, SCOPES } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/knex.js';
import { ensureDatabase, migrateLatest } from '../src/db/migrate.js';
import { deleteQueueKeys } from '../src/jobs/queues.js';
import type { BenchProject } from './ingest.js';
import type { Json } from '../test/support/json.js';

export const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const PORT = Number(process.env.BENCH_PORT ?? 3999);
export const baseUrl = `http://127.0.0.1:${PORT}`;

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

/** Starts one role of the service (`api` or `workers`). */
async function startService(role: 'api' | 'workers', databaseUrl: string, queuePrefix: string): Promise<ChildProcess> {
  // BENCH_CPU_PROF=<dir>: each process writes a V8 CPU profile there on exit (summarise: bench/profile-summary.ts).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn('node', [...profile, '--import', 'tsx', 'src/main.ts', role], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(PORT),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SEC: '0',
      // The engine mix toggles one milestone's cancel request thousands of times: it measures the engine, not
      // milestone@3's lifetime cap on cancel requests (CANCEL_REQUESTS_MAX_PER_MILESTONE, 10 by default).
      CANCEL_REQUESTS_MAX_PER_MILESTONE: '10000',
      QUEUE_PREFIX: queuePrefix,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = role === 'api' ? 'listening' : 'workers running';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes(ready) && resolve());
    child.on('exit', (code) => reject(new Error(`${role} exited ${code}`)));
  });
  return child;
}

async function stopService(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null) return;
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
  pids: { api: number; workers: number };
  stop(): Promise<void>;
}

/** A migrated scratch database with an all-scopes token, and the API and workers started on it. */
export async function startDeployment(databaseName: string): Promise<Deployment> {
  const databaseUrl = urlFor(databaseName);
  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl, 2);
  await migrateLatest(db);
  // Client names are unique, and a scratch database may be reused: each run gets its own client.
  const { token } = await createClient(db, `bench-${randomBytes(4).toString('hex')}`, [...SCOPES]);
  await db.destroy();
  const queuePrefix = `bench-${randomBytes(4).toString('hex')}`;
  const processes: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map(stopService));
    await deleteQueueKeys(loadConfig({ ...process.env, QUEUE_PREFIX: queuePrefix }));
  };
  try {
    processes.push(await startService('api', databaseUrl, queuePrefix));
    processes.push(await startService('workers', databaseUrl, queuePrefix));
  } catch (error) {
    await stop();
    throw error;
  }
  return { databaseUrl, token, pids: { api: processes[0]!.pid!, workers: processes[1]!.pid! }, stop };
}
