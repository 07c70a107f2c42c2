import type { SignalBus } from '../signals/signal-bus.js';

/**
 * Turns "instance changed" signals (src/signals/signal-bus.ts) into wake-ups of the `?wait=settled` requests
 * waiting on those instances, so they wake when their settlement commits instead of polling the database in a
 * tight loop. The settlement worker sends them: settling states are left only by SETTLED or SETTLEMENT_FAILED.
 * A lost signal only makes a waiter slower (it re-reads every WAIT_RECHECK_MS). Waiters are kept in a map by
 * instance id, not as EventEmitter events: ids are the clients' own, and one named "error" would have thrown.
 */
export class ChangeFeed {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly signals: SignalBus) {}

  start(): void {
    this.signals.onInstanceChanged((id) => {
      const wake = this.waiters.get(id);
      if (wake) for (const done of [...wake]) done();
    });
  }

  /** Resolves at the next change of `id` or after `ms`, whichever is first. */
  nextChange(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const set = this.waiters.get(id);
        set?.delete(done);
        if (set?.size === 0) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const set = this.waiters.get(id) ?? new Set();
      set.add(done);
      this.waiters.set(id, set);
    });
  }
}
