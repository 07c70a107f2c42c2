import { Command, CommanderError } from 'commander';
import { ClientAdminError } from '../auth/client-errors.js';
import { CliRun, type CliIo } from './cli-run.js';
import { registerClientCommands } from './commands/clients.js';
import { registerHistoryCommand } from './commands/history.js';
import { registerInstanceCommands } from './commands/instances.js';
import { registerPathsCommand } from './commands/paths.js';
import { registerReconcileCommand } from './commands/reconcile.js';
import { registerStuckCommand } from './commands/stuck.js';
import { registerVerifyCommand } from './commands/verify.js';

// Commander's own reports (help, usage errors) that it has already written through the run's streams.
const ALREADY_WRITTEN = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version']);

function program(run: CliRun, written: { error: boolean }): Command {
  // Set before the commands are added: subcommands copy these settings when created.
  const cli = new Command('cli')
    .description('Escrow engine administration')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => run.out(text),
      writeErr: (text) => run.err(text),
      outputError: (text, write) => {
        written.error = true;
        write(text);
      },
    });
  registerClientCommands(cli, run);
  registerInstanceCommands(cli, run);
  registerPathsCommand(cli, run);
  registerVerifyCommand(cli, run);
  registerHistoryCommand(cli, run);
  registerStuckCommand(cli, run);
  registerReconcileCommand(cli, run);
  return cli;
}

/**
 * Runs one CLI command (`argv` without node and the script, e.g. ['clients', 'list', '--json']) and resolves to
 * its exit status: 0, 2 for an operator's mistake the command names (an existing client name, an unknown client,
 * instances it refused), 1 otherwise. Nothing here exits the process; the bin (index.ts) does that.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const run = new CliRun(io);
  const written = { error: false };
  try {
    await program(run, written).parseAsync(argv, { from: 'user' });
    return run.exitCode;
  } catch (error) {
    if (error instanceof CommanderError && (written.error || ALREADY_WRITTEN.has(error.code))) return error.exitCode;
    run.err(`${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof ClientAdminError ? 2 : 1;
  }
}
