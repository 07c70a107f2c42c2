import { describe, expect, it } from 'vitest';
import { runQueueCell, schedstatAvailable, startRunQueueSplit } from '../../bench/run-queue.js';

// bench/run-queue.ts: time on a core and time waiting for one, per group of processes, from the kernel's schedstat.
describe('the run-queue split', () => {
  it.runIf(schedstatAvailable())("counts the phase's time on a core, not the process's whole life", () => {
    const cpuBefore = process.cpuUsage();
    const stop = startRunQueueSplit({ me: [process.pid] });
    // Spin until this process has used 50 ms of CPU (however long a loaded machine makes that take).
    const until = performance.now() + 5_000;
    while (performance.now() < until) {
      const { user, system } = process.cpuUsage(cpuBefore);
      if (user + system >= 50_000) break;
    }
    const split = stop();
    const { user, system } = process.cpuUsage(cpuBefore);
    const cpuNs = (user + system) * 1000;
    // The kernel's two clocks of the same threads agree closely; the process's time before the phase (its start,
    // the test runner's work) is subtracted, or this would be far larger.
    expect(split.me!.runNs).toBeGreaterThan(cpuNs * 0.75);
    expect(split.me!.runNs).toBeLessThan(cpuNs * 1.25 + 10_000_000);
    expect(split.me!.waitNs).toBeGreaterThanOrEqual(0);
  });

  it('gives each group waiting / running in µs per event, in the order asked', () => {
    const split = { api: { runNs: 4_000_000, waitNs: 1_000_000 }, postgres: { runNs: 2_000_000, waitNs: 3_000_000 } };
    expect(runQueueCell(split, 10, ['api', 'postgres', 'client'])).toBe(
      'api 100 / 400, postgres 300 / 200, client 0 / 0',
    );
    expect(runQueueCell(split, 0, ['api'])).toBe('no events');
  });
});
