import { describe, expect, it } from 'vitest';
import { floorPhase } from '../../bench/probe-floor.js';

// `npm run bench:probe-floor` must keep working: one short phase of the probe's client against the stand-in.
// Not a measurement (other test files share the cores); it checks that the stand-in answers every event and
// that the time it is given (busy, then the delay) is a floor under the latencies the client reports.
describe("the probe's floor", () => {
  it('drives 16 clients against a stand-in that answers after the delay, with no errors', async () => {
    const row = await floorPhase(20, 0.5, 2);
    expect(row['stand-in delay ms']).toBe(20);
    expect(row['stand-in busy ms']).toBe(0.5);
    expect(row.errors).toBe(0);
    // 16 clients, one request at a time, 20 ms each: at most 800 events/s, and some in 2 s.
    expect(Number(row['events/s'])).toBeGreaterThan(0);
    expect(Number(row['events/s'])).toBeLessThanOrEqual(16 * (1000 / 20));
    expect(Number(row['p50 ms'])).toBeGreaterThanOrEqual(20.5);
    expect(Number(row['p99 ms'])).toBeGreaterThanOrEqual(Number(row['p50 ms']));
    expect(String(row['client GC pauses: n, longest, total ms'])).toMatch(/^\d+, \d+\.\d, \d+$/);
  }, 60_000);
});
