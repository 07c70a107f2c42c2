// The probe's floor: the toggle probe's very client (probe-client.ts: 16 Node clients, fetch, keep-alive, one
// request at a time each) against a stand-in that answers every event after a fixed delay, having kept its one
// thread busy for a fixed time per event (probe-floor-server.ts, a process of its own). With neither, what the client
// measures is its own share of the latency on this machine (its event loop, its garbage collections), which no
// change to the service can remove; with the CPU the API spends per probe event (0.6-0.75 ms here), it is what a
// service with that API and a database that took no time would get at best.
//
//   npm run bench:probe-floor   PROBE_FLOOR_S (12), PROBE_FLOOR_ROUNDS (2),
//                               PROBE_FLOOR_DELAYS_MS ("0,10"), PROBE_FLOOR_BUSY_MS ("0,0.7"): every pair of the two
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { errorsCell, gcCell, measureClients, PROBE_CLIENTS, WARM_AFTER_S } from './probe-client.js';

const SECONDS = Number(process.env.PROBE_FLOOR_S ?? 12);
const DELAYS_MS = (process.env.PROBE_FLOOR_DELAYS_MS ?? '0,10').split(',').map(Number);
const BUSY_MS = (process.env.PROBE_FLOOR_BUSY_MS ?? '0,0.7').split(',').map(Number);
const ROUNDS = Number(process.env.PROBE_FLOOR_ROUNDS ?? 2);
const SERVER = fileURLToPath(new URL('./probe-floor-server.ts', import.meta.url));

export type FloorRow = Record<string, string | number>;

/** One phase against a stand-in that spends `busyMs` of CPU on each event and answers it `delayMs` later. */
export async function floorPhase(delayMs: number, busyMs: number, seconds: number): Promise<FloorRow> {
  const server = fork(SERVER, [String(delayMs), String(busyMs)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  try {
    const [port] = (await Promise.race([
      once(server, 'message'),
      once(server, 'exit').then(([code]) => {
        throw new Error(`the stand-in exited (${String(code)}) before it listened`);
      }),
    ])) as [number];
    const target = (c: number) => ({
      baseUrl: `http://127.0.0.1:${port}`,
      token: 'probe-floor',
      employer: `employer-${c}`,
      freelancer: `freelancer-${c}`,
      milestoneId: `ms_floor_${c}`,
    });
    const { latency, perSecond, clientCpuMsPerEvent, gc } = await measureClients(
      Array.from({ length: PROBE_CLIENTS }, (_, c) => target(c)),
      seconds,
    );
    return {
      'stand-in busy ms': busyMs,
      'stand-in delay ms': delayMs,
      'events/s': Math.round(perSecond),
      'p50 ms': latency.p50Ms.toFixed(1),
      'p99 ms': latency.p99Ms.toFixed(1),
      [`p99 ms after ${WARM_AFTER_S} s`]: latency.p99WarmMs.toFixed(1),
      'max ms': latency.maxMs.toFixed(1),
      '≤ 25 ms': latency.within25,
      errors: errorsCell(latency.errors),
      'ms CPU/event client': clientCpuMsPerEvent.toFixed(3),
      'client GC pauses: n, longest, total ms': gcCell(gc),
    };
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = once(server, 'exit');
      server.disconnect();
      await exited;
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows: FloorRow[] = [];
  // Stand-ins interleaved round by round, so that the machine's drift falls on all of them alike.
  for (let r = 0; r < ROUNDS; r++)
    for (const busy of BUSY_MS) for (const delay of DELAYS_MS) rows.push(await floorPhase(delay, busy, SECONDS));
  console.table(rows);
}
