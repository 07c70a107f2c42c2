import { loadConfig, type Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { ReadMeta } from '../db/reader.js';
import { withDb, withReadDb } from './with-db.js';

/** Where a CLI run writes: process.stdout/stderr for the bin, a string collector in a test. */
export interface CliStream {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** What the run reads its configuration from (process.env for the bin). */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * One CLI invocation: its output streams, its environment and the exit status its command chose. Commands take
 * it instead of touching process.*, so a test runs the CLI in its own process, many times, side by side.
 */
export class CliRun {
  private status = 0;

  constructor(readonly io: CliIo) {}

  get exitCode(): number {
    return this.status;
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  /** The command finished but not everything it was asked to do happened: the worst status of the run wins. */
  fail(code: number): void {
    this.status = Math.max(this.status, code);
  }

  config(): Config {
    return loadConfig(this.io.env);
  }

  withDb<T>(work: (db: Db, config: Config) => Promise<T>): Promise<T> {
    return withDb(this.config(), work);
  }

  /** For commands that only read: the replica when DATABASE_READ_URL names one (with-db.ts). */
  withReadDb<T>(work: (db: Db, config: Config, meta: ReadMeta) => Promise<T>): Promise<T> {
    return withReadDb(this.config(), (db, config, meta) => {
      // Said on stderr, beside the progress lines, so a report on stdout reads the same wherever it came from.
      if (meta.source === 'replica') this.err(`reading from the replica, data as of ${meta.asOf?.toISOString()}\n`);
      else if (meta.reason !== 'no_replica') this.err(`reading from the primary: the replica is ${meta.reason}\n`);
      return work(db, config, meta);
    });
  }
}
