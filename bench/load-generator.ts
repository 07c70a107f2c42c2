// Load generator for the ingest benchmark, run as its own process so it does not share a CPU budget or event
// loop with the service it measures: `node --import tsx bench/load-generator.ts` with the plan as JSON on stdin.
// Closed loop: each of `clients` connections sends its next event as soon as the previous one is answered.
// Every event is legal: a client owns a project and its milestones and toggles REQUEST_CANCEL / REJECT_CANCEL on each
// (no settlement needed, so the rate is the engine's), and every `createEvery`-th request creates a milestone,
// which is funded by the settlement worker in the background (the fund part of the mix).
import { percentile, round } from './stats.js';

interface Plan {
  baseUrl: string;
  token: string;
  clients: number;
  durationS: number;
  createEvery: number;
  projects: { projectId: string; employer: string; freelancer: string; milestones: string[] }[];
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const plan = JSON.parse(Buffer.concat(chunks).toString()) as Plan;
  const headers = { authorization: `Bearer ${plan.token}`, 'content-type': 'application/json' };
  const latenciesMs: number[] = [];
  let errors = 0;
  const errorSamples: string[] = [];
  const deadline = Date.now() + plan.durationS * 1000;

  const client = async (c: number) => {
    // One project per client: clients never wait on each other's row locks, as distinct users would not.
    const project = plan.projects[c]!;
    const mine = project.milestones;
    // Start from each milestone's real flag, so a second run on the same milestones stays legal.
    const flagged = new Set<string>();
    for (const id of mine) {
      const m = (await (await fetch(`${plan.baseUrl}/v1/milestones/${id}`, { headers })).json()) as { flags: { cancelRequested: boolean } };
      if (m.flags.cancelRequested) flagged.add(id);
    }
    let n = 0;
    while (Date.now() < deadline) {
      n++;
      let url: string;
      let body: object;
      if (plan.createEvery > 0 && n % plan.createEvery === 0) {
        url = `${plan.baseUrl}/v1/projects/${project.projectId}/milestones`;
        body = { type: 'CREATE', actor: project.employer, amount: '100', description: 'bench' };
      } else {
        const id = mine[n % mine.length]!;
        const on = flagged.has(id);
        url = `${plan.baseUrl}/v1/milestones/${id}/events`;
        body = on ? { type: 'REJECT_CANCEL', actor: project.freelancer } : { type: 'REQUEST_CANCEL', actor: project.employer, reason: 'bench' };
        if (on) flagged.delete(id);
        else flagged.add(id);
      }
      const start = process.hrtime.bigint();
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }).catch((e: Error) => ({ ok: false, status: 0, text: async () => e.message }));
      const text = await res.text();
      latenciesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (!res.ok) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(`${res.status} ${text.slice(0, 200)}`);
      }
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: plan.clients }, (_, c) => client(c)));
  const seconds = (Date.now() - started) / 1000;
  latenciesMs.sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({
      requests: latenciesMs.length,
      errors,
      errorSamples,
      seconds: round(seconds, 2),
      perSecond: round(latenciesMs.length / seconds),
      p50Ms: round(percentile(latenciesMs, 50), 2),
      p99Ms: round(percentile(latenciesMs, 99), 2),
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
