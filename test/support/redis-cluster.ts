import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { atExit } from '../chaos/support/at-exit.js';
import { eventually } from './eventually.js';

const run = promisify(execFile);

/** Whether this machine can start a Redis Cluster of its own (the cluster tests skip only when it cannot). */
export const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

async function canListen(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port free now whose cluster bus port (port + 10000, Redis's rule) is free too. */
async function freeClusterPort(taken: number[]): Promise<number> {
  for (;;) {
    const port = randomInt(20_000, 30_000);
    if (taken.includes(port)) continue;
    if ((await canListen(port)) && (await canListen(port + 10_000))) return port;
  }
}

/**
 * A Redis Cluster of three masters and no replicas on free loopback ports, the test's own: started as child
 * processes with their node files in a temporary directory, persistence off, and all of it removed by `stop()`
 * (or, should the test process die first, by the exit hook).
 */
export class LocalRedisCluster {
  private readonly servers: ChildProcess[] = [];
  private readonly unregister: () => void;

  private constructor(
    readonly ports: number[],
    private readonly dir: string,
  ) {
    this.unregister = atExit(() => this.servers.forEach((s) => s.kill('SIGKILL')));
  }

  static async start(masters = 3): Promise<LocalRedisCluster> {
    const ports: number[] = [];
    while (ports.length < masters) ports.push(await freeClusterPort(ports));
    const cluster = new LocalRedisCluster(ports, await mkdtemp(join(tmpdir(), 'redis-cluster-')));
    try {
      await cluster.boot();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `host:port,…`, the form REDIS_CLUSTER_NODES takes. */
  get nodes(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  private async boot(): Promise<void> {
    for (const port of this.ports) {
      // Each server's own files (node table, any dump) in the temporary directory; nothing persists.
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'];
      args.push('--cluster-config-file', join(this.dir, `nodes-${port}.conf`), '--dir', this.dir);
      args.push('--save', '', '--appendonly', 'no', '--daemonize', 'no');
      this.servers.push(spawn('redis-server', args, { stdio: 'ignore' }));
    }
    for (const port of this.ports) {
      await eventually(async () => {
        if ((await this.cli(port, 'ping').catch(() => '')).trim() !== 'PONG') throw new Error('not up yet');
      });
    }
    const addresses = this.ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    // Every node must know every slot's owner before a client can rely on any of them.
    for (const port of this.ports) {
      await eventually(async () => {
        if (!(await this.cli(port, 'cluster', 'info')).includes('cluster_state:ok')) throw new Error('not ok yet');
      }, 30_000);
    }
  }

  /** One redis-cli command against one node, its reply as text. */
  async cli(port: number, ...command: string[]): Promise<string> {
    return (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...command])).stdout;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (server.exitCode !== null || server.signalCode !== null) return resolve();
            server.once('exit', () => resolve());
            server.kill('SIGKILL');
          }),
      ),
    );
    this.unregister();
    await rm(this.dir, { recursive: true, force: true });
  }
}
