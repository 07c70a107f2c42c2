// `npx tsx bench/creation-rates.ts` (about two minutes): what a milestone creation costs the machine as the rate
// falls. One scratch deployment, 128 seeded projects, then phases of nothing but creations (the engine mix with
// every request a CREATE, bench/ingest.lua), closed loop and paced at each of BENCH_RATES (events/s, 0 = closed
// loop), BENCH_INGEST_S seconds each. Prints, per phase: creations/s, wrk's p50 / p99, how idle the machine was,
// and the CPU each process group spent per creation (bench/cpu-split.ts): at low rates every relay pass, job and
// shared statement carries one creation, flat out several (bench/README.md round 16).
import { randomBytes } from 'node:crypto';
import { cpuMsPerEvent } from './cpu-split.js';
import { admin, baseUrl, seedProjects, startDeployment } from './harness.js';
import { planIngest, runIngest } from './ingest.js';
import { round } from './stats.js';

const RATES = (process.env.BENCH_RATES ?? '0,50,100,200,300,400,500').split(',').map(Number);
const INGEST_S = Number(process.env.BENCH_INGEST_S ?? 15);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 128);
const GROUPS = ['postgres', 'api', 'workers', 'redis'] as const;

const name = `escrow_rates_${randomBytes(4).toString('hex')}`;
await admin(`CREATE DATABASE ${name}`);
const deployment = await startDeployment(name);
try {
  const projects = await seedProjects(deployment.token, PROJECTS);
  const target = { baseUrl, databaseUrl: deployment.databaseUrl, token: deployment.token, pids: deployment.pids };
  const rows = [];
  for (const rate of RATES) {
    const plan = await planIngest(target, projects, { mix: 'engine', rate, createEvery: 1 });
    const r = await runIngest(target, plan, CLIENTS, INGEST_S);
    const msPer = GROUPS.map((g) => cpuMsPerEvent(r.cpuPercent[g], r.perSecond));
    rows.push({
      paced: rate === 0 ? 'closed loop' : `${rate}/s`,
      'creations/s': round(r.perSecond, 1),
      'p50 / p99 ms': `${r.p50Ms} / ${r.p99Ms}`,
      errors: r.errors,
      'machine idle': `${r.cpuPercent.idleOfMachine} %`,
      ...Object.fromEntries(GROUPS.map((g, i) => [`${g} ms`, round(msPer[i]!, 2)])),
      'ms of CPU per creation': round(
        msPer.reduce((sum, ms) => sum + ms, 0),
        1,
      ),
    });
  }
  console.table(rows);
} finally {
  await deployment.stop();
  await admin(`DROP DATABASE ${name} WITH (FORCE)`);
}
