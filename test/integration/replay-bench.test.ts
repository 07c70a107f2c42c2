import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The benchmark itself stays out of the suite; this only proves it runs end to end: it seeds valid
// histories (verify finds no mismatch, or the bench exits non-zero) and prints its table.
describe('bench/replay.ts with a tiny N', () => {
  it('seeds, runs both phases and prints the comparison table', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'bench/replay.ts', '40'], {
      env: { ...process.env, BENCH_ROUNDS: '1' },
      cwd: process.cwd(),
    });
    expect(stdout).toMatch(/replay benchmark, N = 40 milestones/);
    expect(stdout).toMatch(/^bare xstate loop\s+40\s+\d+/m);
    expect(stdout).toMatch(/^verify \(replay \+ checks, from Postgres\)\s+40\s+\d+/m);
    const summary = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(summary.results[1]).toMatchObject({ instances: 40, mismatches: 0 });
    expect(summary.results[1].events).toBe(summary.results[0].events);
  }, 120_000);
});
