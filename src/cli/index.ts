import { Command } from 'commander';
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

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
