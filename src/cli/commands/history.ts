import type { Command } from 'commander';
import { historyPage } from '../../history/history-page.js';
import type { InstanceRow } from '../../engine/instance-row.js';
import { NotFoundError } from '../../errors/index.js';
import { timelineTable, type TimelineEntry } from '../../replay/timeline-table.js';
import type { CliRun } from '../cli-run.js';

/** `cli history <id>`: a milestone's or project's timeline as a table, read page by page like the API does. */
export function registerHistoryCommand(program: Command, run: CliRun): void {
  program
    .command('history')
    .description('Print the timeline of a milestone or project: who did what, state before → after, money moved')
    .argument('<id>', 'milestone or project id')
    .action(async (id: string) => {
      const text = await run.withReadDb(async (db, config) => {
        const row = await db<InstanceRow>('instances').where({ id }).first();
        if (!row) throw new NotFoundError(`No milestone or project with id ${id}.`);
        const entries: TimelineEntry[] = [];
        let after = 0;
        // Bounded like replay: a runaway history is cut, and the cut is said out loud.
        while (entries.length < config.REPLAY_MAX_EVENTS) {
          const page = await historyPage(
            db,
            id,
            after,
            Math.min(config.LIST_LIMIT_MAX, config.REPLAY_MAX_EVENTS - entries.length),
          );
          entries.push(...(page.items as TimelineEntry[]));
          if (page.nextCursor === null) break;
          after = Number(page.nextCursor);
        }
        const head = `${row.machine} ${row.id} — ${JSON.stringify(row.snapshot.value)}, seq ${row.seq}, ${row.machine}@${row.version}`;
        const cutNote = entries.length < row.seq ? `\n(first ${entries.length} of ${row.seq} events)` : '';
        return `${head}\n\n${entries.length ? timelineTable(entries) : '(no events yet)'}${cutNote}\n`;
      });
      run.out(text);
    });
}
