// `npm run bench:lists`: the plans and timings of the support queues, the list API and /v1/stats at a million
// milestones (docs/support.md "Evidence"). Builds its own database: migrates it up to the list_queues migration,
// bulk-loads instances in the proportions of a busy marketplace (generate_series, as bench/scale-seed.ts does),
// times the list_queues migration itself (it rewrites instances to add the stored state_path), then prints
// EXPLAIN (ANALYZE, BUFFERS) of every queue query, fails if one scans a table sequentially, and times stats.
// The database is dropped at the end unless BENCH_KEEP_DB=1. Sizes: BENCH_LIST_MILESTONES (1,000,000).
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from '../migrations/index.js';
import { createDb } from '../src/db/knex.js';
import { listQuery, type ListFilters } from '../src/lists/instance-list.js';
import { deadDeliveriesQuery } from '../src/lists/dead-deliveries.js';
import { countStats, statsQueries } from '../src/lists/instance-stats.js';
import type { ListKey } from '../src/lists/list-cursor.js';

const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const MILESTONES = Number(process.env.BENCH_LIST_MILESTONES ?? 1_000_000);
const PROJECTS = Math.max(1, Math.floor(MILESTONES / 10));
const DELIVERIES = Math.max(1, Math.floor(MILESTONES / 5));
const CHUNK = 100_000;
const PAGE = 50;
const STUCK_AFTER_MS = 5 * 60_000;
const LIST_QUEUES = '20261204300000_list_queues';
const TIMED_RUNS = 7;
// Statements shown for completeness that no queue runs: a sequential scan there does not fail the check.
const NOT_A_QUEUE = 'Not a queue:';

// Out of every 1000 milestones: the state each is in (the rest are released). Queues are small, as they are.
const MIX: [from: number, to: number, value: string][] = [
  [0, 4, '{"disputed":"awaiting_response"}'],
  [5, 9, '{"disputed":"negotiation"}'],
  [10, 11, '{"disputed":"arbitration_pending"}'],
  [12, 13, '{"disputed":"arbitration"}'],
  [14, 18, '"funding_failed"'],
  [19, 19, '"funding"'],
  [20, 169, '"in_progress"'],
  [170, 219, '"cancelled"'],
  [220, 249, '"resolved"'],
  [250, 252, '"requested"'],
];

function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  return client.connect().then(() => work(client).finally(() => client.end()));
}

const stateCase = `CASE ${MIX.map(([a, b, v]) => `WHEN g % 1000 BETWEEN ${a} AND ${b} THEN '${v}'::jsonb`).join(' ')} ELSE '"released"'::jsonb END`;

// A context of the size and shape a v2 milestone carries, so pages and plans are those of real rows.
const CONTEXT = `jsonb_build_object('id', 'ms_' || g, 'projectId', 'prj_' || (g % ${PROJECTS} + 1),
  'employerId', 'emp-' || (g % ${PROJECTS} + 1), 'freelancerId', 'fl-' || (g % ${PROJECTS} + 1), 'amount', '125000',
  'currency', 'USD', 'description', 'Milestone ' || g || ': design, build and deliver the agreed scope of work',
  'releasedAmount', '0', 'pendingRelease', '0', 'releaseRequested', false, 'cancelRequested', false,
  'cancelReason', null, 'lastSettlementFailure', null,
  'disputeRules', '{"freelancerResponseMs":345600000,"employerResponseMs":1209600000,"arbitrationFeeMs":604800000,"arbitrationFee":"5000"}'::jsonb,
  'dispute', null)`;

