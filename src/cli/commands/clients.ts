import { InvalidArgumentError, type Command } from 'commander';
import { SCOPES, createClient, type Scope } from '../../auth/tokens.js';
import { withDb } from '../with-db.js';

function parseScopes(value: string): Scope[] {
  const scopes = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`scopes must be a comma-separated subset of ${SCOPES.join(',')}`);
  }
  return [...new Set(scopes)] as Scope[];
}

export function registerClientCommands(program: Command): void {
  const clients = program.command('clients').description('API clients and their tokens');
  clients
    .command('create')
    .description('Create an API client; prints its token once (only a hash is stored)')
    .requiredOption('--name <name>', 'human-readable client name')
    .requiredOption('--scopes <scopes>', `comma-separated: ${SCOPES.join(',')}`, parseScopes)
    .option('--json', 'print one JSON object')
    .action(async (opts: { name: string; scopes: Scope[]; json?: boolean }) => {
      const client = await withDb((db) => createClient(db, opts.name, opts.scopes));
      if (opts.json) process.stdout.write(`${JSON.stringify(client)}\n`);
      else
        process.stdout.write(
          `client ${client.id} (${client.name}) scopes ${client.scopes.join(',')}\ntoken ${client.token}\n`,
        );
    });
}
