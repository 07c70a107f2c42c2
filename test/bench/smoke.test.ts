import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { pidsNamed, schedstatAvailable } from '../../bench/run-queue.js';

// `npm run bench` must keep working (issue 7): a short run of the whole harness (BENCH_SMOKE=1: phases of a few
// seconds, a small replay) on this machine, as CI runs it. Not a measurement: other test files share the cores.
// The money mix runs staggered, so that the slots' seeding (bench/money-slots.ts) runs too: an event it left a
// milestone unready for would be refused, and every refusal fails the run below.
describe('the benchmark harness', () => {
  it("runs every phase and writes a result file with the table's numbers", async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = spawn('node', ['--import', 'tsx', 'bench/run.ts'], {
          env: { ...process.env, BENCH_SMOKE: '1', BENCH_PORT: '3998', BENCH_PROJECTS: '32', BENCH_MONEY_STAGGER: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
      },
    );
    expect(code, stderr.slice(-3000)).toBe(0);
    const file = /results written to (\S+)/.exec(stdout)?.[1];
    expect(file, stdout).toBeDefined();
    const r = JSON.parse(await readFile(file!, 'utf8'));
    expect(r.smoke).toBe(true);
    expect(r.ceiling.tps).toBeGreaterThan(0);
    for (const phase of ['ingest', 'ingestHalf', 'ingestEngine', 'soak']) {
      expect(r[phase].requests, phase).toBeGreaterThan(0);
      expect(r[phase].p99Ms, phase).toBeGreaterThan(0);
      // Every event the load generator sends is legal: an answer other than 2xx is a harness or service fault.
      expect(r[phase].errorSamples, phase).toEqual([]);
    }
    expect(r.ingest.settlementsPerSecond).toBeGreaterThan(0);
    // The service timed the half-load phase's events by type; every milestone of the money mix starts with CREATE.
    const create = r.ingestHalf.byType.find((t: { type: string }) => t.type === 'CREATE');
    expect(create?.events, JSON.stringify(r.ingestHalf.byType)).toBeGreaterThan(0);
    expect(stdout).toMatch(/half load, by event type/);
    // The half-load phase's processes ran, and how long each waited for a core was counted (bench/run-queue.ts).
    if (schedstatAvailable()) {
      // Postgres's processes are counted only where this machine shows them (not a server in another container).
      const groups = pidsNamed('postgres').length > 0 ? ['api', 'workers', 'postgres'] : ['api', 'workers'];
      for (const group of groups) expect(r.ingestHalf.runQueue[group].runNs, group).toBeGreaterThan(0);
      expect(stdout).toMatch(/waiting for a core\s+api \d+ µs/);
    }
    expect(r.settlement.count).toBeGreaterThan(0);
    expect(r.memory.api.samples).toBeGreaterThan(0);
    expect(r.replay.map((x: { phase: string }) => x.phase.split(' ')[0])).toEqual(
      expect.arrayContaining(['bare', 'verify']),
    );
    expect(stdout).toMatch(/ratio\s+\d/);
  }, 240_000);
});
