// One ingest phase: wrk (bench/ingest.lua) posts events through the HTTP API from its own process
// while bench/cpu-split.ts records where the machine's CPU went; then the outbox is timed draining.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startCpuSplit } from './cpu-split.js';
import { startRunQueueSplit, type SchedTotals } from './run-queue.js';
import { latencyByType, scrapeTransitionBuckets, type TypeLatency } from './latency-by-type.js';
import { planMoneySlots } from './money-slots.js';
import { lua, runWrk, WRK_THREADS, type WrkResult } from './wrk.js';

export interface BenchProject {
  projectId: string;
  employer: string;
  freelancer: string;
  milestones: string[];
}

export interface IngestResult extends WrkResult {
  cpuPercent: Record<string, number>;
  /** Outbox rows (settlements, notifications, webhook fan-out) left unprocessed when the load stopped. */
  backlogAtEnd: number;
  /** Seconds until the workers had processed all of them: a rate that leaves a growing backlog is not sustained. */
  drainSeconds: number;
  /** Settlement commands the phase's events issued, per second of the phase (all of them done by the drain). */
  settlementsPerSecond: number;
  /** The applied events by type, as the service timed them (bench/latency-by-type.ts). */
  byType: TypeLatency[];
  /** Time the service's processes and Postgres spent waiting for a core and on one (bench/run-queue.ts). */
  runQueue: Record<string, SchedTotals>;
}

/**
 * What a phase sends (bench/ingest.lua): `money`, milestones through a six-event lifecycle of which half move
 * money (fund, partial release, release or cancel of the rest), new milestones in every slot as they close; or
 * `engine`, the seeded milestones' cancel-request flags toggled, with every tenth request a new milestone.
 */
export type IngestMix = 'money' | 'engine';

export interface IngestOptions {
  mix: IngestMix;
  /** Events per second to pace the load at (the half-load phase); 0 sends as fast as the service answers. */
  rate?: number;
  /** The engine mix: every n-th request creates a milestone (default 10); 1 sends nothing but creations. */
  createEvery?: number;
}

// Milestones each wrk thread of the money mix keeps going (spread over its projects, one event each in turn): it
// comes back to a milestone only after ~300 other events (over half a second at the rates measured here), long
// after its settlement has landed.
const SLOTS_PER_THREAD = 300;

/** The plan for bench/ingest.lua. The engine mix starts from each seeded milestone's current flag. */
async function planLua(
  baseUrl: string,
  token: string,
  projects: BenchProject[],
  options: IngestOptions,
): Promise<string> {
  const entries = [];
  for (const p of projects) {
    const milestones = [];
    if (options.mix === 'engine') {
      for (const id of p.milestones) {
        const res = await fetch(`${baseUrl}/v1/milestones/${id}`, { headers: { authorization: `Bearer ${token}` } });
        const m = (await res.json()) as { flags: { cancelRequested: boolean } };
        milestones.push(`{ id = ${lua(id)}, flagged = ${m.flags.cancelRequested} }`);
      }
    }
    entries.push(
      `{ id = ${lua(p.projectId)}, employer = ${lua(p.employer)}, freelancer = ${lua(p.freelancer)}, milestones = { ${milestones.join(', ')} } }`,
    );
  }
  // A new run name per phase, so the milestone ids the money mix creates never repeat across phases.
  const run = `bm${randomBytes(4).toString('hex')}`;
  const slots =
    options.mix === 'money' ? await planMoneySlots(token, projects, WRK_THREADS, SLOTS_PER_THREAD, run) : '{}';
  return `return { token = ${lua(token)}, mix = ${lua(options.mix)}, rate = ${options.rate ?? 0}, createEvery = ${options.createEvery ?? 10}, slots = ${slots}, projects = { ${entries.join(',\n')} } }\n`;
}

async function scalar(databaseUrl: string, sql: string, values: unknown[] = []): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(sql, values);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

const unprocessedOutbox = (databaseUrl: string) =>
  scalar(databaseUrl, 'SELECT count(*)::int AS n FROM outbox WHERE processed_at IS NULL');

/** Polls until the workers have caught up with what the phase left behind; returns the seconds it took. */
async function drain(databaseUrl: string, limitS: number): Promise<{ backlogAtEnd: number; drainSeconds: number }> {
  const started = Date.now();
  const backlogAtEnd = await unprocessedOutbox(databaseUrl);
  let left = backlogAtEnd;
  while (left > 0) {
    if (Date.now() - started > limitS * 1000)
      throw new Error(`outbox backlog of ${left} rows not drained within ${limitS} s`);
    await new Promise((r) => setTimeout(r, 100));
    left = await unprocessedOutbox(databaseUrl);
  }
  return { backlogAtEnd, drainSeconds: Math.round((Date.now() - started) / 100) / 10 };
}

/** The deployment a phase drives: where it listens, its database, a token, and its processes (for the CPU split). */
export interface IngestTarget {
  baseUrl: string;
  databaseUrl: string;
  token: string;
  pids: Record<string, readonly number[]>;
}

/** A phase's plan for bench/ingest.lua, its milestones seeded and settled: the phase itself starts from quiet. */
export interface IngestPlan {
  lua: string;
}

/** Plans a phase (the money mix seeds its slots, bench/money-slots.ts) and waits for the workers to catch up. */
export async function planIngest(
  target: IngestTarget,
  projects: BenchProject[],
  options: IngestOptions,
): Promise<IngestPlan> {
  const plan = await planLua(target.baseUrl, target.token, projects, options);
  await drain(target.databaseUrl, 600);
  return { lua: plan };
}

/** Plans and runs a phase. */
export async function ingest(
  target: IngestTarget,
  projects: BenchProject[],
  clients: number,
  durationS: number,
  options: IngestOptions,
): Promise<IngestResult> {
  return runIngest(target, await planIngest(target, projects, options), clients, durationS);
}

/** Runs a planned phase. */
export async function runIngest(
  target: IngestTarget,
  plan: IngestPlan,
  clients: number,
  durationS: number,
): Promise<IngestResult> {
  const { baseUrl, databaseUrl, token, pids } = target;
  // The outbox id where the phase starts: the settlement commands after it are the phase's.
  const firstOutboxId = await scalar(databaseUrl, 'SELECT coalesce(max(id), 0) AS n FROM outbox');
  const bucketsBefore = await scrapeTransitionBuckets(baseUrl, token);
  const stop = startCpuSplit(pids);
  const stopRunQueue = startRunQueueSplit(pids);
  const { result, childCpuS } = await runWrk(baseUrl, 'bench/ingest.lua', plan.lua, clients, durationS);
  const cpuPercent = stop();
  const runQueue = stopRunQueue();
  const byType = latencyByType(bucketsBefore, await scrapeTransitionBuckets(baseUrl, token));
  cpuPercent.loadGenerator = Math.round((childCpuS / result.seconds) * 100);
  const drained = await drain(databaseUrl, 600);
  const settlements = await scalar(
    databaseUrl,
    "SELECT count(*)::int AS n FROM outbox WHERE id > $1 AND topic = 'settlement'",
    [firstOutboxId],
  );
  return {
    ...result,
    cpuPercent,
    ...drained,
    settlementsPerSecond: Math.round(settlements / result.seconds),
    byType,
    runQueue,
  };
}
