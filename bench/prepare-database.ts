// `node --import tsx bench/prepare-database.ts <databaseUrl>`, run by bench/harness.ts with cwd set to the checkout
// being measured: creates and migrates the scratch database and creates an all-scopes API client with THAT
// checkout's code (another ref's migrations for an A/B run, bench/ab.ts), and prints `token <token>`.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const databaseUrl = process.argv[2];
if (!databaseUrl) throw new Error('usage: prepare-database.ts <databaseUrl>');

// Imported from the working directory rather than relative to this file, which may sit in another checkout.
const load = <T>(path: string) => import(pathToFileURL(join(process.cwd(), path)).href) as Promise<T>;
const { ensureDatabase, migrateLatest } = await load<typeof import('../src/db/migrate.js')>('src/db/migrate.ts');
const { createDb } = await load<typeof import('../src/db/knex.js')>('src/db/knex.ts');
const { createClient, SCOPES } = await load<typeof import('../src/auth/tokens.js')>('src/auth/tokens.ts');

await ensureDatabase(databaseUrl);
const db = createDb(databaseUrl, 2);
try {
  await migrateLatest(db);
  // Client names are unique, and a scratch database may be reused: each run gets its own client.
  const { token } = await createClient(db, `bench-${randomBytes(4).toString('hex')}`, [...SCOPES]);
  process.stdout.write(`token ${token}\n`);
} finally {
  await db.destroy();
}