async function seed(db: Knex, log: (s: string) => void): Promise<void> {
  const started = Date.now();
  await db.raw(
    `INSERT INTO instances (id, machine, version, seq, state, snapshot, input, employer_id, freelancer_id, updated_at)
     SELECT 'prj_' || g, 'project', 2, 3, s, jsonb_build_object('value', to_jsonb(s), 'context', '{}'::jsonb, 'status', 'active'),
            '{}'::jsonb, 'emp-' || g, 'fl-' || g, now() - (g % 1000) * interval '1 hour'
     FROM generate_series(1, ?::int) g, LATERAL (SELECT CASE WHEN g % 10 < 6 THEN 'in_progress' ELSE 'completed' END AS s) x`,
    [PROJECTS],
  );
  for (let from = 1; from <= MILESTONES; from += CHUNK) {
    const to = Math.min(MILESTONES, from + CHUNK - 1);
    await db.raw(
      `INSERT INTO instances (id, machine, version, seq, state, snapshot, input, project_id, employer_id, freelancer_id, updated_at)
       SELECT 'ms_' || g, 'milestone', 2, 4, CASE WHEN jsonb_typeof(v) = 'object' THEN 'disputed' ELSE v #>> '{}' END,
              jsonb_build_object('value', v, 'context', ${CONTEXT}, 'status', 'active'), '{}'::jsonb,
              'prj_' || (g % ?::int + 1), 'emp-' || (g % ?::int + 1), 'fl-' || (g % ?::int + 1),
              now() - (g % 5000) * interval '1 minute'
       FROM generate_series(?::int, ?::int) g, LATERAL (SELECT ${stateCase} AS v) x`,
      [PROJECTS, PROJECTS, PROJECTS, from, to],
    );
    log(`  ${to.toLocaleString('en')} / ${MILESTONES.toLocaleString('en')} milestones, ${elapsed(started)}`);
  }
  // Armed deadlines: each dispute awaiting a response or a fee, and the feedback window of completed projects.
  await db.raw(
    `INSERT INTO timers (instance_id, timer_key, event, armed_seq, fire_at)
     SELECT id, CASE WHEN snapshot #>> '{value,disputed}' = 'awaiting_response' THEN 'response-deadline' ELSE 'arbitration-fee-deadline' END,
            '{}'::jsonb, seq, now() + (n % 20000) * interval '1 minute'
     FROM instances WHERE machine = 'milestone' AND state = 'disputed'
       AND snapshot #>> '{value,disputed}' IN ('awaiting_response', 'arbitration_pending')`,
  );
  await db.raw(
    `INSERT INTO timers (instance_id, timer_key, event, armed_seq, fire_at)
     SELECT id, 'feedback-window', '{}'::jsonb, seq, now() + (n % 90) * interval '1 day'
     FROM instances WHERE machine = 'project' AND state = 'completed'`,
  );
  // Deadlines that already ended (fired, or cancelled by a response or a payment): most of the timers table.
  await db.raw(
    `INSERT INTO timers (instance_id, timer_key, event, armed_seq, fire_at, status, ended_at)
     SELECT id, 'response-deadline', '{}'::jsonb, 2, updated_at, CASE WHEN n % 3 = 0 THEN 'fired' ELSE 'cancelled' END, updated_at
     FROM instances WHERE machine = 'milestone' AND state IN ('resolved', 'in_progress', 'released') AND n % 3 = 0`,
  );
  await seedDeliveries(db);
  log(`seeded in ${elapsed(started)}`);
}

/** One subscription with DELIVERIES deliveries of as many outbox rows, an attempt each; one in a thousand dead. */
async function seedDeliveries(db: Knex): Promise<void> {
  await db.raw(
    `INSERT INTO webhooks (id, url, events, secret) VALUES ('wh_bench', 'http://127.0.0.1:9/hook', '{*}', 'bench-secret-0123456789')`,
  );
  await db.raw(
    `INSERT INTO outbox (instance_id, seq, topic, payload, relayed_at, processed_at)
     SELECT 'ms_' || g, 4, 'transition', '{}'::jsonb, now(), now() FROM generate_series(1, ?::int) g`,
    [DELIVERIES],
  );
  await db.raw(
    `INSERT INTO webhook_deliveries (id, webhook_id, outbox_id, instance_id, machine, seq, type, body, status, attempt_count, attempts_left)
     SELECT 'dl_' || o.id, 'wh_bench', o.id, o.instance_id, 'milestone', o.seq, 'milestone.SETTLED', '{}',
            CASE WHEN o.id % 1000 = 0 THEN 'dead' ELSE 'delivered' END, 1, 0
     FROM outbox o`,
  );
  await db.raw(
    `INSERT INTO webhook_attempts (delivery_id, attempt, finished_at, duration_ms, status_code, outcome)
     SELECT id, 1, now(), 12, CASE WHEN status = 'dead' THEN 503 ELSE 200 END,
            CASE WHEN status = 'dead' THEN 'failed' ELSE 'delivered' END
     FROM webhook_deliveries`,
  );
}

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Plan text of a statement, run for real (ANALYZE); the first run warms the cache and is not shown. */
async function explain(db: Knex, query: Knex.QueryBuilder, serial: boolean): Promise<{ plan: string; ms: number }> {
  const { sql, bindings } = query.toSQL();
  const runs: number[] = [];
  let plan = '';
  for (let i = 0; i < TIMED_RUNS; i++) {
    // The stats statements run with parallel workers off, as countStats runs them.
    const rows = await db.transaction(async (trx) => {
      if (serial) await trx.raw('SET LOCAL max_parallel_workers_per_gather = 0');
      const result = await trx.raw(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, bindings as Knex.RawBinding[]);
      return result.rows as { 'QUERY PLAN': string }[];
    });
    const lines = rows.map((r) => r['QUERY PLAN']);
    runs.push(Number(/Execution Time: ([0-9.]+) ms/.exec(lines.join('\n'))?.[1] ?? 'NaN'));
    plan = lines.join('\n');
  }
  return { plan, ms: median(runs.slice(1)) };
}

