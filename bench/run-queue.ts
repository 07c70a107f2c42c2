// How long processes waited for a core during a phase: the kernel's schedstat per thread (/proc/<pid>/task/<tid>/
// schedstat: ns running, ns waiting on a run queue, time slices). A thread that is woken (a request arrived, a
// statement's answer came) or preempted waits there until a core is free; on a machine whose cores Postgres, the
// service and its callers share, that wait adds to answers' latency and shows in no CPU figure, so it explains part
// of how far a client's clock and the service's own differ (bench/README.md round 19).
import { readdirSync, readFileSync } from 'node:fs';

export interface SchedTotals {
  /** ns on a core. */
  runNs: number;
  /** ns runnable but waiting for a core. */
  waitNs: number;
}

function schedstatOf(path: string): SchedTotals | null {
  try {
    const [run, wait] = readFileSync(path, 'utf8').trim().split(' ').map(Number);
    return { runNs: run!, waitNs: wait! };
  } catch {
    // The thread or process ended between the listing and the read: its time is gone with it.
    return null;
  }
}

/** Every thread of `pid` by its id; empty for a process that has exited. */
function threadsOf(pid: number): Map<string, SchedTotals> {
  const threads = new Map<string, SchedTotals>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    const totals = schedstatOf(`/proc/${pid}/task/${tid}/schedstat`);
    if (totals) threads.set(`${pid}/${tid}`, totals);
  }
  return threads;
}

/** Every process whose command name is `comm` (Postgres's backends and helpers all show as `postgres`). */
export function pidsNamed(comm: string): number[] {
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => {
      if (!Number.isInteger(pid)) return false;
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
      } catch {
        return false;
      }
    });
}

/**
 * Whether this kernel reports schedstat: the file exists where the kernel has CONFIG_SCHED_INFO, but without
 * schedstats or delay accounting it may hold only zeros, which this process's own running time rules out.
 */
export function schedstatAvailable(): boolean {
  return (schedstatOf(`/proc/${process.pid}/schedstat`)?.runNs ?? 0) > 0;
}

type Groups = Record<string, readonly number[]>;

function sample(named: Groups): Map<string, Map<string, SchedTotals>> {
  const groups = new Map<string, Map<string, SchedTotals>>();
  for (const [name, pids] of [...Object.entries(named), ['postgres', pidsNamed('postgres')] as const]) {
    groups.set(name, new Map(pids.flatMap((pid) => [...threadsOf(pid)])));
  }
  return groups;
}

/**
 * Starts counting for the named processes (all their threads) and every Postgres process; the returned function
 * stops and gives each group's time running and waiting for a core over the phase, thread by thread: a thread
 * (or Postgres process) that started during the phase counts from its start, one that ended is left out.
 */
export function startRunQueueSplit(named: Groups): () => Record<string, SchedTotals> {
  const before = sample(named);
  return () => {
    const after = sample(named);
    const result: Record<string, SchedTotals> = {};
    for (const [name, threads] of after) {
      const total = { runNs: 0, waitNs: 0 };
      for (const [thread, now] of threads) {
        const then = before.get(name)?.get(thread) ?? { runNs: 0, waitNs: 0 };
        total.runNs += now.runNs - then.runNs;
        total.waitNs += now.waitNs - then.waitNs;
      }
      result[name] = total;
    }
    return result;
  };
}

/** `wait / run` µs per event for each group, in the order given: "api 171 / 269, …". */
export function runQueueCell(split: Record<string, SchedTotals>, events: number, order: readonly string[]): string {
  if (events <= 0) return 'no events';
  return order
    .map((name) => {
      const { runNs, waitNs } = split[name] ?? { runNs: 0, waitNs: 0 };
      const us = (ns: number) => Math.round(ns / 1000 / events);
      return `${name} ${us(waitNs)} / ${us(runNs)}`;
    })
    .join(', ');
}
