import { describe, expect, it } from 'vitest';
import { errorsCell, gcCell, probeLatency, type ClientResult } from '../../bench/probe-client.js';

const client = (latencies: number[], sentAt: number[], errors: [string, number][] = []): ClientResult => ({
  latenciesMs: latencies,
  sentAt,
  errors: new Map(errors),
});

describe("the probe's latency summary", () => {
  it('takes the percentiles over every client, and the warm p99 only over requests sent after warm-up', () => {
    // 100 answers: 1..100 ms. The two slowest were sent first (during warm-up), so the warm tail leaves them out.
    const slowFirst = client([100, 99], [0, 1]);
    const rest = client(
      Array.from({ length: 98 }, (_, i) => i + 1),
      Array.from({ length: 98 }, () => 5_000),
    );
    const summary = probeLatency([slowFirst, rest], 2_000);
    expect(summary.p50Ms).toBe(50);
    expect(summary.p99Ms).toBe(99);
    expect(summary.p99WarmMs).toBe(98);
    expect(summary.maxMs).toBe(100);
    // 1..25 of 100 answers are within 25 ms.
    expect(summary.within25).toBe('25 %');
    expect(summary.ok).toBe(100);
    // The two sent during warm-up and the 98 after it, for the CPU per request on each side of the mark.
    expect(summary.sentBeforeWarm).toBe(2);
    expect(summary.sentAfterWarm).toBe(98);
  });

  it('counts refused answers as errors, not as events done, and sums each kind over the clients', () => {
    const a = client([1, 2, 3], [0, 0, 0], [['409 INVALID_TRANSITION', 1]]);
    const b = client(
      [4, 5],
      [0, 0],
      [
        ['409 INVALID_TRANSITION', 1],
        ['429 RATE_LIMITED', 1],
      ],
    );
    const summary = probeLatency([a, b], 0);
    expect(summary.ok).toBe(2);
    expect(errorsCell(summary.errors)).toBe('2× 409 INVALID_TRANSITION, 1× 429 RATE_LIMITED');
    expect(errorsCell(new Map())).toBe(0);
  });

  it('writes GC pauses as count, longest and total', () => {
    expect(gcCell({ count: 3, longestMs: 12.345, totalMs: 20.6 })).toBe('3, 12.3, 21');
  });
});
