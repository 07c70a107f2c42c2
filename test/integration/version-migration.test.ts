import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceRulesFrom } from '../../src/engine/instance-rules.js';
import { migrateInstances } from '../../src/engine/migrate-instances.js';
import { cli } from '../support/cli.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, fundedMilestone, projectInProgress, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('milestone v1 → v2 migration', () => {
  let svc: TestService;
  const ids: Record<string, string> = {};
  let employer = '';
  const send = (id: string, body: object) => svc.http.post(`/v1/milestones/${id}/events`, body);

  beforeAll(async () => {
    // New instances start on version 1 here, as they did before version 2 was released.
    svc = await startTestService({ NEW_INSTANCE_VERSIONS: 'milestone:1,project:1' });
    const p = await projectInProgress(svc.http);
    const create = async (type: 'CREATE' | 'REQUEST', amount: string) => {
      const actor = type === 'CREATE' ? p.employer : p.freelancer;
      const r = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
        type,
        actor,
        amount,
        description: type,
      });
      expect(r.body.machine).toEqual({ name: 'milestone', version: 1 });
      return r.body.id as string;
    };
    ids.requested = await create('REQUEST', '10');
    ids.rejected = await create('REQUEST', '10');
    await send(ids.rejected, { type: 'REJECT_REQUEST', actor: p.employer });
    ids.deleted = await create('REQUEST', '10');
    await send(ids.deleted, { type: 'DELETE_REQUEST', actor: p.freelancer });
    ids.funding_failed = await create('CREATE', '10');
    expect((await waitSettled(svc.http, ids.funding_failed)).state).toBe('funding_failed');
    ids.abandoned = await create('CREATE', '10');
    await waitSettled(svc.http, ids.abandoned);
    await send(ids.abandoned, { type: 'ABANDON', actor: p.employer });
    ids.in_progress = (await fundedMilestone(svc.http, p, '100')).id;
    ids.released = (await fundedMilestone(svc.http, p, '100')).id;
    await send(ids.released!, { type: 'RELEASE', actor: p.employer });
    await waitSettled(svc.http, ids.released!);
    ids.cancelled = (await fundedMilestone(svc.http, p, '100')).id;
    await send(ids.cancelled!, { type: 'CANCEL', actor: p.freelancer });
    await waitSettled(svc.http, ids.cancelled!);
    // A settlement in flight: with the workers stopped, this one stays in `funding`.
    await svc.service.workers?.stop();
    await deposit(svc.http, p.employer, '100');
    ids.funding = await create('CREATE', '100');
    employer = p.employer;
  });
  afterAll(async () => svc?.stop());

  const versions = async () =>
    Object.fromEntries(
      (await svc.db('instances').where({ machine: 'milestone' }).select('id', 'version')).map((r) => [
        r.id,
        r.version as number,
      ]),
    );

  it('lists in a dry run what would move and what is refused, and writes nothing', async () => {
    const before = await versions();
    const historyBefore = await svc.db('history').count<{ count: bigint }[]>('* as count');
    const report = await migrateInstances(
      svc.db,
      { machine: 'milestone', from: 1, to: 2, dryRun: true, actor: 'ops', batchSize: 3 },
      instanceRulesFrom(svc.config),
    );
    expect(report.migrated.map((m) => m.id).sort()).toEqual(
      ['requested', 'rejected', 'deleted', 'funding_failed', 'abandoned', 'in_progress', 'released', 'cancelled']
        .map((k) => ids[k])
        .sort(),
    );
    expect(report.refused).toEqual([{ id: ids.funding, state: 'funding', reason: 'settlement in flight' }]);
    expect(await versions()).toEqual(before);
    expect(await svc.db('history').count<{ count: bigint }[]>('* as count')).toEqual(historyBefore);
  });

  it('moves the mappable ones with a MIGRATE history entry each, through the CLI', async () => {
    const env = { DATABASE_URL: svc.config.DATABASE_URL, LOG_LEVEL: 'silent' };
    const args = [
      'instances',
      'migrate',
      '--machine',
      'milestone',
      '--from',
      '1',
      '--to',
      '2',
      '--actor',
      'ops:alice',
      '--json',
    ];
    const result = await cli(args, env);
    expect(result.code, result.stderr).toBe(2); // refusals make the exit code non-zero
    const report = JSON.parse(result.stdout);
    expect(report.migrated).toHaveLength(8);
    expect(report.refused.map((r: { id: string }) => r.id)).toEqual([ids.funding]);

    const after = await versions();
    for (const key of Object.keys(ids).filter((k) => k !== 'funding')) expect(after[ids[key]!], key).toBe(2);
    expect(after[ids.funding!]).toBe(1);
    const entry = (await svc.http.get(`/v1/milestones/${ids.in_progress}/history`)).body.items.at(-1);
    expect(entry).toMatchObject({
      type: 'MIGRATE',
      actor: 'ops:alice',
      role: 'support',
      from: 'in_progress',
      to: 'in_progress',
      machineVersion: 2,
    });
    expect(entry.payload).toMatchObject({
      fromVersion: 1,
      toVersion: 2,
      params: { disputeRules: { arbitrationFee: '500' } },
    });
    await assertLedgerInvariants(svc.db);
  });

  it('gives migrated instances the version 2 rules and leaves the others on version 1', async () => {
    const migrated = await svc.http.get(`/v1/milestones/${ids.in_progress}`);
    expect(migrated.body).toMatchObject({ machine: { name: 'milestone', version: 2 }, state: 'in_progress' });
    expect(migrated.body.allowedEvents).toContain('OPEN_DISPUTE');
    const opened = await send(ids.in_progress!, { type: 'OPEN_DISPUTE', actor: employer, reason: 'x', offer: '0' });
    expect(opened.body.state).toEqual({ disputed: 'awaiting_response' });

    const old = await send(ids.funding!, { type: 'OPEN_DISPUTE', actor: employer, reason: 'x', offer: '0' });
    expect(old.status).toBe(400);
    expect(old.body.error.code).toBe('invalid_request');
  });

  it('has nothing left to move on a second run but the refused one', async () => {
    const report = await migrateInstances(
      svc.db,
      { machine: 'milestone', from: 1, to: 2, dryRun: false, actor: 'ops', batchSize: 100 },
      instanceRulesFrom(svc.config),
    );
    expect(report.migrated).toEqual([]);
    expect(report.refused.map((r) => r.id)).toEqual([ids.funding]);
  });
});
