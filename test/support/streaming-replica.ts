import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { atExit } from '../chaos/support/at-exit.js';
import { freePort } from '../chaos/support/ports.js';
import { ADMIN_URL } from './databases.js';

const run = promisify(execFile);
const TOOL_TIMEOUT_S = 60;
// A hot standby refuses to start with less of these than its primary has (Postgres docs, "Hot Standby").
const MATCHED_SETTINGS = [
  'max_connections',
  'max_worker_processes',
  'max_wal_senders',
  'max_prepared_transactions',
  'max_locks_per_transaction',
];

function pgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const newest = readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(a) - Number(b))
    .pop();
  if (!newest) throw new Error('no PostgreSQL found under /usr/lib/postgresql (set PG_BIN)');
  return `/usr/lib/postgresql/${newest}/bin`;
}

/** As root, Postgres tools run as the `postgres` user (the server refuses to run as root) and it owns the files. */
function command(name: string, args: string[]): [string, string[]] {
  const bin = join(pgBin(), name);
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

async function postgresIds(): Promise<[number, number]> {
  const [uid, gid] = await Promise.all(
    ['-u', '-g'].map(async (f) => Number((await run('id', [f, 'postgres'])).stdout)),
  );
  return [uid!, gid!];
}

async function primarySettings(): Promise<string[]> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ name: string; setting: string }>(
      'SELECT name, setting FROM pg_settings WHERE name = ANY($1)',
      [MATCHED_SETTINGS],
    );
    return rows.flatMap((r) => ['-c', `${r.name}=${r.setting}`]);
  } finally {
    await admin.end();
  }
}

/**
 * A real streaming replica of the shared test cluster (127.0.0.1:5432): `pg_basebackup -R -X stream` into a temp
 * dir, then a hot standby on a free port that streams from the primary. The primary must accept replication
 * connections from loopback (scripts/ensure-services.sh adds the pg_hba.conf line). `destroy()` stops it and
 * removes the directory; an exit hook does the same if the test process dies first.
 */
export class StreamingReplica {
  private running = false;
  private forgetExitCleanup: () => void = () => undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async create(): Promise<StreamingReplica> {
    const dir = await mkdtemp(join(tmpdir(), 'read-replica-'));
    const replica = new StreamingReplica(await freePort(), dir);
    replica.forgetExitCleanup = atExit(() => {
      if (replica.running)
        execFileSync(...command('pg_ctl', ['-D', replica.dataDir, '-m', 'immediate', '-w', 'stop']), {
          stdio: 'ignore',
        });
      rmSync(dir, { recursive: true, force: true });
    });
    try {
      await replica.clonePrimary();
      await replica.start();
    } catch (error) {
      await replica.destroy();
      throw error;
    }
    return replica;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  url(database: string): string {
    return `postgres://root@127.0.0.1:${this.port}/${database}`;
  }

  /** One statement on the replica, on its own connection. */
  async query<R extends pg.QueryResultRow>(database: string, text: string): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query<R>(text)).rows;
    } finally {
      await client.end();
    }
  }

  private async clonePrimary(): Promise<void> {
    const owner = process.getuid?.() === 0 ? await postgresIds() : null;
    if (owner) await chown(this.dir, ...owner);
    await chmod(this.dir, 0o700);
    const primary = new URL(ADMIN_URL);
    // -c fast: an immediate checkpoint, instead of waiting for a spread one to finish.
    await this.tool('pg_basebackup', [
      ...['-h', primary.hostname, '-p', primary.port || '5432', '-U', decodeURIComponent(primary.username)],
      ...['-D', this.dataDir, '-R', '-X', 'stream', '-c', 'fast'],
    ]);
    // Debian keeps the configuration outside the data directory, so the copy has none: give it its own.
    const files: [string, string][] = [
      ['pg_hba.conf', 'local all all trust\nhost all all 127.0.0.1/32 trust\n'],
      ['pg_ident.conf', ''],
      ['postgresql.conf', ''],
    ];
    for (const [name, text] of files) {
      await writeFile(join(this.dataDir, name), text, { mode: 0o600 });
      if (owner) await chown(join(this.dataDir, name), ...owner);
    }
  }

  private async start(): Promise<void> {
    const options = [
      ...['-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'hot_standby=on'],
      ...(await primarySettings()),
    ].join(' ');
    await this.tool('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.dir, 'log'), '-w', 'start']);
    this.running = true;
  }

  async destroy(): Promise<void> {
    if (this.running) {
      await this.tool('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      this.running = false;
    }
    await rm(this.dir, { recursive: true, force: true });
    this.forgetExitCleanup();
  }

  private async tool(name: string, args: string[]): Promise<void> {
    const [file, argv] = command(name, [...args, ...(name === 'pg_ctl' ? ['-t', String(TOOL_TIMEOUT_S)] : [])]);
    try {
      await run(file, argv, { timeout: (TOOL_TIMEOUT_S + 10) * 1000 });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      const log = await readFile(join(this.dir, 'log'), 'utf8').catch(() => '');
      throw new Error(`${name} failed: ${e.message}\n${e.stderr ?? ''}\n${log.slice(-4_000)}`, { cause: error });
    }
  }
}
