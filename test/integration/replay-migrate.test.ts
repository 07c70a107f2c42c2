import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateInstances } from '../../src/engine/migrate-instances.js';
import { instanceRulesFrom } from '../../src/engine/instance-rules.js';
import { verifyInstances, type Mismatch } from '../../src/replay/verify-instances.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { fundedMilestone, projectInProgress, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Replay across the owner's audited migration: a milestone born on version 1, moved to version 2 by the real
// migration command mid-life, then finished on version 2. Replay must switch machines at the MIGRATE entry.
describe('replay across a real milestone 1 → 2 migration', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ NEW_INSTANCE_VERSIONS: 'milestone:1' });
  });
  afterAll(async () => svc?.stop());

  it('reproduces the stored snapshot and reports the version of every step', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '100');
    expect(m.machine).toEqual({ name: 'milestone', version: 1 });
    await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer, amount: '25' });
    await waitSettled(svc.http, m.id);

    const report = await migrateInstances(
      svc.db,
      { machine: 'milestone', from: 1, to: 2, dryRun: false, actor: 'ops:test', batchSize: 10 },
      instanceRulesFrom(svc.config),
    );
    expect(report.migrated.map((r) => r.id)).toContain(m.id);
    expect((await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer })).status).toBe(
      200,
    );
    expect(await waitSettled(svc.http, m.id)).toMatchObject({ state: 'released', machine: { version: 2 } });

    const replay = (await svc.http.get(`/v1/milestones/${m.id}/replay`)).body;
    expect(replay.firstDivergence).toBeNull();
    expect(replay.matchesStored).toBe(true);
    expect(
      replay.steps.map(
        (s: { event: { type: string }; machineVersion: number }) => `${s.event.type}@${s.machineVersion}`,
      ),
    ).toEqual(['CREATE@1', 'SETTLED@1', 'RELEASE@1', 'SETTLED@1', 'MIGRATE@2', 'RELEASE@2', 'SETTLED@2']);
    const beforeMigration = (await svc.http.get(`/v1/milestones/${m.id}/replay?to=4`)).body.final;
    expect(beforeMigration).toMatchObject({ machineVersion: 1, state: 'in_progress' });
    expect(beforeMigration.context.disputeRules).toBeUndefined();
    const afterMigration = (await svc.http.get(`/v1/milestones/${m.id}/replay?to=5`)).body.final;
    expect(afterMigration).toMatchObject({ machineVersion: 2, state: 'in_progress', context: { dispute: null } });
    expect(afterMigration.context.disputeRules).toBeDefined();

    const mismatches: Mismatch[] = [];
    await verifyInstances(
      svc.db,
      { batchSize: 50, historyBatchEvents: 500, maxEvents: 1000 },
      { onMismatch: (x) => mismatches.push(x) },
    );
    expect(mismatches).toEqual([]);
    await assertLedgerInvariants(svc.db);
  });
});
