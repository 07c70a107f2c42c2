// One closed-loop ingest phase: wrk (bench/ingest.lua) posts events through the HTTP API from its own process
// while bench/cpu-split.ts records where the machine's CPU went.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startCpuSplit } from './cpu-split.js';

export interface BenchProject {
  projectId: string;
  employer: string;
  freelancer: string;
  milestones: string[];
}

export interface IngestResult {
  requests: number;
  seconds: number;
  errors: number;
  errorSamples: string[];
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuPercent: Record<string, number>;
  /** Outbox rows (settlements, notifications, webhook fan-out) left unprocessed when the load stopped. */
  backlogAtEnd: number;
  /** Seconds until the workers had processed all of them: a rate that leaves a growing backlog is not sustained. */
  drainSeconds: number;
}

const WRK_THREADS = 2;

const lua = (value: string) => JSON.stringify(value);

/** Each milestone's current cancel-request flag, so every phase on the same milestones sends only legal events. */
async function planLua(baseUrl: string, token: string, projects: BenchProject[]): Promise<string> {
  const entries = [];
  for (const p of projects) {
    const milestones = [];
    for (const id of p.milestones) {
      const res = await fetch(`${baseUrl}/v1/milestones/${id}`, { headers: { authorization: `Bearer ${token}` } });
      const m = (await res.json()) as { flags: { cancelRequested: boolean } };
      milestones.push(`{ id = ${lua(id)}, flagged = ${m.flags.cancelRequested} }`);
    }
    entries.push(`{ id = ${lua(p.projectId)}, employer = ${lua(p.employer)}, freelancer = ${lua(p.freelancer)}, milestones = { ${milestones.join(', ')} } }`);
  }
  return `return { token = ${lua(token)}, createEvery = 10, threads = ${WRK_THREADS}, projects = { ${entries.join(',\n')} } }\n`;
}

/** Runs wrk under bash so `times` can report wrk's own CPU once it has exited (its /proc entry is gone by then). */
function runWrk(args: string[], env: Record<string, string>): Promise<{ stdout: string; childCpuS: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'wrk "$@" && times', 'wrk', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}:\n${stdout}`));
      // `times` prints the shell's user/sys line, then its children's: "0m1.234s 0m0.567s".
      const children = stdout.trim().split('\n').at(-1)!.match(/(\d+)m([\d.]+)s/g) ?? [];
      const childCpuS = children.reduce((sum, t) => {
        const [, m, s] = /(\d+)m([\d.]+)s/.exec(t)!;
        return sum + Number(m) * 60 + Number(s);
      }, 0);
      resolve({ stdout, childCpuS });
    });
  });
}

async function unprocessedOutbox(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE processed_at IS NULL');
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

/** Polls until the workers have caught up with what the phase left behind; returns the seconds it took. */
async function drain(databaseUrl: string, limitS: number): Promise<{ backlogAtEnd: number; drainSeconds: number }> {
  const started = Date.now();
  const backlogAtEnd = await unprocessedOutbox(databaseUrl);
  let left = backlogAtEnd;
  while (left > 0) {
    if (Date.now() - started > limitS * 1000) throw new Error(`outbox backlog of ${left} rows not drained within ${limitS} s`);
    await new Promise((r) => setTimeout(r, 100));
    left = await unprocessedOutbox(databaseUrl);
  }
  return { backlogAtEnd, drainSeconds: Math.round((Date.now() - started) / 100) / 10 };
}

export async function ingest(
  target: { baseUrl: string; databaseUrl: string; token: string; pids: Record<string, number> },
  projects: BenchProject[],
  clients: number,
  durationS: number,
): Promise<IngestResult> {
  const { baseUrl, databaseUrl, token, pids } = target;
  const dir = await mkdtemp(join(tmpdir(), 'escrow-bench-'));
  try {
    const planFile = join(dir, 'plan.lua');
    await writeFile(planFile, await planLua(baseUrl, token, projects.slice(0, clients)));
    const stop = startCpuSplit(pids);
    const { stdout, childCpuS } = await runWrk(
      ['-t', String(WRK_THREADS), '-c', String(clients), '-d', `${durationS}s`, '--timeout', '10s', '-s', 'bench/ingest.lua', baseUrl],
      { WRK_PLAN: planFile },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('WRK_RESULT '));
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const result = JSON.parse(line.slice('WRK_RESULT '.length)) as Omit<IngestResult, 'cpuPercent'>;
    const cpuPercent = stop();
    cpuPercent.loadGenerator = Math.round((childCpuS / result.seconds) * 100);
    return { ...result, cpuPercent, ...(await drain(databaseUrl, 600)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
