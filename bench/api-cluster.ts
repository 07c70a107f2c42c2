// `node --import tsx bench/api-cluster.ts <n>`, run by bench/harness.ts with cwd set to the checkout being measured:
// n processes of the service's API role behind one port, so that wrk, which hits one URL, loads all of them. Node 20
// has no reusePort; node:cluster's primary accepts the connections and hands them to its workers round robin.
// Prints `escrow API listening … pids <a>,<b>` once every worker listens; SIGTERM stops the workers, then itself.
import cluster, { type Worker } from 'node:cluster';
import { resolve } from 'node:path';

const count = Number(process.argv[2]);
if (!Number.isInteger(count) || count < 1) throw new Error('usage: api-cluster.ts <processes>');

cluster.setupPrimary({
  exec: resolve('src/main.ts'),
  args: ['api'],
  // Each worker prints its own "listening" line: kept from this process's stdout, where the harness waits for ours.
  silent: true,
});

const workers: Worker[] = [];
let stopping = false;
let listening = 0;

for (let i = 0; i < count; i++) {
  const worker = cluster.fork();
  worker.process.stdout?.resume();
  worker.process.stderr?.pipe(process.stderr);
  workers.push(worker);
}

cluster.on('listening', () => {
  if (++listening < count) return;
  const pids = workers.map((w) => w.process.pid).join(',');
  process.stdout.write(`escrow API listening on port ${process.env.PORT} (${count} processes, pids ${pids})\n`);
});

// A worker that dies while the load runs would leave half the measurement unexplained: stop everything instead.
cluster.on('exit', (worker, code, signal) => {
  if (stopping) return;
  process.stderr.write(`api-cluster: worker ${worker.process.pid} exited (${signal ?? code}); stopping\n`);
  stop(1);
});

/** SIGTERM to each worker, so each runs the service's own graceful shutdown; exits once all have exited. */
function stop(exitCode: number): void {
  stopping = true;
  const alive = workers.filter((w) => !w.isDead());
  let failed = exitCode;
  let left = alive.length;
  if (left === 0) process.exit(failed);
  for (const worker of alive) {
    worker.process.once('exit', (code) => {
      if (code !== 0) failed = 1;
      if (--left === 0) process.exit(failed);
    });
    worker.process.kill('SIGTERM');
  }
}

process.on('SIGTERM', () => {
  if (!stopping) stop(0);
});
// Ctrl-C reaches every process of the terminal's group: the workers shut down on their own, and we wait for them.
process.on('SIGINT', () => {
  if (!stopping) stop(130);
});
