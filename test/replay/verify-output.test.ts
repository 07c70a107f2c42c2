import { describe, expect, it } from 'vitest';
import { timelineTable } from '../../src/replay/timeline-table.js';
import { lineReporter } from '../../src/replay/verify-progress.js';

describe('verify progress without a terminal', () => {
  it('writes plain lines at most once per interval, and a final line', () => {
    let clock = 0;
    const lines: string[] = [];
    const reporter = lineReporter(
      100,
      (l) => lines.push(l),
      1000,
      () => clock,
    );
    clock = 500;
    reporter.update({ instances: 10, events: 80, mismatches: 0 });
    expect(lines).toEqual([]);
    clock = 1000;
    reporter.update({ instances: 20, events: 160, mismatches: 1 });
    expect(lines).toEqual(['verify: 20/100 instances (20%), 160 events, 20 inst/s, 1 mismatches, ETA 4s']);
    clock = 1200;
    reporter.update({ instances: 30, events: 240, mismatches: 1 });
    expect(lines).toHaveLength(1);
    clock = 5000;
    reporter.stop({ instances: 100, events: 800, mismatches: 1 });
    expect(lines[1]).toBe('verify: 100/100 instances (100%), 800 events, 20 inst/s, 1 mismatches, ETA 0s');
  });
});

describe('history timeline table', () => {
  it('prints one aligned row per event with actor, role, API client, states and money', () => {
    const text = timelineTable([
      {
        seq: 1,
        at: '2026-01-02T03:04:05.678Z',
        actor: 'alice',
        role: 'employer',
        type: 'CREATE',
        payload: { amount: '500', description: 'Logo' },
        client: { id: 'cli_1', name: 'marketplace-backend' },
        from: 'draft',
        to: 'funding',
        transfers: [],
      },
      {
        seq: 2,
        at: '2026-01-02T03:04:06.000Z',
        actor: 'system',
        role: 'system',
        type: 'SETTLED',
        payload: {},
        client: null,
        from: 'funding',
        to: 'in_progress',
        transfers: [{ kind: 'fund', amount: '500', from: 'a', to: 'b' }],
      },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^seq\s+time\s+actor\s+client\s+event\s+from → to\s+money moved$/);
    expect(lines[2]).toContain('alice (employer)');
    expect(lines[2]).toContain('marketplace-backend');
    expect(lines[2]).toContain('CREATE {"amount":"500","description":"Logo"}');
    expect(lines[2]).toContain('draft → funding');
    // No API client raised SETTLED (settlement did): "—".
    expect(lines[3]).toMatch(
      /2026-01-02 03:04:06Z\s+system \(system\)\s+—\s+SETTLED\s+funding → in_progress\s+fund 500$/,
    );
    // Columns line up: every row's "from → to" starts at the same offset.
    expect(lines[2]?.indexOf('draft →')).toBe(lines[3]?.indexOf('funding →'));
  });
});
