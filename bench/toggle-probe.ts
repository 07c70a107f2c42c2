// The toggle probe: what an internal service sees when it drives the engine as hard as it can. 16 Node clients,
// each on a funded milestone of its own project, alternate REQUEST_CANCEL and REJECT_CANCEL over keep-alive
// connections (Node's fetch) for PROBE_S seconds, against the service started with its default settings (rate
// limit, cancel-request cap and log level included) in one process as `npm start` runs it (PROBE_SPLIT=1: API and
// workers processes, as `npm run bench` runs them); pgbench's tpcb-like at 16 clients before and after is the
// ceiling.
//
//   npx tsx bench/toggle-probe.ts   PROBE_S (20), PROBE_PGBENCH_S (15), PROBE_ROUNDS (1), PROBE_WARMUP_S (0)
import { randomBytes } from 'node:crypto';
import { admin, ADMIN_URL, baseUrl, seedProjects, startDeployment } from './harness.js';
import { pgbenchTps } from './pgbench.js';
import { startCpuSplit } from './cpu-split.js';
import { latencyByType, scrapeTransitionBuckets } from './latency-by-type.js';
import { percentile, percentOf } from './stats.js';

const CLIENTS = 16;
const PROBE_S = Number(process.env.PROBE_S ?? 20);
const PGBENCH_S = Number(process.env.PROBE_PGBENCH_S ?? 15);
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 1);
const WARMUP_S = Number(process.env.PROBE_WARMUP_S ?? 0);
// The p99 of requests sent after the first seconds too: the service's (and client's) JIT warm-up is in the first.
const WARM_AFTER_S = 2;

interface ClientResult {
  latenciesMs: number[];
  /** When each request was sent (performance.now()), for the tail past the first seconds. */
  sentAt: number[];
  errors: Map<string, number>;
}

/** One client: one request at a time, alternating the flag on its milestone. */
async function toggle(token: string, project: { employer: string; freelancer: string }, id: string, until: number) {
  const result: ClientResult = { latenciesMs: [], sentAt: [], errors: new Map() };
  const bodies = [
    JSON.stringify({ type: 'REQUEST_CANCEL', actor: project.employer, reason: 'probe' }),
    JSON.stringify({ type: 'REJECT_CANCEL', actor: project.freelancer }),
  ];
  // Whole pairs, so the flag is down again when the loop ends (the next loop starts with a request); a pair that
  // cannot be finished within a grace period (its second half keeps being refused) ends the loop all the same.
  const finishPair = until + 5_000;
  for (let i = 0; Date.now() < until || (i % 2 === 1 && Date.now() < finishPair); i++) {
    const started = performance.now();
    const res = await fetch(`${baseUrl}/v1/milestones/${id}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: bodies[i % 2],
    });
    const body = (await res.json()) as { error?: { code?: string } };
    result.latenciesMs.push(performance.now() - started);
    result.sentAt.push(started);
    if (res.status !== 200) {
      const key = `${res.status} ${body.error?.code ?? ''}`;
      result.errors.set(key, (result.errors.get(key) ?? 0) + 1);
      // Stay in step with the milestone's flag: a refused toggle is retried, not skipped.
      i--;
    }
  }
  return result;
}

async function round(): Promise<Record<string, string | number>> {
  const before = await pgbenchTps(ADMIN_URL, CLIENTS, PGBENCH_S);
  const name = `bench_probe_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const deployment = await startDeployment(name, {
    oneProcess: process.env.PROBE_SPLIT !== '1',
    apiProcesses: Number(process.env.PROBE_API_PROCESSES ?? 1),
    env: { RATE_LIMIT_PER_SEC: undefined, LOG_LEVEL: undefined },
  });
  try {
    const projects = await seedProjects(deployment.token, CLIENTS, 1);
    // PROBE_WARMUP_S: toggles before the measured phase, for a service (and client) past their JIT warm-up.
    const warmUntil = Date.now() + WARMUP_S * 1000;
    await Promise.all(projects.map((p) => toggle(deployment.token, p, p.milestones[0]!, warmUntil)));
    const bucketsBefore = await scrapeTransitionBuckets(baseUrl, deployment.token);
    const stopCpu = startCpuSplit(deployment.pids);
    const clientCpu = process.cpuUsage();
    const started = Date.now();
    const warmAfter = performance.now() + WARM_AFTER_S * 1000;
    const results = await Promise.all(
      projects.map((p) => toggle(deployment.token, p, p.milestones[0]!, started + PROBE_S * 1000)),
    );
    const seconds = (Date.now() - started) / 1000;
    const cpu = stopCpu();
    const { user, system } = process.cpuUsage(clientCpu);
    const served = latencyByType(bucketsBefore, await scrapeTransitionBuckets(baseUrl, deployment.token));
    const after = await pgbenchTps(ADMIN_URL, CLIENTS, PGBENCH_S);
    const latencies = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const warmLatencies = results
      .flatMap((r) => r.latenciesMs.filter((_, i) => r.sentAt[i]! >= warmAfter))
      .sort((a, b) => a - b);
    const errors = new Map<string, number>();
    for (const r of results) for (const [k, n] of r.errors) errors.set(k, (errors.get(k) ?? 0) + n);
    const ok = latencies.length - [...errors.values()].reduce((a, b) => a + b, 0);
    // The same events as the service timed them (routes to reply): what the client saw beyond that was waiting.
    const clientWithin25 = percentOf(latencies.filter((l) => l <= 25).length, latencies.length);
    const serviceWithin25 = percentOf(
      served.reduce((n, t) => n + t.within25Ms, 0),
      served.reduce((n, t) => n + t.events, 0),
    );
    const perSecond = ok / seconds;
    return {
      'pgbench before': Math.round(before),
      'pgbench after': Math.round(after),
      'events/s': Math.round(perSecond),
      ratio: (perSecond / ((before + after) / 2)).toFixed(2),
      'p50 ms': percentile(latencies, 50).toFixed(1),
      'p99 ms': percentile(latencies, 99).toFixed(1),
      [`p99 ms after ${WARM_AFTER_S} s`]: percentile(warmLatencies, 99).toFixed(1),
      'max ms': latencies.at(-1)!.toFixed(1),
      '≤ 25 ms client / service': `${clientWithin25} / ${serviceWithin25}`,
      errors: errors.size ? [...errors].map(([k, n]) => `${n}× ${k}`).join(', ') : 0,
      // CPU per event hardly depends on what else the machine did, unlike a rate: compare changes by this.
      'ms CPU/event api, pg': [cpu.api, cpu.postgres].map((p) => ((p! * 10) / perSecond).toFixed(3)).join(', '),
      // The probe's own clients share the machine: with 16 of them in a closed loop, mean latency = 16 / events/s.
      'ms CPU/event client': ((user + system) / 1000 / ok).toFixed(3),
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
