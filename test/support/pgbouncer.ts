import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { atExit } from '../chaos/support/at-exit.js';
import { freePort } from '../chaos/support/ports.js';
import { ADMIN_URL } from './databases.js';
import { eventually } from './eventually.js';

/** The PgBouncer binary: Debian puts it in /usr/sbin, which a non-root PATH may lack. */
const PGBOUNCER = ['pgbouncer', '/usr/sbin/pgbouncer'].find((bin) => spawnSync(bin, ['--version']).status === 0);

function pgBouncerBinary(): string {
  if (!PGBOUNCER) throw new Error('PgBouncer is not installed (scripts/ensure-bench-tools.sh installs it)');
  return PGBOUNCER;
}

/** PgBouncer's version as [major, minor], from `pgbouncer --version` ("PgBouncer 1.18.0"). */
export function pgBouncerVersion(): [number, number] {
  const output = execFileSync(pgBouncerBinary(), ['--version'], { encoding: 'utf8' });
  const match = /PgBouncer (\d+)\.(\d+)/.exec(output);
  if (!match) throw new Error('cannot read the PgBouncer version');
  return [Number(match[1]), Number(match[2])];
}

/** 1.21 brought max_prepared_statements: named prepared statements survive transaction pooling from then on. */
export function keepsPreparedStatements([major, minor]: [number, number]): boolean {
  return major > 1 || (major === 1 && minor >= 21);
}

/** A command on the admin console of the PgBouncer on this port (SHOW STATS, SHOW POOLS, …); its rows. */
export async function pgBouncerAdmin(port: number, command: string): Promise<Record<string, unknown>[]> {
  const url = Object.assign(new URL(ADMIN_URL), { port: String(port), pathname: '/pgbouncer' });
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query(command)).rows;
  } finally {
    await client.end();
  }
}

export interface PgBouncerOptions {
  /** Server connections per database and user: fewer than a service's pool, so transactions change servers. */
  poolSize: number;
}

/**
 * A PgBouncer of the test's own in transaction mode on a free loopback port, in front of the test Postgres
 * (127.0.0.1:5432), with every database passed through under its own name and trust authentication for the test
 * role. It refuses to run as root, so as root it drops to `nobody` (its files are world-readable for that).
 */
export class LocalPgBouncer {
  private output = '';
  private readonly unregister: () => void;

  private constructor(
    readonly port: number,
    readonly preparedStatements: boolean,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4_000)));
    this.unregister = atExit(() => child.kill('SIGKILL'));
  }

  static async start({ poolSize }: PgBouncerOptions): Promise<LocalPgBouncer> {
    const dir = await mkdtemp(join(tmpdir(), 'pgbouncer-'));
    const port = await freePort();
    const user = decodeURIComponent(new URL(ADMIN_URL).username);
    const prepared = keepsPreparedStatements(pgBouncerVersion());
    const ini = [
      '[databases]',
      '* = host=127.0.0.1 port=5432',
      '[pgbouncer]',
      `listen_addr = 127.0.0.1`,
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 500',
      `admin_users = ${user}`,
      // node-postgres sends none of these, but other clients of the same pooler might.
      'ignore_startup_parameters = extra_float_digits',
      ...(prepared ? ['max_prepared_statements = 200'] : []),
    ];
    await writeFile(join(dir, 'pgbouncer.ini'), `${ini.join('\n')}\n`);
    await writeFile(join(dir, 'userlist.txt'), `"${user}" ""\n`);
    await chmod(dir, 0o755);
    const asUser = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
    const child = spawn(pgBouncerBinary(), [...asUser, join(dir, 'pgbouncer.ini')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const bouncer = new LocalPgBouncer(port, prepared, dir, child);
    try {
      await eventually(() => pgBouncerAdmin(port, 'SHOW VERSION'), 10_000, 100);
    } catch (error) {
      await bouncer.stop();
      throw new Error(`PgBouncer did not start: ${bouncer.output}`, { cause: error });
    }
    return bouncer;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    this.unregister();
    await rm(this.dir, { recursive: true, force: true });
  }
}
