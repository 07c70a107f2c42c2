import { EventEmitter } from 'node:events';
import pg from 'pg';
import { INSTANCE_CHANNEL } from '../engine/write-transition.js';
import type { Logger } from '../logger.js';

/**
 * One LISTEN connection per API process that turns `instance_changed` notifications into in-process events,
 * so `?wait=settled` requests wake on commit instead of polling the database in a tight loop.
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | null = null;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly reconnectMs: number,
    private readonly log: Logger,
  ) {
    // Many concurrent waiters on one id are legitimate; each removes its listener when done.
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', (msg) => this.emitter.emit(msg.payload ?? '', msg.payload));
    client.on('error', (error) => {
      // Waiters re-check on their own timer, so a lost listener only makes them slower until it is back.
      this.log.warn({ err: error }, 'change feed listener lost; reconnecting');
      this.client = null;
      setTimeout(() => void this.restart(), this.reconnectMs).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${INSTANCE_CHANNEL}`);
    this.client = client;
  }

  private async restart(): Promise<void> {
    if (this.stopped || this.client) return;
    await this.start().catch(() => setTimeout(() => void this.restart(), this.reconnectMs).unref());
  }

  /** Resolves at the next change of `id` or after `ms`, whichever is first. */
  nextChange(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(id, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.on(id, done);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
