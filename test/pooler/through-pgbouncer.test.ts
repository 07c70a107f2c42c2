import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { pgBouncerAdmin } from '../support/pgbouncer.js';
import { fundedMilestone, projectInProgress, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Run by the `pgbouncer` project only: evidence that its services really talk to Postgres through the pooler.
describe('a service behind the transaction-mode PgBouncer', () => {
  const pooler = inject('pooler');
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    if (svc) await assertLedgerInvariants(svc.db);
    await svc?.stop();
  });

  it('connects through the pooler with the prepared-statement setting its version needs', () => {
    expect(pooler).toBeDefined();
    expect(new URL(svc.config.DATABASE_URL).port).toBe(String(pooler!.port));
    expect(svc.config.DATABASE_PREPARED_STATEMENTS).toBe(pooler!.preparedStatements);
  });

  it('runs its transactions on the pooled server connections, never more of them than the pool holds', async () => {
    const p = await projectInProgress(svc.http);
    const milestones = await Promise.all([0, 1, 2, 3].map(() => fundedMilestone(svc.http, p, '250')));
    await Promise.all(
      milestones.map((m) => svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer })),
    );
    for (const m of milestones) expect((await waitSettled(svc.http, m.id)).state).toBe('released');
    const stats = await pgBouncerAdmin(pooler!.port, 'SHOW STATS');
    const mine = stats.find((row) => row.database === svc.databaseName);
    expect(Number(mine?.total_xact_count)).toBeGreaterThan(20);
    const pools = await pgBouncerAdmin(pooler!.port, 'SHOW POOLS');
    const pool = pools.find((row) => row.database === svc.databaseName);
    const servers = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'].reduce(
      (sum, column) => sum + Number(pool?.[column] ?? 0),
      0,
    );
    expect(servers).toBeGreaterThan(0);
    expect(servers).toBeLessThanOrEqual(pooler!.poolSize);
  });
});
