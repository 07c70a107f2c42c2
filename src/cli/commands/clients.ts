import { InvalidArgumentError, type Command } from 'commander';
import { findClient, listClients, revokeClient, rotateClient, type ClientView } from '../../auth/client-admin.js';
import { SCOPES, createClient, type Scope } from '../../auth/tokens.js';
import type { CliRun } from '../cli-run.js';
import { signalClientChanged } from '../client-signal.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
// Ten years: a token meant to live longer should have no expiry at all, and a typo should not.
const EXPIRES_IN_MAX_MS = 10 * 365 * UNIT_MS.d!;

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

/** `30d`, `12h`, `45m`, `90s`: a duration from now. */
function parseExpiresIn(value: string): number {
  const match = /^([1-9][0-9]{0,9})([smhd])$/.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : NaN;
  if (!(ms > 0 && ms <= EXPIRES_IN_MAX_MS)) {
    throw new InvalidArgumentError('must be a number and a unit (s, m, h, d), e.g. 30d, at most ten years');
  }
  return ms;
}

const expiryFrom = (ms: number | undefined) => (ms === undefined ? undefined : new Date(Date.now() + ms));

function print(run: CliRun, json: boolean | undefined, value: unknown, text: string): void {
  run.out(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

/** Running API processes drop the client from their token caches now; if Redis is away, within AUTH_CACHE_MS. */
async function announce(run: CliRun, clientId: string): Promise<void> {
  const sent = await signalClientChanged(run.config(), clientId);
  if (!sent) {
    run.err('warning: could not reach Redis to tell the API processes; they drop the old token within AUTH_CACHE_MS\n');
  }
}

function describe(c: ClientView): string {
  const state = c.revokedAt ? `revoked ${c.revokedAt}` : c.expiresAt ? `expires ${c.expiresAt}` : 'no expiry';
  return `${c.id}  ${c.name}  [${c.scopes.join(',')}]  created ${c.createdAt}  last used ${c.lastUsedAt ?? 'never'}  ${state}`;
}

export function registerClientCommands(program: Command, run: CliRun): void {
  const clients = program.command('clients').description('API clients and their tokens (docs/security.md)');
  clients
    .command('create')
    .description('Create an API client; prints its token once (only a hash is stored)')
    .requiredOption('--name <name>', 'unique human-readable client name')
    .requiredOption('--scopes <scopes>', `comma-separated: ${SCOPES.join(',')}`, parseScopes)
    .option('--expires-in <duration>', 'the token stops working after this long, e.g. 30d, 12h', parseExpiresIn)
    .option('--json', 'print one JSON object')
    .action(async (opts: { name: string; scopes: Scope[]; expiresIn?: number; json?: boolean }) => {
      const expiresAt = expiryFrom(opts.expiresIn) ?? null;
      const client = await run.withDb((db) => createClient(db, opts.name, opts.scopes, { expiresAt }));
      const { id, name, scopes, token } = client;
      const expires = expiresAt?.toISOString() ?? null;
      print(
        run,
        opts.json,
        { id, name, scopes, expiresAt: expires, token },
        `client ${id} (${name}) scopes ${scopes.join(',')}${expires ? ` expires ${expires}` : ''}\ntoken ${token}`,
      );
    });

  clients
    .command('list')
    .description('List every client, revoked and expired ones included (never a token)')
    .option('--json', 'print one JSON object {items: [...]}')
    .action(async (opts: { json?: boolean }) => {
      const items = await run.withDb(async (db, config) => {
        const all: ClientView[] = [];
        let cursor: string | undefined;
        do {
          const page = await listClients(db, config.LIST_LIMIT_MAX, cursor);
          all.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        return all;
      });
      print(run, opts.json, { items }, items.length ? items.map(describe).join('\n') : '(no clients)');
    });

  clients
    .command('revoke')
    .description('Revoke a client: its token answers 401 on every API process within seconds')
    .argument('<client>', 'client id or name')
    .option('--json', 'print the client as one JSON object')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const client = await run.withDb((db) => revokeClient(db, ref));
      await announce(run, client.id);
      print(run, opts.json, client, `revoked ${describe(client)}`);
    });

  clients
    .command('rotate')
    .description('Give a client a new token (printed once); the old token stops working')
    .argument('<client>', 'client id or name')
    .option('--expires-in <duration>', 'a new expiry from now for the new token, e.g. 30d', parseExpiresIn)
    .option('--json', 'print the client and its new token as one JSON object')
    .action(async (ref: string, opts: { expiresIn?: number; json?: boolean }) => {
      const client = await run.withDb((db) => rotateClient(db, ref, { expiresAt: expiryFrom(opts.expiresIn) }));
      await announce(run, client.id);
      print(run, opts.json, client, `rotated ${describe(client)}\ntoken ${client.token}`);
    });

  clients
    .command('show')
    .description('Show one client (never its token)')
    .argument('<client>', 'client id or name')
    .option('--json', 'print one JSON object')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const client = await run.withDb((db) => findClient(db, ref));
      print(run, opts.json, client, describe(client));
    });
}
