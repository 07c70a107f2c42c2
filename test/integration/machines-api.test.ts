import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTransitions } from '../../src/paths/transitions.js';
import { pinnedMachine } from '../../machines/registry.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('machines over HTTP', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ PATHS_LIMIT_MAX: '50' }, { workers: false });
  });
  afterAll(async () => svc?.stop());

  it('lists every registered machine with its versions and the current one', async () => {
    const res = await svc.http.get('/v1/machines');
    expect(res.body).toEqual([
      { name: 'project', versions: [1, 2], current: 2 },
      { name: 'milestone', versions: [1, 2, 3], current: 3 },
      { name: 'payout', versions: [1], current: 1 },
    ]);
  });

  it('returns a definition with states, guarded transitions and events with roles and payload schemas', async () => {
    const v1 = (await svc.http.get('/v1/machines/milestone?version=1')).body;
    expect(v1).toMatchObject({ name: 'milestone', version: 1, root: { id: 'milestone', initial: 'draft' } });
    expect(v1.root.states.map((s: { key: string }) => s.key)).not.toContain('disputed');
    const v2 = (await svc.http.get('/v1/machines/milestone?version=2')).body;
    expect(v2.version).toBe(2);
    expect(
      v2.root.states.find((s: { key: string }) => s.key === 'disputed').states.map((s: { key: string }) => s.key),
    ).toEqual(['awaiting_response', 'negotiation', 'arbitration_pending', 'arbitration']);
    const release = v2.transitions.find(
      (t: { source: string; event: string }) => t.source === 'milestone.in_progress' && t.event === 'RELEASE',
    );
    expect(release).toEqual({
      source: 'milestone.in_progress',
      event: 'RELEASE',
      targets: ['milestone.releasing'],
      guard: 'and(actorMaySend, releaseWithinRemaining)',
    });
    expect(v2.transitions).toHaveLength(allTransitions(pinnedMachine('milestone', 2).machine).length);
    const rule = v2.events.find((e: { type: string }) => e.type === 'RULE');
    expect(rule).toMatchObject({
      roles: ['support'],
      clientEvent: true,
      payload: { type: 'object', required: ['amountToFreelancer'] },
    });
    expect(v2.events.find((e: { type: string }) => e.type === 'SETTLED')).toMatchObject({
      roles: ['system'],
      clientEvent: false,
      payload: null,
    });
    // The latest, version 3: version 2's transitions, four of them capped (bounded growth, issue 15).
    const v3 = (await svc.http.get('/v1/machines/milestone')).body;
    expect(v3.version).toBe(3);
    expect(v3.transitions).toHaveLength(v2.transitions.length);
    expect(
      v3.transitions.find(
        (t: { source: string; event: string }) => t.source === 'milestone.in_progress' && t.event === 'REQUEST_CANCEL',
      ).guard,
    ).toBe('and(actorMaySend, cancelNotRequested, cancelRequestsWithinLimit)');
  });

  it('generates deterministic paths by strategy and version, capped by limit', async () => {
    const a = (await svc.http.get('/v1/machines/milestone/paths?strategy=shortest&version=1')).body;
    const b = (await svc.http.get('/v1/machines/milestone/paths?strategy=shortest&version=1')).body;
    expect(a).toEqual(b);
    expect(a.machine).toEqual({ name: 'milestone', version: 1 });
    const toReleased = a.paths.find((p: { target: string }) => p.target === 'released');
    expect(toReleased.events.map((e: { type: string; role: string }) => `${e.type}/${e.role}`)).toEqual([
      'CREATE/employer',
      'SETTLED/system',
      'RELEASE/employer',
      'SETTLED/system',
    ]);
    const simple = (await svc.http.get('/v1/machines/milestone/paths?strategy=simple&limit=10')).body;
    expect(simple.paths).toHaveLength(10);
    expect(simple.truncated).toBe(true);
    expect((await svc.http.get('/v1/machines/milestone/paths?limit=51')).status).toBe(400);
    expect((await svc.http.get('/v1/machines/milestone/paths?strategy=random')).status).toBe(400);
    expect((await svc.http.get('/v1/machines/nope/paths')).status).toBe(404);
    expect((await svc.http.get('/v1/machines/milestone?version=9')).status).toBe(404);
    // The first simple-path request computes all 7,882 simple paths of milestone@2 (about 30 s of CPU on a
    // loaded 2-core machine) before the limit applies; later ones are memoised. See docs/testing.md "Model-based tests".
  }, 120_000);
});
