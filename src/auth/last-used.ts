import type { Knex } from 'knex';
import type { Logger } from '../logger.js';

/**
 * Keeps api_clients.last_used_at roughly current without a write per request: each API process writes a
 * client's time at most once per `intervalMs`, after the request that used it, and never waits for the write.
 * So `lastUsedAt` may lag by up to the interval, which is all an operator deciding whether a token is still in
 * use needs. One map entry per client this process has seen.
 */
export class LastUsedRecorder {
  private readonly writtenAtMs = new Map<string, number>();

  constructor(
    private readonly db: Knex,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  touch(clientId: string): void {
    const now = this.now();
    const last = this.writtenAtMs.get(clientId);
    if (last !== undefined && now - last < this.intervalMs) return;
    this.writtenAtMs.set(clientId, now);
    // A lost update only makes last_used_at older than it should be; the request must not wait or fail for it.
    void this.db('api_clients')
      .where({ id: clientId })
      .update({ last_used_at: this.db.fn.now() })
      .then(
        () => undefined,
        (error: unknown) => this.log.debug({ err: error, clientId }, 'last_used_at not written'),
      );
  }
}
