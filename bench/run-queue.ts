// How long processes waited for a core during a phase: the kernel's schedstat per thread (/proc/<pid>/task/<tid>/
// schedstat: ns running, ns waiting on a run queue, time slices). A thread that is woken (a request arrived, a
// statement's answer came) or preempted waits there until a core is free; on a machine whose cores Postgres, the
// service and its callers share, that wait is part of every answer's latency and of no process's CPU time, so it
// shows where a client's clock and the service's own part (bench/README.md round 19).
import { readdirSync, readFileSync } from 'node:fs';

export interface SchedTotals {
  /** ns on a core. */
  runNs: number;
  /** ns runnable but waiting for a core. */
  waitNs: number;
}

/** The sums over every thread of `pid`; zero for a process that has exited or a kernel without schedstat. */
function threadsOf(pid: number): SchedTotals {
  const totals = { runNs: 0, waitNs: 0 };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return totals;
  }
  for (const tid of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      totals.runNs += run!;
      totals.waitNs += wait!;
    } catch {
      // The thread ended between the listing and the read: its time is gone with it.
    }
  }
  return totals;
}

/** Every process whose command name is `comm` (Postgres's backends and helpers all show as `postgres`). */
function pidsNamed(comm: string): number[] {
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

/** Whether this kernel reports schedstat at all (it needs CONFIG_SCHED_INFO). */
export function schedstatAvailable(): boolean {
  try {
    readFileSync(`/proc/${process.pid}/schedstat`, 'utf8');
    return true;
  } catch {
    return false;
  }
}

type Groups = Record<string, readonly number[]>;

function sample(named: Groups): Map<string, Map<number, SchedTotals>> {
  const groups = new Map<string, Map<number, SchedTotals>>();
  for (const [name, pids] of [...Object.entries(named), ['postgres', pidsNamed('postgres')] as const]) {
    groups.set(name, new Map(pids.map((pid) => [pid, threadsOf(pid)])));
  }
  return groups;
}

/**
 * Starts counting for the named processes (all their threads) and every Postgres process; the returned function
 * stops and gives each group's time running and waiting for a core over the phase. A Postgres process that started
 * during the phase counts from its start; one that ended is left out.
 */
export function startRunQueueSplit(named: Groups): () => Record<string, SchedTotals> {
  const before = sample(named);
  return () => {
    const after = sample(named);
    const result: Record<string, SchedTotals> = {};
    for (const [name, pids] of after) {
      const total = { runNs: 0, waitNs: 0 };
      for (const [pid, now] of pids) {
        const then = before.get(name)?.get(pid) ?? { runNs: 0, waitNs: 0 };
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
  return order
    .map((name) => {
      const { runNs, waitNs } = split[name] ?? { runNs: 0, waitNs: 0 };
      const us = (ns: number) => Math.round(ns / 1000 / events);
      return `${name} ${us(waitNs)} / ${us(runNs)}`;
    })
    .join(', ');
}