function queueQueries(db: Knex, secondPage: ListKey): [string, Knex.QueryBuilder][] {
  const farFuture = new Date(Date.now() + 10 * 365 * 86_400_000);
  const list = (
    filters: Partial<ListFilters>,
    machine: 'milestone' | 'project' = 'milestone',
    after: ListKey | null = null,
  ) => listQuery(db, machine, { states: [], ...filters }, PAGE, after);
  return [
    [
      'Disputes awaiting a response, soonest deadline first',
      list({ states: ['disputed.awaiting_response'], deadlineBefore: farFuture }),
    ],
    [
      '… its second page (deadline cursor)',
      list({ states: ['disputed.awaiting_response'], deadlineBefore: farFuture }, 'milestone', secondPage),
    ],
    ['Arbitrations to rule', list({ states: ['disputed.arbitration'] })],
    [
      'Arbitration fees due, soonest deadline first',
      list({ states: ['disputed.arbitration_pending'], deadlineBefore: farFuture }),
    ],
    ['Stuck settlements', list({ stuckAfterMs: STUCK_AFTER_MS })],
    ['Failed fundings', list({ states: ['funding_failed'] })],
    ['Every dispute (state=disputed)', list({ states: ['disputed'] })],
    ['Any armed deadline in the next day', list({ deadlineBefore: new Date(Date.now() + 86_400_000) })],
    ['A party’s milestones', list({ party: 'fl-4242' })],
    ['A project’s milestones', list({ projectId: 'prj_4242' })],
    ['Projects in progress', list({ states: ['in_progress'] }, 'project')],
    ['Dead webhook deliveries', deadDeliveriesQuery(db, PAGE, null)],
    ['A party’s changes of the last hour', list({ party: 'fl-4242', updatedSince: new Date(Date.now() - 3_600_000) })],
    // No index on updated_at, on purpose: it changes on every event, so one would cost every event its HOT update.
    [
      `${NOT_A_QUEUE} every change of the last hour (updatedSince alone)`,
      list({ updatedSince: new Date(Date.now() - 3_600_000) }),
    ],
  ];
}

async function main(): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const name = `escrow_explain_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), 4);
  try {
    const before = (await migrationSource.getMigrations([])).filter(([n]) => n < LIST_QUEUES);
    await db.migrate.latest({ migrationSource: { ...migrationSource, getMigrations: () => Promise.resolve(before) } });
    await seed(db, log);
    const migrating = Date.now();
    await db.migrate.latest({ migrationSource });
    log(
      `\nlist_queues migration (table rewrite for state_path, indexes) at ${MILESTONES.toLocaleString('en')} milestones: ${elapsed(migrating)}`,
    );
    await db.raw('VACUUM ANALYZE instances, timers, webhook_deliveries, webhook_attempts');
    const sizes = await db.raw(
      `SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size FROM pg_class
       WHERE relname IN ('instances', 'instances_machine_state_idx', 'instances_nested_state_idx', 'timers_due_idx', 'webhook_deliveries_dead_idx') ORDER BY relname`,
    );
    for (const r of sizes.rows as { relname: string; size: string }[]) log(`  ${r.relname}: ${r.size}`);

    const first = (await listQuery(
      db,
      'milestone',
      { states: ['disputed.awaiting_response'], deadlineBefore: new Date(Date.now() + 10 * 365 * 86_400_000) },
      PAGE,
      null,
    )) as { n: string; due_at: string }[];
    const last = first[PAGE - 1];
    if (!last) throw new Error('the seed left fewer than one page of disputes awaiting a response');
    const secondPage: ListKey = { order: 'deadline', at: last.due_at, n: String(last.n) };

    let seqScans = 0;
    const stats = statsQueries(db, STUCK_AFTER_MS);
    const all: [string, Knex.QueryBuilder][] = [
      ...queueQueries(db, secondPage),
      ['Stats: instances per top-level state', stats.topLevelStates],
      ['Stats: instances per nested state path', stats.nestedStates],
      ['Stats: stuck milestones', stats.stuckMilestones],
      ['Stats: dead deliveries', stats.deadDeliveries],
    ];
    for (const [title, query] of all) {
      const { plan, ms } = await explain(db, query, title.startsWith('Stats'));
      const seq = /Seq Scan/.test(plan);
      if (seq && !title.startsWith(NOT_A_QUEUE)) seqScans++;
      log(`\n### ${title} — ${ms.toFixed(2)} ms (median of ${TIMED_RUNS - 1})${seq ? '  ← SEQUENTIAL SCAN' : ''}\n`);
      log('```');
      log(plan);
      log('```');
    }
    const timings: number[] = [];
    for (let i = 0; i < TIMED_RUNS; i++) {
      const started = performance.now();
      await countStats(db, STUCK_AFTER_MS);
      timings.push(performance.now() - started);
    }
    log(
      `\nGET /v1/stats counting (countStats, all four statements): median ${median(timings.slice(1)).toFixed(1)} ms, min ${Math.min(...timings).toFixed(1)}, max ${Math.max(...timings).toFixed(1)} ms`,
    );
    if (seqScans > 0) {
      log(`\n${seqScans} statement(s) scan a table sequentially`);
      process.exitCode = 1;
    }
  } finally {
    await db.destroy();
    if (process.env.BENCH_KEEP_DB === '1') log(`kept database ${name}`);
    else await admin((c) => c.query(`DROP DATABASE ${pg.escapeIdentifier(name)} WITH (FORCE)`));
  }
}

await main();
