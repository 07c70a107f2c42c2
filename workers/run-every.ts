/** A background pass repeated on an interval; `stop()` ends the interval and waits for a pass in progress. */
export interface Repeating {
  stop(): Promise<void>;
}

/**
 * Runs `pass` every `intervalMs`, never two at once (a slow pass makes the next tick skip rather than pile up).
 * A failed pass is reported to `onError` and tried again at the next tick: these are sweeps over durable rows,
 * so nothing is lost by waiting.
 */
export function runEvery(intervalMs: number, pass: () => Promise<void>, onError: (error: unknown) => void): Repeating {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = pass()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
