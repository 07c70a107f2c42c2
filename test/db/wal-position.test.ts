import { describe, expect, it } from 'vitest';
import { parseLsn, replicaAsOf } from '../../src/db/wal-position.js';

describe('WAL positions', () => {
  it('reads both halves of a position so that later positions compare greater', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/3000148')).toBe(0x3000148n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(() => parseLsn('3000148')).toThrow(/not a WAL position/);
  });

  it('dates a replica by the latest primary position it has replayed past', () => {
    const samples = [
      { lsn: 100n, at: 1_000 },
      { lsn: 200n, at: 2_000 },
      { lsn: 200n, at: 3_000 },
      { lsn: 350n, at: 4_000 },
    ];
    // Caught up: as current as the newest sample.
    expect(replicaAsOf(samples, 350n)).toBe(4_000);
    // The primary was idle between 2 s and 3 s: a replica at 200 holds everything committed before 3 s.
    expect(replicaAsOf(samples, 200n)).toBe(3_000);
    expect(replicaAsOf(samples, 349n)).toBe(3_000);
    expect(replicaAsOf(samples, 150n)).toBe(1_000);
    // Behind every sample: how far is unknown.
    expect(replicaAsOf(samples, 99n)).toBeNull();
    expect(replicaAsOf([], 500n)).toBeNull();
  });
});
