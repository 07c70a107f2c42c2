import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { atExit } from './at-exit.js';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const OUTPUT_KEPT_CHARS = 20_000;
const ERROR_LINES_KEPT = 50;

export type Role = 'api' | 'workers';

/**
 * One role of the real service (`node --import tsx src/main.ts api|workers`) as a child process, the way a
 * supervisor runs it: the test kills it with SIGKILL at random moments and starts it again with the same
 * environment. Exits the test did not cause are recorded, so a crash of the service itself fails the test.
 */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private output = '';
  private partial = '';
  private expectingExit = false;
  /** Log lines at error level and above (pino levels 50, 60), kept apart so a flood of other lines cannot hide them. */
  readonly errorLines: string[] = [];
  readonly unexpectedExits: string[] = [];

  constructor(
    readonly role: Role,
    private readonly env: Record<string, string>,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once it reports it is serving (API listening, workers running). */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.role} is already running`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', this.role], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.expectingExit = false;
    const forget = atExit(() => child.kill('SIGKILL'));
    child.once('exit', forget);
    const ready = this.role === 'api' ? 'escrow API listening on' : 'escrow workers running';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.role} did not start in time:\n${this.tail()}`)),
        START_TIMEOUT_MS,
      );
      let seen: string | null = '';
      child.stdout.on('data', (chunk: Buffer) => {
        this.keep(chunk);
        if (seen === null) return;
        seen += chunk.toString();
        if (seen.includes(ready)) {
          seen = null;
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr.on('data', (chunk: Buffer) => this.keep(chunk));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!this.expectingExit) {
          this.unexpectedExits.push(
            `${this.role} (pid ${child.pid}) exited on its own: code ${code}, signal ${signal}`,
          );
        }
        if (this.child === child) this.child = null;
        reject(new Error(`${this.role} exited (code ${code}, signal ${signal}):\n${this.tail()}`));
      });
    });
  }

  /** kill -9 at whatever point it is: open transactions roll back, BullMQ locks are left to expire. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectingExit = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM (graceful shutdown), SIGKILL if it takes too long; used only to clean up after the test. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectingExit = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** The last lines the process wrote (warn and above), for failure messages. */
  tail(chars = 6_000): string {
    const errors = this.errorLines.length > 0 ? `errors logged:\n${this.errorLines.join('\n')}\nlast output:\n` : '';
    return `${errors}${this.output.slice(-chars)}`;
  }

  private keep(chunk: Buffer): void {
    const text = chunk.toString();
    this.output = (this.output + text).slice(-OUTPUT_KEPT_CHARS);
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      // pino-http's own line for every 5xx answer ("request errored") would crowd out the cause; 503s are expected.
      if (
        /"level":(50|60)/.test(line) &&
        !line.includes('"msg":"request errored"') &&
        this.errorLines.length < ERROR_LINES_KEPT
      ) {
        this.errorLines.push(line);
      }
    }
  }
}
