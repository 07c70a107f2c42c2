// The toggle probe's client: what an internal service does when it drives the engine as hard as it can. Shared by
// the probe against the service (toggle-probe.ts) and against a stand-in that does no work (probe-floor.ts), so
// that both measure the very same client.
import { PerformanceObserver } from 'node:perf_hooks';
import { percentile, percentOf } from './stats.js';

export const PROBE_CLIENTS = 16;
// The p99 of requests sent after the first seconds too: the service's (and client's) JIT warm-up is in the first.
export const WARM_AFTER_S = 2;

export interface ClientResult {
  latenciesMs: number[];
  /** When each request was sent (performance.now()), for the tail past the first seconds. */
  sentAt: number[];
  errors: Map<string, number>;
}

export interface ToggleTarget {
  baseUrl: string;
  token: string;
  employer: string;
  freelancer: string;
  milestoneId: string;
}

/** One client: one request at a time over a keep-alive connection (Node's fetch), alternating the flag. */
export async function toggle(target: ToggleTarget, until: number): Promise<ClientResult> {
  const result: ClientResult = { latenciesMs: [], sentAt: [], errors: new Map() };
  const bodies = [
    JSON.stringify({ type: 'REQUEST_CANCEL', actor: target.employer, reason: 'probe' }),
    JSON.stringify({ type: 'REJECT_CANCEL', actor: target.freelancer }),
  ];
  // Whole pairs, so the flag is down again when the loop ends (the next loop starts with a request); a pair that
  // cannot be finished within a grace period (its second half keeps being refused) ends the loop all the same.
  const finishPair = until + 5_000;
  for (let i = 0; Date.now() < until || (i % 2 === 1 && Date.now() < finishPair); i++) {
    const started = performance.now();
    const res = await fetch(`${target.baseUrl}/v1/milestones/${target.milestoneId}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
      body: bodies[i % 2],
    });
    const body = (await res.json()) as { error?: { code?: string } };
    result.latenciesMs.push(performance.now() - started);
    result.sentAt.push(started);
    if (res.status !== 200) {
      const key = `${res.status} ${body.error?.code ?? ''}`;
      result.errors.set(key, (result.errors.get(key) ?? 0) + 1);
      // Stay in step with the milestone's flag: a refused toggle is retried, not skipped.
      i--;
    }
  }
  return result;
}

export interface ProbeLatency {
  /** Answers with status 200. */
  ok: number;
  errors: Map<string, number>;
  p50Ms: number;
  p99Ms: number;
  /** p99 of the requests sent WARM_AFTER_S after the phase began. */
  p99WarmMs: number;
  /** Requests sent before WARM_AFTER_S (the JIT warm-up's), and after it, all answered, refusals included. */
  sentBeforeWarm: number;
  sentAfterWarm: number;
  maxMs: number;
  /** Share of answers within 25 ms, as a table cell. */
  within25: string;
}

/** The clients' latencies together; `warmAfter` is the performance.now() from which a request counts as warm. */
export function probeLatency(results: readonly ClientResult[], warmAfter: number): ProbeLatency {
  const sorted = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const warm = results.flatMap((r) => r.latenciesMs.filter((_, i) => r.sentAt[i]! >= warmAfter)).sort((a, b) => a - b);
  const errors = new Map<string, number>();
  for (const r of results) for (const [k, n] of r.errors) errors.set(k, (errors.get(k) ?? 0) + n);
  return {
    ok: sorted.length - [...errors.values()].reduce((a, b) => a + b, 0),
    errors,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    p99WarmMs: percentile(warm, 99),
    sentBeforeWarm: sorted.length - warm.length,
    sentAfterWarm: warm.length,
    maxMs: sorted.at(-1) ?? Number.NaN,
    within25: percentOf(sorted.filter((l) => l <= 25).length, sorted.length),
  };
}

/** The errors of a phase as a table cell: 0, or each kind with its count. */
export function errorsCell(errors: Map<string, number>): string | number {
  return errors.size ? [...errors].map(([k, n]) => `${n}× ${k}`).join(', ') : 0;
}

export interface GcPauses {
  count: number;
  totalMs: number;
  longestMs: number;
}

/**
 * Counts this process's garbage-collection pauses from now until the returned function is called: every request in
 * flight in the client waits through each of them, whatever the service does.
 */
function watchGcPauses(): () => GcPauses {
  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    return {
      count: pauses.length,
      totalMs: pauses.reduce((a, b) => a + b, 0),
      longestMs: pauses.reduce((a, b) => Math.max(a, b), 0),
    };
  };
}

/** A GC summary as a table cell: how many pauses, the longest and their total. */
export function gcCell(gc: GcPauses): string {
  return `${gc.count}, ${gc.longestMs.toFixed(1)}, ${Math.round(gc.totalMs)}`;
}

/** What the clients measured over one phase, with what the phase cost the client process itself. */
export interface ClientPhase {
  latency: ProbeLatency;
  /** Answers with status 200 per second of the phase. */
  perSecond: number;
  /** The client process's CPU (user + system) per answered event, ms. */
  clientCpuMsPerEvent: number;
  gc: GcPauses;
}

/** Runs one client per target, each until `seconds` have passed, and measures them together. */
export async function measureClients(targets: readonly ToggleTarget[], seconds: number): Promise<ClientPhase> {
  const stopGc = watchGcPauses();
  const clientCpu = process.cpuUsage();
  const started = Date.now();
  const warmAfter = performance.now() + WARM_AFTER_S * 1000;
  const results = await Promise.all(targets.map((target) => toggle(target, started + seconds * 1000)));
  const elapsed = (Date.now() - started) / 1000;
  const { user, system } = process.cpuUsage(clientCpu);
  const gc = stopGc();
  const latency = probeLatency(results, warmAfter);
  return {
    latency,
    perSecond: latency.ok / elapsed,
    clientCpuMsPerEvent: (user + system) / 1000 / latency.ok,
    gc,
  };
}
