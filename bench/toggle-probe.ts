// The toggle probe: what an internal service sees when it drives the engine as hard as it can. 16 Node clients
// (probe-client.ts), each on a funded milestone of its own project, alternate REQUEST_CANCEL and REJECT_CANCEL over
// keep-alive connections (Node's fetch) for PROBE_S seconds, against the service started with its default settings
// (rate limit, cancel-request cap and log level included) in one process as `npm start` runs it (PROBE_SPLIT=1: API
// and workers processes, as `npm run bench` runs them); pgbench's tpcb-like at 16 clients before and after is the
// ceiling.
//
//   npx tsx bench/toggle-probe.ts   PROBE_S (20), PROBE_PGBENCH_S (15), PROBE_ROUNDS (1), PROBE_WARMUP_S (0),
//                                   PROBE_LOG_LEVEL (the service's default)
import { randomBytes } from 'node:crypto';
import { admin, ADMIN_URL, baseUrl, seedProjects, startDeployment } from './harness.js';
import type { BenchProject } from './ingest.js';
import { pgbenchTps } from './pgbench.js';
import { cpuMsPerEvent, startCpuSplit } from './cpu-split.js';
import { latencyByType, scrapeTransitionBuckets } from './latency-by-type.js';
import { errorsCell, gcCell, measureClients, PROBE_CLIENTS, toggle, WARM_AFTER_S } from './probe-client.js';
import { runQueueCell, schedstatAvailable, startRunQueueSplit } from './run-queue.js';
import { percentOf } from './stats.js';

const CLIENTS = PROBE_CLIENTS;
const PROBE_S = Number(process.env.PROBE_S ?? 20);
const PGBENCH_S = Number(process.env.PROBE_PGBENCH_S ?? 15);
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 1);
const WARMUP_S = Number(process.env.PROBE_WARMUP_S ?? 0);

async function round(): Promise<Record<string, string | number>> {
  const before = await pgbenchTps(ADMIN_URL, CLIENTS, PGBENCH_S);
  const name = `bench_probe_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const deployment = await startDeployment(name, {
    oneProcess: process.env.PROBE_SPLIT !== '1',
    apiProcesses: Number(process.env.PROBE_API_PROCESSES ?? 1),
    env: { RATE_LIMIT_PER_SEC: undefined, LOG_LEVEL: process.env.PROBE_LOG_LEVEL || undefined },
  });
  try {
    const projects = await seedProjects(deployment.token, CLIENTS, 1);
    // PROBE_WARMUP_S: toggles before the measured phase, for a service (and client) past their JIT warm-up.
    const warmUntil = Date.now() + WARMUP_S * 1000;
    const targetOf = (p: BenchProject) => ({
      baseUrl,
      token: deployment.token,
      employer: p.employer,
      freelancer: p.freelancer,
      milestoneId: p.milestones[0]!,
    });
    await Promise.all(projects.map((p) => toggle(targetOf(p), warmUntil)));
    const bucketsBefore = await scrapeTransitionBuckets(baseUrl, deployment.token);
    const stopCpu = startCpuSplit(deployment.pids);
    const stopRunQueue = startRunQueueSplit({ api: deployment.pids.api, client: [process.pid] });
    // The same split over the first WARM_AFTER_S seconds alone: what the JIT warm-up costs (bench/README.md round 12).
    const stopFirstCpu = startCpuSplit(deployment.pids);
    const firstStarted = Date.now();
    let firstCpu: Record<string, number> = {};
    let firstSeconds = Number.NaN;
    const firstTimer = setTimeout(() => {
      firstCpu = stopFirstCpu();
      firstSeconds = (Date.now() - firstStarted) / 1000;
    }, WARM_AFTER_S * 1000);
    const phase = await measureClients(projects.map(targetOf), PROBE_S);
    clearTimeout(firstTimer);
    const cpu = stopCpu();
    const runQueue = stopRunQueue();
    const served = latencyByType(bucketsBefore, await scrapeTransitionBuckets(baseUrl, deployment.token));
    const after = await pgbenchTps(ADMIN_URL, CLIENTS, PGBENCH_S);
    const { latency, perSecond } = phase;
    const warmUpCell = (group: 'api' | 'postgres') => {
      // CPU ms = % of a core × 10 × seconds; the phase's seconds are its answers over their rate.
      const firstMs = (firstCpu[group] ?? Number.NaN) * 10 * firstSeconds;
      const afterMs = cpu[group]! * 10 * (latency.ok / perSecond) - firstMs;
      return `${(firstMs / latency.sentBeforeWarm).toFixed(3)} → ${(afterMs / latency.sentAfterWarm).toFixed(3)}`;
    };
    // The same events as the service timed them (routes to reply): what the client saw beyond that was waiting.
    const serviceWithin25 = percentOf(
      served.reduce((n, t) => n + t.within25Ms, 0),
      served.reduce((n, t) => n + t.events, 0),
    );
    return {
      'pgbench before': Math.round(before),
      'pgbench after': Math.round(after),
      'events/s': Math.round(perSecond),
      ratio: (perSecond / ((before + after) / 2)).toFixed(2),
      'p50 ms': latency.p50Ms.toFixed(1),
      'p99 ms': latency.p99Ms.toFixed(1),
      [`p99 ms after ${WARM_AFTER_S} s`]: latency.p99WarmMs.toFixed(1),
      'max ms': latency.maxMs.toFixed(1),
      '≤ 25 ms client / service': `${latency.within25} / ${serviceWithin25}`,
      errors: errorsCell(latency.errors),
      // CPU per event moves less with what else the machine did than a rate, yet still with its speed (the API's
      // 0.30–0.65 ms in round 19's runs of the same code): compare changes side by side, in alternating runs.
      'ms CPU/event api, pg': [cpu.api, cpu.postgres].map((p) => cpuMsPerEvent(p, perSecond).toFixed(3)).join(', '),
      // The JIT warm-up: CPU per request sent in the first WARM_AFTER_S seconds, then per request sent after them.
      [`ms CPU/request api, first ${WARM_AFTER_S} s → after`]: warmUpCell('api'),
      [`ms CPU/request pg, first ${WARM_AFTER_S} s → after`]: warmUpCell('postgres'),
      // The probe's own clients share the machine: with 16 of them in a closed loop, mean latency = 16 / events/s.
      'ms CPU/event client': phase.clientCpuMsPerEvent.toFixed(3),
      // Each of the client's own pauses holds every request in flight (bench/probe-floor.ts: the client alone).
      'client GC pauses: n, longest, total ms': gcCell(phase.gc),
      // Time runnable but without a core, against time on one: waits no CPU figure shows (bench/run-queue.ts).
      'µs per event waiting for a core / on one: api, pg, client': schedstatAvailable()
        ? runQueueCell(runQueue, latency.ok, ['api', 'postgres', 'client'])
        : 'no schedstat',
      'cpu %': Object.entries(cpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    };
  } finally {
    await deployment.stop();
    await admin(`DROP DATABASE ${name} WITH (FORCE)`);
  }
}

const rows = [];
for (let r = 0; r < ROUNDS; r++) rows.push(await round());
console.table(rows);
