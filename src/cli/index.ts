import { Command } from 'commander';
import { ClientAdminError } from '../auth/client-errors.js';
import { registerClientCommands } from './commands/clients.js';
import { registerInstanceCommands } from './commands/instances.js';
import { registerPathsCommand } from './commands/paths.js';
import { registerHistoryCommand } from './commands/history.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerStuckCommand } from './commands/stuck.js';

// `npm run --silent cli -- <command>`. Each command group lives in its own file under commands/.
const program = new Command('cli').description('Escrow engine administration');
registerClientCommands(program);
registerInstanceCommands(program);
registerPathsCommand(program);
registerVerifyCommand(program);
registerHistoryCommand(program);
registerStuckCommand(program);

// Exit 2 for an operator's mistake the command names (an existing client name, an unknown client), 1 otherwise.
program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(error instanceof ClientAdminError ? 2 : 1);
});
