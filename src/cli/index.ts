import { Command, InvalidArgumentError } from 'commander';
import { SCOPES, createClient, type Scope } from '../auth/tokens.js';
import { loadConfig } from '../config.js';
import { createDb } from '../db/knex.js';
import { ensureDatabase, migrateLatest } from '../db/migrate.js';

function parseScopes(value: string): Scope[] {
  const scopes = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`scopes must be a comma-separated subset of ${SCOPES.join(',')}`);
  }
  return [...new Set(scopes)] as Scope[];
}

const program = new Command('cli').description('Escrow engine administration');
const clients = program.command('clients').description('API clients and their tokens');

clients
  .command('create')
  .description('Create an API client; prints its token once (only a hash is stored)')
  .requiredOption('--name <name>', 'human-readable client name')
  .requiredOption('--scopes <scopes>', `comma-separated: ${SCOPES.join(',')}`, parseScopes)
  .option('--json', 'print one JSON object')
  .action(async (opts: { name: string; scopes: Scope[]; json?: boolean }) => {
    const config = loadConfig();
    await ensureDatabase(config.DATABASE_URL);
    const db = createDb(config.DATABASE_URL, 2);
    try {
      await migrateLatest(db);
      const client = await createClient(db, opts.name, opts.scopes);
      if (opts.json) process.stdout.write(`${JSON.stringify(client)}\n`);
      else process.stdout.write(`client ${client.id} (${client.name}) scopes ${client.scopes.join(',')}\ntoken ${client.token}\n`);
    } finally {
      await db.destroy();
    }
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
