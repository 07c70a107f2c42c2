import { InvalidArgumentError, type Command } from 'commander';
import type { MachineName } from '../../../machines/registry.js';
import { instanceRulesFrom } from '../../engine/instance-rules.js';
import { migrateInstances } from '../../engine/migrate-instances.js';
import type { CliRun } from '../cli-run.js';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const machineName = (value: string): MachineName => {
  if (value !== 'milestone' && value !== 'project') throw new InvalidArgumentError('must be milestone or project');
  return value;
};

export function registerInstanceCommands(program: Command, run: CliRun): void {
  const instances = program.command('instances').description('machine instances');
  instances
    .command('migrate')
    .description('Move instances to another machine version, with a MIGRATE history entry each (audited)')
    .requiredOption('--machine <name>', 'milestone or project', machineName)
    .requiredOption('--from <version>', 'current version', positiveInt)
    .requiredOption('--to <version>', 'target version', positiveInt)
    .option('--dry-run', 'list what would move and what would be refused; write nothing')
    .option('--actor <name>', 'recorded as the actor of each history entry', `cli:${run.io.env.USER ?? 'operator'}`)
    .option('--batch-size <n>', 'instances read per page', positiveInt, 500)
    .option('--json', 'print the report as one JSON object')
    .action(
      async (opts: {
        machine: MachineName;
        from: number;
        to: number;
        dryRun?: boolean;
        actor: string;
        batchSize: number;
        json?: boolean;
      }) => {
        const report = await run.withDb((db, config) =>
          migrateInstances(db, { ...opts, dryRun: opts.dryRun === true }, instanceRulesFrom(config)),
        );
        if (opts.json) {
          run.out(`${JSON.stringify({ dryRun: opts.dryRun === true, ...report })}\n`);
        } else {
          const verb = opts.dryRun ? 'would migrate' : 'migrated';
          run.out(`${verb} ${report.migrated.length} ${opts.machine} instance(s) from v${opts.from} to v${opts.to}\n`);
          for (const r of report.refused) run.out(`refused ${r.id} (${JSON.stringify(r.state)}): ${r.reason}\n`);
        }
        if (report.refused.length > 0) run.fail(2);
      },
    );
}
