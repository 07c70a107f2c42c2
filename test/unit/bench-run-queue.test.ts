import { describe, expect, it } from 'vitest';
import { runQueueCell, schedstatAvailable, startRunQueueSplit } from '../../bench/run-queue.js';

// bench/run-queue.ts: time on a core and time waiting for one, per group of processes, from the kernel's schedstat.
describe('the run-queue split', () => {
  it.runIf(schedstatAvailable())("counts a process's time on a core over the phase", () => {
    const stop = startRunQueueSplit({ me: [process.pid] });
    const until = performance.now() + 60;
    while (performance.now() < until);
    const split = stop();
    // 60 ms of spinning, less whatever of it this thread spent waiting for a core; never nothing, never a negative.
    expect(split.me!.runNs).toBeGreaterThan(10_000_000);
    expect(split.me!.waitNs).toBeGreaterThanOrEqual(0);
    // Postgres's processes are always a group of their own.
    expect(split.postgres).toBeDefined();
  });

  it('gives each group waiting / running in µs per event, in the order asked', () => {
    const split = { api: { runNs: 4_000_000, waitNs: 1_000_000 }, postgres: { runNs: 2_000_000, waitNs: 3_000_000 } };
    expect(runQueueCell(split, 10, ['api', 'postgres', 'client'])).toBe(
      'api 100 / 400, postgres 300 / 200, client 0 / 0',
    );
  });
});
