// Where a phase's latency tail comes from, by event type, as the service itself measured it: the buckets of its
// escrow_transition_duration_seconds histogram (src/metrics/metrics.ts) scraped from /metrics before and after
// the phase. Server side only (from the event reaching the API's routes to the reply leaving), so it leaves out
// what wrk's figures include: time in the kernel, in the load generator, and before the API reads the request.

const HISTOGRAM = 'escrow_transition_duration_seconds_bucket';

/** Cumulative counts per `machine type` and bucket bound in seconds (`+Inf` as Infinity). */
export type TransitionBuckets = Map<string, Map<number, number>>;

/** One event type's applied events in a phase: how many, and how many the service answered within each bound. */
export interface TypeLatency {
  machine: string;
  type: string;
  events: number;
  within10Ms: number;
  within25Ms: number;
  over50Ms: number;
}

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/(\w+)="([^"]*)"/g)) labels[name!] = value!;
  return labels;
}

/** The histogram's buckets out of a Prometheus text exposition. */
export function parseTransitionBuckets(exposition: string): TransitionBuckets {
  const buckets: TransitionBuckets = new Map();
  for (const line of exposition.split('\n')) {
    const match = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== HISTOGRAM) continue;
    const { machine, type, le } = labelsOf(match[2]!);
    if (machine === undefined || type === undefined || le === undefined) continue;
    const key = `${machine} ${type}`;
    if (!buckets.has(key)) buckets.set(key, new Map());
    buckets.get(key)!.set(le === '+Inf' ? Infinity : Number(le), Number(match[3]));
  }
  return buckets;
}

export async function scrapeTransitionBuckets(baseUrl: string, token: string): Promise<TransitionBuckets> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /metrics → ${res.status}`);
  return parseTransitionBuckets(await res.text());
}

/** What the phase between two scrapes added, per event type, most events first. */
export function latencyByType(before: TransitionBuckets, after: TransitionBuckets): TypeLatency[] {
  const rows: TypeLatency[] = [];
  for (const [key, counts] of after) {
    const added = (bound: number) => (counts.get(bound) ?? 0) - (before.get(key)?.get(bound) ?? 0);
    const events = added(Infinity);
    if (events === 0) continue;
    const [machine, type] = key.split(' ') as [string, string];
    rows.push({
      machine,
      type,
      events,
      within10Ms: added(0.01),
      within25Ms: added(0.025),
      over50Ms: events - added(0.05),
    });
  }
  return rows.sort((a, b) => b.events - a.events);
}
