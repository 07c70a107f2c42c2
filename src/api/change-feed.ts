import { EventEmitter } from 'node:events';
import type { SignalBus } from '../signals/signal-bus.js';

/**
 * Turns "instance changed" signals (src/signals/signal-bus.ts) into in-process events, so `?wait=settled`
 * requests wake when their settlement commits instead of polling the database in a tight loop. The settlement
 * worker sends them: settling states are left only by SETTLED or SETTLEMENT_FAILED. A lost signal only makes a
 * waiter slower (it re-reads every WAIT_RECHECK_MS).
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter();

  constructor(private readonly signals: SignalBus) {
    // Many concurrent waiters on one id are legitimate; each removes its listener when done.
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    await this.signals.onInstanceChanged((id) => this.emitter.emit(id, id));
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
}
