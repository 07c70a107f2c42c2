import { describe, expect, it } from 'vitest';
import { latencyByType, parseTransitionBuckets } from '../../bench/latency-by-type.js';

// A histogram as prom-client exposes it: cumulative buckets, labels in any order, other metrics around it.
const exposition = (create: number[], release: number[]) => `# HELP escrow_transition_duration_seconds Time
# TYPE escrow_transition_duration_seconds histogram
${['0.005', '0.01', '0.025', '0.05', '+Inf']
  .map(
    (le, i) => `escrow_transition_duration_seconds_bucket{le="${le}",machine="milestone",type="CREATE"} ${create[i]}`,
  )
  .join('\n')}
${['0.005', '0.01', '0.025', '0.05', '+Inf']
  .map(
    (le, i) => `escrow_transition_duration_seconds_bucket{machine="milestone",type="RELEASE",le="${le}"} ${release[i]}`,
  )
  .join('\n')}
escrow_transition_duration_seconds_sum{machine="milestone",type="CREATE"} 1.5
escrow_events_total{machine="milestone",type="CREATE",result="applied"} 40
`;

describe('latency by event type from the service histogram', () => {
  it('counts what a phase added to each bucket, per type, most events first', () => {
    const before = parseTransitionBuckets(exposition([1, 2, 3, 4, 5], [0, 0, 0, 0, 0]));
    const after = parseTransitionBuckets(exposition([2, 4, 10, 20, 45], [10, 20, 29, 30, 30]));
    expect(latencyByType(before, after)).toEqual([
      { machine: 'milestone', type: 'CREATE', events: 40, within10Ms: 2, within25Ms: 7, over50Ms: 24 },
      { machine: 'milestone', type: 'RELEASE', events: 30, within10Ms: 20, within25Ms: 29, over50Ms: 0 },
    ]);
  });

  it('leaves out types the phase did not apply, and reads a type first seen after the phase began', () => {
    const before = parseTransitionBuckets('');
    const after = parseTransitionBuckets(exposition([0, 0, 0, 0, 0], [1, 1, 1, 1, 1]));
    expect(latencyByType(before, after)).toEqual([
      { machine: 'milestone', type: 'RELEASE', events: 1, within10Ms: 1, within25Ms: 1, over50Ms: 0 },
    ]);
  });
});
