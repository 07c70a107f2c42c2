import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { atExit } from './at-exit.js';
import { freePort } from './ports.js';

const START_TIMEOUT_MS = 10_000;

/**
 * A Redis server of the test's own, on a free port, that the test may kill and restart: the shared Redis on
 * 6379 serves every other test run on this machine and must never be stopped or flushed.
 * Persistence is off (`--save ""`), so a kill or a fresh start loses everything (the equivalent of
 * FLUSHALL); `stopKeepingData` writes one RDB file with SHUTDOWN SAVE so the next start has the jobs back.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async create(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), await mkdtemp(join(tmpdir(), 'chaos-redis-')));
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('private redis is already running');
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ];
    const child = spawn(
      process.env.REDIS_SERVER ?? 'redis-server',
      [...args, '--dir', this.dir, '--dbfilename', 'dump.rdb'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.output = '';
    const forget = atExit(() => child.kill('SIGKILL'));
    child.once('exit', forget);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`private redis did not start:\n${this.output}`)),
        START_TIMEOUT_MS,
      );
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`private redis exited with ${code}:\n${this.output}`));
      });
    });
    child.removeAllListeners('exit');
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
  }

  /** kill -9: everything in memory is gone; with persistence off the next start is empty. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  /** Stops the server after writing its data (delayed timer jobs included) to the RDB file the next start loads. */
  async stopKeepingData(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const admin = new Redis(this.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    admin.on('error', () => undefined);
    await admin.connect();
    // The server closes the connection instead of answering, so the command's rejection is expected.
    await admin.call('SHUTDOWN', 'SAVE').catch(() => undefined);
    admin.disconnect();
    await exited;
    this.child = null;
  }

  /** Starts with no data at all, as after a crash of a Redis without persistence. */
  async startEmpty(): Promise<void> {
    await rm(join(this.dir, 'dump.rdb'), { force: true });
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
