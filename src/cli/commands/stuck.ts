import { Queue } from 'bullmq';
import { InvalidArgumentError, type Command } from 'commander';
import { jobOptions, QUEUE_NAMES } from '../../jobs/queues.js';
import type { Config } from '../../config.js';
import { redisConnection } from '../../net/redis-connection.js';
import type { Db } from '../../db/knex.js';
import { listStuck, stuckSummary, type StuckInstance } from '../../stuck/find-stuck.js';
import { commandsInLiveJobs } from '../../jobs/requeue.js';
import { redriveInstance, type RedriveResult } from '../../stuck/redrive.js';
import type { CliRun } from '../cli-run.js';

const nonNegativeInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number of milliseconds');
  return n;
};

function line(s: StuckInstance): string {
  return `${s.id}  ${s.machine}@${s.version}  ${JSON.stringify(s.state)}  seq ${s.seq}  since ${s.since.toISOString()}  (${Math.round(s.ageMs / 1000)} s)`;
}

/** Every stuck instance, page by page (STUCK_LIST_MAX per page): `--all` must not stop at the first page. */
async function* allStuck(db: Db, afterMs: number, pageSize: number): AsyncGenerator<StuckInstance> {
  let after = '0';
  for (;;) {
    const page = await listStuck(db, afterMs, pageSize, after);
    yield* page.items;
    if (page.next === null) return;
    after = page.next;
  }
}

async function withSettlementQueue<T>(
  db: Db,
  config: Config,
  work: (queue: Queue, deploymentId: string) => Promise<T>,
): Promise<T> {
  const deployment: { id: string } | undefined = await db('deployment').first('id');
  if (!deployment) throw new Error('the database has no deployment row; was it migrated?');
  // Fail fast when Redis is away rather than hang: the operator sees the error and can retry.
  const connection = redisConnection(config, { maxRetriesPerRequest: 1 });
  const queue = new Queue(QUEUE_NAMES.settlement, {
    connection,
    prefix: config.bullmqPrefix,
    defaultJobOptions: jobOptions(config),
  });
  try {
    return await work(queue, deployment.id);
  } finally {
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

/**
 * `cli stuck [--json]`: milestones whose settlement has been in flight longer than STUCK_AFTER_MS.
 * `cli stuck redrive <id>` / `cli stuck redrive --all`: put their settlement job back on the queue.
 */
export function registerStuckCommand(program: Command, run: CliRun): void {
  const stuck = program
    .command('stuck')
    .description('Instances stuck in a settlement-in-flight state longer than STUCK_AFTER_MS');
  // `list` is the default, so `cli stuck --json` lists. The options live on the subcommands only: commander
  // would otherwise let the parent swallow a `--json` meant for `redrive`.
  stuck
    .command('list', { isDefault: true })
    .description('List them (the default)')
    .option('--json', 'print one JSON object {count, oldest, thresholdMs, items}')
    .option('--after-ms <ms>', 'threshold instead of STUCK_AFTER_MS', nonNegativeInt)
    .action(async (opts: { json?: boolean; afterMs?: number }) => {
      const report = await run.withDb(async (db, config) => {
        const afterMs = opts.afterMs ?? config.STUCK_AFTER_MS;
        const [summary, page] = await Promise.all([
          stuckSummary(db, afterMs),
          listStuck(db, afterMs, config.STUCK_LIST_MAX),
        ]);
        return { ...summary, items: page.items, listed: page.items.length };
      });
      if (opts.json) {
        run.out(`${JSON.stringify(report)}\n`);
        return;
      }
      run.out(`${report.count} instance(s) settling for longer than ${report.thresholdMs} ms\n`);
      for (const s of report.items) run.out(`  ${line(s)}\n`);
      if (report.count > report.listed) run.out(`  … and ${report.count - report.listed} more\n`);
      if (report.count > 0) run.out('re-drive with: npm run --silent cli -- stuck redrive <id> (or --all)\n');
    });

  stuck
    .command('redrive')
    .description('Re-enqueue the settlement job of a settling instance (safe to repeat; workers are idempotent)')
    .argument('[id]', 'milestone id (any settling instance, however recent)')
    .option('--all', 'every instance stuck longer than STUCK_AFTER_MS (or --after-ms)')
    .option('--after-ms <ms>', 'threshold for --all instead of STUCK_AFTER_MS', nonNegativeInt)
    .option('--json', 'print one JSON object {results, counts}')
    .action(async (id: string | undefined, opts: { all?: boolean; afterMs?: number; json?: boolean }) => {
      if ((id === undefined) === (opts.all !== true))
        throw new InvalidArgumentError('give either an instance id or --all');
      const results = await run.withDb((db, config) =>
        withSettlementQueue(db, config, async (queue, deploymentId) => {
          const done: RedriveResult[] = [];
          // Every live settlement job is read once for the run, not once per instance.
          let carried: Promise<Set<string>> | undefined;
          const carriedOnce = () => (carried ??= commandsInLiveJobs(queue));
          if (id !== undefined) {
            done.push(await redriveInstance(db, queue, deploymentId, id));
          } else {
            for await (const s of allStuck(db, opts.afterMs ?? config.STUCK_AFTER_MS, config.STUCK_LIST_MAX)) {
              done.push(await redriveInstance(db, queue, deploymentId, s.id, carriedOnce));
            }
          }
          return done;
        }),
      );
      const counts: Record<string, number> = {};
      for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      if (opts.json) {
        run.out(`${JSON.stringify({ results, counts })}\n`);
      } else {
        for (const r of results) run.out(`${r.id}: ${r.outcome}${r.outboxId ? ` (outbox ${r.outboxId})` : ''}\n`);
        run.out(`re-drove ${counts.enqueued ?? 0} of ${results.length} instance(s)\n`);
      }
      // Something asked for could not be re-driven: say so in the exit status too.
      if (results.some((r) => r.outcome === 'not_found' || r.outcome === 'no_settlement_row')) run.fail(2);
    });
}
