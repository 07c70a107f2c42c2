import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { atExit } from './at-exit.js';
import { freePort } from './ports.js';

const run = promisify(execFile);
const PG_CTL_TIMEOUT_S = 30;

/** The newest installed PostgreSQL's bin directory (Debian layout), unless PG_BIN names one. */
function pgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(a) - Number(b));
  const newest = versions[versions.length - 1];
  if (!newest) throw new Error('no PostgreSQL found under /usr/lib/postgresql (set PG_BIN)');
  return `/usr/lib/postgresql/${newest}/bin`;
}

/**
 * A PostgreSQL cluster of the test's own (initdb into a temp dir, a free port, trust auth for `root`), which the
 * test may crash and restart: the shared server on 5432 runs every other test and must never be touched.
 * Postgres refuses to run as root, so as root its tools run as the `postgres` user, which owns the directory.
 */
export class PrivatePostgres {
  running = false;
  private forgetExitCleanup: () => void = () => undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async create(): Promise<PrivatePostgres> {
    const dir = await mkdtemp(join(tmpdir(), 'chaos-pg-'));
    const pg = new PrivatePostgres(await freePort(), dir);
    pg.forgetExitCleanup = atExit(() => {
      if (pg.running)
        execFileSync(...pg.command('pg_ctl', ['-D', pg.dataDir, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    });
    try {
      if (process.getuid?.() === 0) await chown(dir, ...(await postgresIds()));
      await pg.tool('initdb', ['-D', pg.dataDir, '-A', 'trust', '-U', 'root', '--no-sync', '-E', 'UTF8']);
      await pg.start();
    } catch (error) {
      await pg.destroy();
      throw error;
    }
    return pg;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  url(database: string): string {
    return `postgres://root@127.0.0.1:${this.port}/${database}`;
  }

  /**
   * fsync is off: the crashes here are process crashes (`-m immediate` is SIGQUIT to every backend), after
   * which the kernel still holds every WAL page Postgres wrote, so recovery sees all committed work; only an
   * OS crash would need the flush, and skipping it keeps the suite fast.
   */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.tool('pg_ctl', [
      '-D',
      this.dataDir,
      '-o',
      options,
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-t',
      String(PG_CTL_TIMEOUT_S),
      'start',
    ]);
    this.running = true;
  }

  /** `fast`: clients are disconnected, a checkpoint is written. `immediate`: a crash; the next start recovers from WAL. */
  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    await this.tool('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', String(PG_CTL_TIMEOUT_S), 'stop']);
    this.running = false;
  }

  async logTail(chars = 4_000): Promise<string> {
    const text = await readFile(join(this.dir, 'log'), 'utf8').catch(() => '');
    return text.slice(-chars);
  }

  async destroy(): Promise<void> {
    if (this.running) await this.stop('immediate').catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
    this.forgetExitCleanup();
  }

  /** As root, Postgres tools run as the `postgres` user (the server refuses to run as root). */
  private command(name: string, args: string[]): [string, string[]] {
    const bin = join(pgBin(), name);
    return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  }

  private async tool(name: string, args: string[]): Promise<void> {
    const [file, argv] = this.command(name, args);
    try {
      await run(file, argv, { timeout: (PG_CTL_TIMEOUT_S + 10) * 1000 });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `${name} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}\n${await this.logTail()}`,
        { cause: error },
      );
    }
  }
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return [Number(uid.trim()), Number(gid.trim())];
}
