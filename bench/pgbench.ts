import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Postgres's own commit rate on this machine: pgbench's built-in tpcb-like script on a scratch database
 * (scale 1, fsync as configured, the same client count as the ingest phase). Returns transactions per second.
 */
export async function pgbenchTps(adminUrl: string, clients: number, seconds: number): Promise<number> {
  const url = new URL(adminUrl);
  const name = `pgbench_${randomBytes(4).toString('hex')}`;
  const conn = ['-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username) || 'root'];
  await run('createdb', [...conn, name]);
  try {
    await run('pgbench', [...conn, '-i', '-s', '1', '-q', name]);
    const { stdout } = await run('pgbench', [...conn, '-c', String(clients), '-j', '2', '-T', String(seconds), name], {
      maxBuffer: 1 << 24,
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
    if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
    return Number(tps);
  } finally {
    await run('dropdb', [...conn, '--force', name]);
  }
}
