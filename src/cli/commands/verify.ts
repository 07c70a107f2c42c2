import { WriteStream } from 'node:tty';
import { InvalidArgumentError, type Command } from 'commander';
import { registeredMachines } from '../../../machines/registry.js';
import { countInstances } from '../../replay/instance-batches.js';
import { barReporter, lineReporter, type ProgressReporter } from '../../replay/verify-progress.js';
import { verifyInstances, type Mismatch } from '../../replay/verify-instances.js';
import type { CliRun } from '../cli-run.js';

function parseSince(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new InvalidArgumentError('must be a date, e.g. 2026-01-31 or 2026-01-31T12:00:00Z');
  return date;
}

/** Every registered machine's name, in registration order: milestone, project, payout, adjustment, … */
const machineNames = () => [...new Set(registeredMachines().map((d) => d.name))];

function parseMachine(value: string): string {
  const names = machineNames();
  if (!names.includes(value)) throw new InvalidArgumentError(`must be one of ${names.join(', ')}`);
  return value;
}

function formatMismatch(m: Mismatch): string {
  return [`MISMATCH ${m.machine} ${m.id} (v${m.version}, seq ${m.seq})`, ...m.problems.map((p) => `  - ${p}`)].join(
    '\n',
  );
}

/**
 * `cli verify [--machine NAME] [--since DATE]`: replays every instance of every registered machine (or of one) and
 * checks its snapshot, and a milestone's escrow.
 * Mismatches go to stdout as they are found (the first VERIFY_MAX_REPORTED in full); progress goes to stderr,
 * as a bar on a terminal and as plain lines otherwise. Exit status 1 when anything does not match.
 */
export function registerVerifyCommand(program: Command, run: CliRun): void {
  program
    .command('verify')
    .description('Replay every instance, compare with its stored snapshot and check escrow against the ledger')
    .option('--machine <name>', `only this machine (${machineNames().join(', ')}; default: all)`, parseMachine)
    .option('--since <date>', 'only instances changed at or after this date', parseSince)
    .option('--json', 'print one JSON summary line at the end instead of the text summary')
    .action(async (opts: { machine?: string; since?: Date; json?: boolean }) => {
      const summary = await run.withReadDb(async (db, config) => {
        const filter = { machine: opts.machine, since: opts.since };
        const total = await countInstances(db, filter);
        // A bar only on a terminal; anything else (a file, a pipe, a test's collector) gets plain lines.
        const stderr = run.io.stderr;
        const reporter: ProgressReporter =
          stderr instanceof WriteStream && stderr.isTTY
            ? barReporter(total, stderr)
            : lineReporter(total, (line) => run.err(`${line}\n`), config.VERIFY_PROGRESS_INTERVAL_MS);
        const listed: string[] = [];
        let reported = 0;
        const result = await verifyInstances(
          db,
          {
            ...filter,
            batchSize: config.VERIFY_BATCH_SIZE,
            historyBatchEvents: config.VERIFY_HISTORY_BATCH_EVENTS,
            maxEvents: config.REPLAY_MAX_EVENTS,
          },
          {
            onProgress: (p) => reporter.update(p),
            onMismatch: (m) => {
              if (reported++ < config.VERIFY_MAX_REPORTED) listed.push(formatMismatch(m));
            },
          },
        );
        reporter.stop(result);
        return { result, listed, maxReported: config.VERIFY_MAX_REPORTED };
      });
      const { result, listed, maxReported } = summary;
      // Listed after the progress output ends, so a bar redrawing on stderr never splits a report line.
      for (const text of listed) run.out(`${text}\n`);
      if (result.mismatches > maxReported) run.out(`… and ${result.mismatches - maxReported} more mismatches\n`);
      const rate = result.elapsedMs > 0 ? Math.round((result.events * 1000) / result.elapsedMs) : 0;
      if (opts.json) {
        run.out(
          `${JSON.stringify({ ...result, elapsedMs: Math.round(result.elapsedMs), eventsPerSecond: rate, ok: result.mismatches === 0 })}\n`,
        );
      } else {
        run.out(
          `verified ${result.instances} instances, ${result.events} events in ${(result.elapsedMs / 1000).toFixed(1)}s (${rate} events/s): ` +
            `${result.mismatches === 0 ? 'all match' : `${result.mismatches} mismatch${result.mismatches === 1 ? '' : 'es'}`}\n`,
        );
      }
      if (result.mismatches > 0) run.fail(1);
    });
}
