// What a new process's first seconds cost its callers, with and without the start-up warm-up (src/warmup/): the
// service as `npm start` runs it (API and workers in one process), started with WARMUP_MS=0 (cold) or its default
// (warm), in alternating pairs; each time 16 projects are seeded and then the engine mix (cancel-request toggles,
// every tenth request a funded creation) is sent at a fixed rate for the first seconds. A paced load, unlike the toggle
// probe's closed loop, does not slow down when the service does: what a process restarted behind a load balancer
// gets (bench/README.md round 20).
//
//   npx tsx bench/cold-start.ts   COLD_START_RATE (800 events/s), COLD_START_S (5), COLD_START_PAIRS (3)
import { randomBytes } from 'node:crypto';
import { admin, baseUrl, seedProjects, startDeployment } from './harness.js';
import { planIngest, runIngest } from './ingest.js';
import { percentile, round } from './stats.js';

const RATE = Number(process.env.COLD_START_RATE ?? 800);
const SECONDS = Number(process.env.COLD_START_S ?? 5);
const PAIRS = Number(process.env.COLD_START_PAIRS ?? 3);
const PROJECTS = 16;
const CLIENTS = 16;

interface Side {
  start: 'cold' | 'warm';
  /** The first answer of each wrk thread that was not a 2xx (its status and body); timeouts leave none. */
  samples: string[];
  'events/s': number;
  'p50 ms': number;
  'p99 ms': number;
  'max ms': number;
  errors: number;
  'api cpu %': number;
}

async function measure(start: Side['start']): Promise<Side> {
  const name = `bench_cold_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const deployment = await startDeployment(name, {
    oneProcess: true,
    // The service's defaults, but for the warm-up: off for a cold start.
    env: { RATE_LIMIT_PER_SEC: undefined, LOG_LEVEL: undefined, WARMUP_MS: start === 'cold' ? '0' : undefined },
  });
  try {
    const target = { baseUrl, databaseUrl: deployment.databaseUrl, token: deployment.token, pids: deployment.pids };
    const projects = await seedProjects(deployment.token, PROJECTS, 1);
    const plan = await planIngest(target, projects, { mix: 'engine', rate: RATE });
    const r = await runIngest(target, plan, CLIENTS, SECONDS);
    return {
      start,
      samples: r.errorSamples,
      'events/s': r.perSecond,
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      'max ms': r.maxMs,
      errors: r.errors,
      'api cpu %': r.cpuPercent.api ?? Number.NaN,
    };
  } finally {
    await deployment.stop();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function main(): Promise<void> {
  console.log(`cold start: engine mix at ${RATE} events/s for the first ${SECONDS} s, ${PAIRS} pairs`);
  const sides: Side[] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    sides.push(await measure('cold'));
    sides.push(await measure('warm'));
  }
  console.table(sides.map(({ samples: _, ...row }) => row));
  for (const [i, side] of sides.entries())
    for (const sample of side.samples) console.log(`start ${i} (${side.start}), an error: ${sample}`);
  const medians = (start: Side['start']) => {
    const of = (key: 'p50 ms' | 'p99 ms' | 'events/s') =>
      round(
        percentile(
          sides
            .filter((s) => s.start === start)
            .map((s) => s[key])
            .sort((a, b) => a - b),
          50,
        ),
        2,
      );
    return { start, 'events/s': of('events/s'), 'p50 ms': of('p50 ms'), 'p99 ms': of('p99 ms') };
  };
  console.table([medians('cold'), medians('warm')]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
