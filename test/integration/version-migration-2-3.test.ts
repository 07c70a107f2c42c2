import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceRulesFrom } from '../../src/engine/instance-rules.js';
import { migrateInstances } from '../../src/engine/migrate-instances.js';
import { cli } from '../support/cli.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, fundedMilestone, projectInProgress, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

/** Low caps, for the service and for the CLI process that migrates (both read them from the environment). */
const CAPS = {
  EVIDENCE_MAX_PER_DISPUTE: '3',
  CANCEL_REQUESTS_MAX_PER_MILESTONE: '2',
  DISPUTES_MAX_PER_MILESTONE: '3',
  PLATFORM_FEE_BPS: '300',
};

// The audited migration milestone@2 → milestone@3 (bounded growth, issue 15) on live instances: a dispute with
// more evidence than the new cap keeps it but takes no more; cancel requests and disputes its history already
// holds count against the caps; histories written by version 2, migrated or not, still replay and verify.
describe('milestone v2 → v3 migration', () => {
  let svc: TestService;
  let p: Parties;
  const ids = { disputed: '', toggled: '', quiet: '', funding: '' };
  const send = (id: string, body: object) => svc.http.post(`/v1/milestones/${id}/events`, body);
  const ok = async (id: string, body: object) => expect((await send(id, body)).status).toBe(200);

  beforeAll(async () => {
    // New milestones start on version 2 here, as they did before version 3 was released; the caps are low.
    svc = await startTestService({ NEW_INSTANCE_VERSIONS: 'milestone:2', ...CAPS });
    p = await projectInProgress(svc.http);
    // A dispute in negotiation with five pieces of evidence: more than the cap of 3.
    ids.disputed = (await fundedMilestone(svc.http, p, '1000')).id;
    await ok(ids.disputed, { type: 'OPEN_DISPUTE', actor: p.employer, reason: 'Late', offer: '100' });
    for (let i = 0; i < 5; i++) {
      await ok(ids.disputed, { type: 'SUBMIT_EVIDENCE', actor: p.freelancer, text: `Exhibit ${i}: café receipt` });
    }
    await ok(ids.disputed, { type: 'RESPOND', actor: p.freelancer, offer: '900' });
    // Three cancel requests rejected: one more than the cap of 2.
    ids.toggled = (await fundedMilestone(svc.http, p, '100')).id;
    for (let i = 0; i < 3; i++) {
      await ok(ids.toggled, { type: 'REQUEST_CANCEL', actor: p.employer, reason: `round ${i}` });
      await ok(ids.toggled, { type: 'REJECT_CANCEL', actor: p.freelancer });
    }
    // A settlement in flight: with the workers stopped, this one stays in `funding`.
    ids.quiet = (await fundedMilestone(svc.http, p, '100')).id;
    await svc.service.workers?.stop();
    await deposit(svc.http, p.employer, '100');
    const funding = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '100',
      description: 'In flight',
    });
    expect(funding.body.machine).toEqual({ name: 'milestone', version: 2 });
    ids.funding = funding.body.id;
  });
  afterAll(async () => svc?.stop());

  it('moves every settled v2 milestone through the CLI, recording the caps and the counted cycles', async () => {
    const env = { DATABASE_URL: svc.config.DATABASE_URL, LOG_LEVEL: 'silent', ...CAPS };
    const args = ['instances', 'migrate', '--machine', 'milestone', '--from', '2', '--to', '3'];
    const result = await cli([...args, '--actor', 'ops:alice', '--json'], env);
    expect(result.code, result.stderr).toBe(2); // the refusal makes the exit code non-zero
    const report = JSON.parse(result.stdout);
    expect(report.migrated.map((m: { id: string }) => m.id).sort()).toEqual(
      [ids.disputed, ids.toggled, ids.quiet].sort(),
    );
    expect(report.refused).toEqual([{ id: ids.funding, state: 'funding', reason: 'settlement in flight' }]);

    const entry = (await svc.http.get(`/v1/milestones/${ids.toggled}/history`)).body.items.at(-1);
    expect(entry).toMatchObject({ type: 'MIGRATE', actor: 'ops:alice', machineVersion: 3 });
    expect(entry.payload).toEqual({
      fromVersion: 2,
      toVersion: 3,
      params: {
        limits: { evidencePerDispute: 3, evidenceBytesPerDispute: 262144, cancelRequests: 2, disputes: 3 },
        counts: { cancelRequests: 3, disputes: 0 },
        platformFeeBps: 300,
      },
    });
  });

  it('keeps evidence beyond the cap, as sizes, and takes no more', async () => {
    const view = (await svc.http.get(`/v1/milestones/${ids.disputed}`)).body;
    expect(view).toMatchObject({ machine: { version: 3 }, state: { disputed: 'negotiation' } });
    expect(view.dispute.evidenceCount).toBe(5);
    expect(view.dispute.evidence[0]).toEqual({ by: 'freelancer', bytes: 'Exhibit 0: café receipt'.length + 1 });
    expect(view.limits.used).toEqual({ cancelRequests: 0, disputes: 1 });
    const row = await svc.db('instances').where({ id: ids.disputed }).first('snapshot');
    expect(JSON.stringify(row.snapshot)).not.toContain('Exhibit');
    const refused = await send(ids.disputed, { type: 'SUBMIT_EVIDENCE', actor: p.employer, text: 'More' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ rule: 'evidence_count_limit', details: { count: 5, limit: 3 } });
    // The dispute itself goes on.
    await ok(ids.disputed, { type: 'MAKE_OFFER', actor: p.employer, amountToFreelancer: '500' });
  });

  it('counts the cancel requests made before the migration', async () => {
    const refused = await send(ids.toggled, { type: 'REQUEST_CANCEL', actor: p.employer, reason: 'again' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ rule: 'cancel_request_limit', details: { count: 3, limit: 2 } });
  });

  it('replays and verifies every history, v2 ones and migrated ones, through cli verify', async () => {
    const replay = (await svc.http.get(`/v1/milestones/${ids.disputed}/replay`)).body;
    expect(replay.matchesStored).toBe(true);
    expect(replay.steps.at(-2)).toMatchObject({ event: { type: 'MIGRATE' }, machineVersion: 3 });
    const verified = await cli(['verify', '--json'], { DATABASE_URL: svc.config.DATABASE_URL, LOG_LEVEL: 'silent' });
    expect(verified.code, verified.stdout).toBe(0);
    await assertLedgerInvariants(svc.db);
  });
});

// The function API as the CLI calls it: a dry run lists what would move and writes nothing.
describe('milestone v2 → v3 dry run', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ NEW_INSTANCE_VERSIONS: 'milestone:2' });
  });
  afterAll(async () => svc?.stop());

  it('writes nothing', async () => {
    const p = await projectInProgress(svc.http);
    const { id } = await fundedMilestone(svc.http, p, '100');
    const history = await svc.db('history').where({ instance_id: id }).count<{ count: string }[]>('* as count');
    const report = await migrateInstances(
      svc.db,
      { machine: 'milestone', from: 2, to: 3, dryRun: true, actor: 'ops', batchSize: 10 },
      instanceRulesFrom(svc.config),
    );
    expect(report.migrated.map((m) => m.id)).toEqual([id]);
    expect((await svc.db('instances').where({ id }).first('version')).version).toBe(2);
    expect(await svc.db('history').where({ instance_id: id }).count<{ count: string }[]>('* as count')).toEqual(
      history,
    );
  });
});
