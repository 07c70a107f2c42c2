// Where the machine's CPU went during a phase: every process's user+system ticks from /proc, grouped into
// Postgres backends, Redis, the named processes (API, workers) and the rest, plus what stayed idle. On this
// 2-core machine all of them share the same cores, so this is the evidence for what limits throughput.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100;

interface Sample {
  at: number;
  byPid: Map<number, { comm: string; ticks: number }>;
  idleTicks: number;
  totalTicks: number;
}

function readStat(pid: number): { comm: string; ticks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may itself hold spaces or parentheses: split after the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 once pid and comm are cut off.
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function sample(): Sample {
  const byPid = new Map<number, { comm: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) byPid.set(pid, stat);
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { at: Date.now(), byPid, idleTicks: cpu[3]! + cpu[4]!, totalTicks: cpu.reduce((a, b) => a + b, 0) };
}

/** A group's CPU in percent of one core, as ms of CPU per event at `perSecond` events (× 10: ms per second). */
export function cpuMsPerEvent(percent: number | undefined, perSecond: number): number {
  return ((percent ?? 0) * 10) / perSecond;
}

/**
 * Starts counting; the returned function stops and gives CPU per group in percent of one core, each named group
 * the sum of its processes. A process that exited meanwhile (the load generator) is gone from /proc, so its caller
 * measures it and adds it.
 */
export function startCpuSplit(named: Record<string, readonly number[]>): () => Record<string, number> {
  const before = sample();
  return () => {
    const after = sample();
    const seconds = (after.at - before.at) / 1000;
    const nameOf = new Map(Object.entries(named).flatMap(([name, pids]) => pids.map((pid) => [pid, name] as const)));
    const split: Record<string, number> = {
      postgres: 0,
      redis: 0,
      ...Object.fromEntries(Object.keys(named).map((k) => [k, 0])),
      other: 0,
    };
    for (const [pid, now] of after.byPid) {
      const delta = now.ticks - (before.byPid.get(pid)?.ticks ?? 0);
      if (delta <= 0) continue;
      const group =
        nameOf.get(pid) ?? (now.comm === 'postgres' ? 'postgres' : now.comm.startsWith('redis') ? 'redis' : 'other');
      split[group]! += delta;
    }
    const toPercent = (ticks: number) => Math.round((ticks / TICKS_PER_S / seconds) * 100);
    const result = Object.fromEntries(Object.entries(split).map(([k, v]) => [k, toPercent(v)]));
    const total = after.totalTicks - before.totalTicks;
    result.idleOfMachine = Math.round(((after.idleTicks - before.idleTicks) / total) * 100);
    return result;
  };
}
