// `npx tsx bench/wake-cost.ts` (about 20 seconds): what a round trip between two processes costs this machine's CPU
// as the processes sleep longer between them. Two Node processes on loopback TCP, a small JSON message each way
// (parsed at both ends, as the service's hops do), with a pause of each of WAKE_GAPS_MS (0, 1, 2 and 10 ms; 0 is
// back to back) before each next one; Node's timers wait at least 1 ms, so a shorter pause is 1 ms. Prints, per
// pause, the CPU both processes spent per round trip, from their own process.cpuUsage(). Where it grows with the
// pause, a process that has slept pays for waking up, and an event spread out costs more than the same event in a
// busy second: the cost-by-rate curve of bench/creation-rates.ts (bench/README.md round 17).
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as pause } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { round } from './stats.js';

const GAPS_MS = (process.env.WAKE_GAPS_MS ?? '0,1,2,10').split(',').map(Number);
const WARMUP = 3_000;
const ITEMS = Array.from({ length: 10 }, (_, i) => ({ i }));
const MESSAGE = `${JSON.stringify({ id: 'ms_0', state: 'in_progress', items: ITEMS })}\n`;

/** Round trips per phase: about 100 ms of CPU or more whatever the gap, on the machine of bench/README.md round 17. */
const roundTripsFor = (gapMs: number) => (gapMs === 0 ? 20_000 : gapMs < 2 ? 4_000 : gapMs < 5 ? 1_500 : 400);

const cpuUs = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

/** The echo side: answers every line with the message, and its CPU so far when asked over IPC. */
function echo(): void {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => {
      JSON.parse(data.toString());
      socket.write(MESSAGE);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as net.AddressInfo).port }));
  process.on('message', () => process.send?.({ cpuUs: cpuUs(process.cpuUsage()) }));
}

function ask<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send('cpu');
  });
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['echo'], { execArgv: process.execArgv });
  try {
    const { port } = await new Promise<{ port: number }>((resolve) =>
      child.once('message', (m) => resolve(m as never)),
    );
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((resolve) => socket.once('connect', resolve));
    const roundTrip = () =>
      new Promise<void>((resolve) => {
        socket.once('data', (data: Buffer) => {
          JSON.parse(data.toString());
          resolve();
        });
        socket.write(MESSAGE);
      });
    for (let i = 0; i < WARMUP; i++) await roundTrip();
    const rows = [];
    for (const gapMs of GAPS_MS) {
      const n = roundTripsFor(gapMs);
      const before = cpuUs(process.cpuUsage()) + (await ask<{ cpuUs: number }>(child)).cpuUs;
      const started = performance.now();
      for (let i = 0; i < n; i++) {
        await roundTrip();
        if (gapMs > 0) await pause(gapMs);
      }
      const wallMs = performance.now() - started;
      const after = cpuUs(process.cpuUsage()) + (await ask<{ cpuUs: number }>(child)).cpuUs;
      rows.push({
        'pause before each (ms)': gapMs,
        'round trips': n,
        'µs of CPU per round trip (both processes)': round((after - before) / n, 0),
        'wall ms per round trip': round(wallMs / n, 2),
      });
    }
    socket.destroy();
    console.table(rows);
  } finally {
    child.kill();
  }
}

if (process.argv[2] === 'echo') echo();
else await main();
