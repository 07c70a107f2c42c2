// A long statement, served: 100,000 transfers for one account (bench/statement-seed.ts) on a scratch database,
// the API started as its own process, then the whole statement downloaded as CSV while the API's RSS is sampled
// every 50 ms, and two JSON pages of 200 timed (the first, and one starting halfway through the range, to show a
// page costs the same wherever it starts; medians of 7). Prints one table.
//
//   npm run bench:statement [-- entries=100000]
import { randomBytes } from 'node:crypto';
import { createDb } from '../src/db/knex.js';
import { admin, baseUrl, rssMb, startDeployment } from './harness.js';
import { seedStatement } from './statement-seed.js';

const ENTRIES = Number(process.argv[2] ?? 100_000);
const OWNER = 'bench-statement-owner';

/** The median time of a JSON page over 7 requests, after one unmeasured (connections and plans warm). */
async function timedJson(token: string, query: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 8; i++) {
    const started = performance.now();
    const res = await fetch(`${baseUrl}/v1/accounts/${OWNER}/statement?currency=USD${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status !== 200) throw new Error(`statement page answered ${res.status}: ${await res.text()}`);
    await res.json();
    if (i > 0) times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[3]!;
}

/** Downloads the CSV keeping only running sums; returns rows, the sum of amounts and the last balance. */
async function streamCsv(token: string): Promise<{ rows: number; sum: bigint; last: string; bytes: number }> {
  const res = await fetch(`${baseUrl}/v1/accounts/${OWNER}/statement?currency=USD&format=csv`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200 || !res.body) throw new Error(`CSV answered ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let partial = '';
  let rows = -1;
  let sum = 0n;
  let last = '';
  let bytes = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    bytes += read.value.byteLength;
    const lines = (partial + decoder.decode(read.value, { stream: true })).split('\r\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (++rows === 0) continue;
      const cells = line.split(',');
      sum += BigInt(cells[3]!);
      last = cells[4]!;
    }
  }
  return { rows, sum, last, bytes };
}

async function main(): Promise<void> {
  const name = `bench_statement_${randomBytes(4).toString('hex')}`;
  const deployment = await startDeployment(name);
  // One API process (the default), whose memory the CSV stream must not grow.
  const apiPid = deployment.pids.api[0]!;
  try {
    const db = createDb(deployment.databaseUrl, 2);
    const seedStarted = performance.now();
    const seeded = await seedStatement(db, OWNER, ENTRIES);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    await db.raw('ANALYZE transfers');
    await db.destroy();

    const firstPageMs = await timedJson(deployment.token, '&limit=200');
    const middle = new Date(Date.now() - ENTRIES / 2).toISOString();
    const middlePageMs = await timedJson(deployment.token, `&limit=200&from=${middle}`);

    const rssBefore = rssMb(apiPid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(apiPid))), 50);
    const started = performance.now();
    const csv = await streamCsv(deployment.token);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, rssMb(apiPid));

    console.table([
      {
        entries: csv.rows,
        'seed s': seedSeconds.toFixed(1),
        'CSV MB': (csv.bytes / 2 ** 20).toFixed(1),
        'CSV s': seconds.toFixed(2),
        'rows/s': Math.round(csv.rows / seconds),
        'API RSS before MB': rssBefore,
        'API RSS peak MB': rssPeak,
        'RSS growth MB': rssPeak - rssBefore,
        'first page ms': firstPageMs.toFixed(1),
        'middle page ms': middlePageMs.toFixed(1),
        'sums match': csv.sum === seeded.balance && csv.last === seeded.balance.toString(),
      },
    ]);
    if (csv.rows !== ENTRIES || csv.sum !== seeded.balance) throw new Error('the CSV does not add up to the ledger');
  } finally {
    await deployment.stop();
    await admin(`DROP DATABASE ${name} WITH (FORCE)`);
  }
}

await main();
