import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyInstances, type Mismatch } from '../../src/replay/verify-instances.js';
import { cli } from '../support/cli.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { rewriteLedger } from '../support/ledger-rewrite.js';
import { deposit, fundedMilestone, projectInProgress, uid, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('history, replay and verification over the real service', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  // Whatever version new milestones start on (the owner is rolling out milestone@2): replay must not care.
  const versionOf = async (id: string): Promise<number> => (await svc.db('instances').where({ id }).first()).version;
  const event = (id: string, body: object) => svc.http.post(`/v1/milestones/${id}/events`, body);

  /** Funded 100, released 30, released the rest: 6 events, every one with its transfers. */
  async function releasedMilestone() {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '100');
    expect((await event(m.id, { type: 'RELEASE', actor: p.employer, amount: '30' })).status).toBe(200);
    await waitSettled(svc.http, m.id);
    expect((await event(m.id, { type: 'RELEASE', actor: p.employer })).status).toBe(200);
    expect((await waitSettled(svc.http, m.id)).state).toBe('released');
    return { p, id: m.id as string };
  }

  const verifyAll = async (machine?: string) => {
    const mismatches: Mismatch[] = [];
    const summary = await verifyInstances(
      svc.db,
      { machine, batchSize: 2, historyBatchEvents: 5, maxEvents: svc.config.REPLAY_MAX_EVENTS },
      { onMismatch: (m) => mismatches.push(m) },
    );
    return { summary, mismatches };
  };

  it('serves history with actor, role, states, transfers and cursor pagination', async () => {
    const { p, id } = await releasedMilestone();
    const all = (await svc.http.get(`/v1/milestones/${id}/history`)).body;
    expect(
      all.items.map(
        (h: { seq: number; type: string; from: string; to: string }) => `${h.seq} ${h.type} ${h.from}→${h.to}`,
      ),
    ).toEqual([
      '1 CREATE draft→funding',
      '2 SETTLED funding→in_progress',
      '3 RELEASE in_progress→releasing',
      '4 SETTLED releasing→in_progress',
      '5 RELEASE in_progress→releasing',
      '6 SETTLED releasing→released',
    ]);
    expect(all.items[0]).toMatchObject({
      actor: p.employer,
      payload: { amount: '100', description: 'Work' },
      machineVersion: await versionOf(id),
      transfers: [],
    });
    expect(all.items[1].transfers).toEqual([
      expect.objectContaining({ from: `available:USD:${p.employer}`, to: `escrow:USD:${id}`, amount: '100' }),
    ]);
    expect(all.items[3].transfers).toEqual([
      expect.objectContaining({ from: `escrow:USD:${id}`, to: `available:USD:${p.freelancer}`, amount: '30' }),
    ]);
    expect(typeof all.items[0].at).toBe('string');

    const first = (await svc.http.get(`/v1/milestones/${id}/history?limit=4`)).body;
    expect(first.items.map((h: { seq: number }) => h.seq)).toEqual([1, 2, 3, 4]);
    const rest = (await svc.http.get(`/v1/milestones/${id}/history?limit=4&cursor=${first.nextCursor}`)).body;
    expect(rest.items.map((h: { seq: number }) => h.seq)).toEqual([5, 6]);
    expect(rest.nextCursor).toBeNull();
    expect(
      (await svc.http.get(`/v1/projects/${p.projectId}/history`)).body.items.map((h: { type: string }) => h.type),
    ).toEqual(
      expect.arrayContaining(['AWARD', 'ACCEPT_AWARD', 'MILESTONE_OPENED', 'MILESTONE_RELEASED', 'MILESTONE_CLOSED']),
    );
  });

  it('replays a milestone step by step and finds it matches the stored snapshot', async () => {
    const { id } = await releasedMilestone();
    const res = await svc.http.get(`/v1/milestones/${id}/replay`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id,
      machine: { name: 'milestone', version: await versionOf(id) },
      seq: 6,
      matchesStored: true,
      firstDivergence: null,
    });
    expect(res.body.steps.map((s: { seq: number; state: string }) => `${s.seq}:${s.state}`)).toEqual([
      '1:funding',
      '2:in_progress',
      '3:releasing',
      '4:in_progress',
      '5:releasing',
      '6:released',
    ]);
    expect(res.body.steps[2].event).toEqual({ type: 'RELEASE', actor: expect.any(String), amount: '30' });
    const stored = (await svc.db('instances').where({ id }).first()).snapshot;
    expect(res.body.final).toMatchObject({ state: stored.value, context: stored.context });
  });

  it('replays to step N (?to=) and to the initial state (?to=0)', async () => {
    const { id } = await releasedMilestone();
    const at3 = (await svc.http.get(`/v1/milestones/${id}/replay?to=3`)).body;
    expect(at3.steps).toHaveLength(3);
    expect(at3.final).toMatchObject({
      seq: 3,
      state: 'releasing',
      context: { pendingRelease: '30', releasedAmount: '0' },
    });
    expect(at3.matchesStored).toBe(true);
    const at0 = (await svc.http.get(`/v1/milestones/${id}/replay?to=0`)).body;
    expect(at0).toMatchObject({ steps: [], final: { seq: 0, state: 'draft', context: { amount: '0' } } });
    expect((await svc.http.get(`/v1/milestones/${id}/replay?to=99`)).body.final.seq).toBe(6);
    for (const bad of ['-1', 'x', '1.5'])
      expect((await svc.http.get(`/v1/milestones/${id}/replay?to=${bad}`)).status).toBe(400);
  });

  it('replays projects too, from open at seq 0', async () => {
    const p = await projectInProgress(svc.http);
    await fundedMilestone(svc.http, p, '10');
    const res = await svc.http.get(`/v1/projects/${p.projectId}/replay`);
    expect(res.body).toMatchObject({
      matchesStored: true,
      firstDivergence: null,
      final: { state: 'in_progress', context: { pendingMilestones: 1 } },
    });
    expect((await svc.http.get(`/v1/projects/${p.projectId}/replay?to=0`)).body.final.state).toBe('open');
  });

  it('allows read or support scope, refuses others, and answers 404 for unknown ids', async () => {
    const { id } = await releasedMilestone();
    expect((await (await svc.clientWith(['read'])).get(`/v1/milestones/${id}/replay`)).status).toBe(200);
    expect((await (await svc.clientWith(['support'])).get(`/v1/milestones/${id}/replay`)).status).toBe(200);
    const writer = await (await svc.clientWith(['events:write'])).get(`/v1/milestones/${id}/replay`);
    expect(writer.status).toBe(403);
    expect(writer.body.error.code).toBe('forbidden');
    expect((await svc.http.get('/v1/milestones/nope/replay')).body.error.code).toBe('not_found');
    // A project id is not a milestone.
    const { p } = await releasedMilestone();
    expect((await svc.http.get(`/v1/milestones/${p.projectId}/replay`)).status).toBe(404);
  });

  it('never writes: replay leaves the instance, its history and the outbox untouched', async () => {
    const { id } = await releasedMilestone();
    const before = await svc.db('instances').where({ id }).first();
    const counts = async () =>
      Promise.all(['history', 'outbox', 'transfers'].map(async (t) => (await svc.db(t).count({ c: '*' }))[0]?.c));
    const countsBefore = await counts();
    await svc.http.get(`/v1/milestones/${id}/replay`);
    await svc.http.get(`/v1/milestones/${id}/replay?to=2`);
    expect(await svc.db('instances').where({ id }).first()).toEqual(before);
    expect(await counts()).toEqual(countsBefore);
  });

  it('reports a corrupted snapshot as not matching, with the first divergence', async () => {
    const { id } = await releasedMilestone();
    await svc.db.raw(
      `UPDATE instances SET snapshot = jsonb_set(snapshot, '{context,releasedAmount}', '"70"') WHERE id = ?`,
      [id],
    );
    const res = (await svc.http.get(`/v1/milestones/${id}/replay`)).body;
    expect(res.matchesStored).toBe(false);
    expect(res.firstDivergence).toMatchObject({
      seq: 6,
      kind: 'snapshot',
      path: 'context.releasedAmount',
      expected: { state: 'released', context: { releasedAmount: '70' } },
      actual: { state: 'released', context: { releasedAmount: '100' } },
    });
    // The CLI-side verification finds the same instance, and nothing else.
    const { mismatches } = await verifyAll('milestone');
    expect(mismatches.map((m) => m.id)).toEqual([id]);
    await svc.db.raw(
      `UPDATE instances SET snapshot = jsonb_set(snapshot, '{context,releasedAmount}', '"100"') WHERE id = ?`,
      [id],
    );
  });

  it('reports a history row whose recorded after-state was altered', async () => {
    const { id } = await releasedMilestone();
    await rewriteLedger(svc.db, 'alter a recorded state', (trx) =>
      trx('history')
        .where({ instance_id: id, seq: 4 })
        .update({ to_state: JSON.stringify('cancelled') }),
    );
    const res = (await svc.http.get(`/v1/milestones/${id}/replay`)).body;
    expect(res.matchesStored).toBe(true);
    expect(res.firstDivergence).toMatchObject({
      seq: 4,
      kind: 'state_after',
      expected: 'cancelled',
      actual: 'in_progress',
    });
    await rewriteLedger(svc.db, 'restore the recorded state', (trx) =>
      trx('history')
        .where({ instance_id: id, seq: 4 })
        .update({ to_state: JSON.stringify('in_progress') }),
    );
  });

  it('verifies every instance in small batches and checks escrow against the ledger', async () => {
    const { id } = await releasedMilestone();
    const p = await projectInProgress(svc.http);
    const held = await fundedMilestone(svc.http, p, '40');
    const clean = await verifyAll();
    expect(clean.mismatches).toEqual([]);
    const total = Number((await svc.db('instances').count({ c: '*' }))[0]?.c);
    expect(clean.summary.instances).toBe(total);
    const historyRows = Number((await svc.db('history').count({ c: '*' }))[0]?.c);
    expect(clean.summary.events).toBe(historyRows);

    // Money leaves the escrow with no transfer and no event: both escrow invariants break for that milestone.
    await svc
      .db('accounts')
      .where({ id: `escrow:USD:${held.id}` })
      .decrement('balance', 5);
    await svc
      .db('accounts')
      .where({ id: `available:USD:${p.freelancer}` })
      .increment('balance', 5);
    const broken = await verifyAll('milestone');
    expect(broken.mismatches.map((m) => m.id)).toEqual([held.id]);
    expect(broken.mismatches[0]?.problems.join('\n')).toContain(
      'escrow balance 35 ≠ funded − released − returned per transfers 40',
    );
    await svc
      .db('accounts')
      .where({ id: `escrow:USD:${held.id}` })
      .increment('balance', 5);
    await svc
      .db('accounts')
      .where({ id: `available:USD:${p.freelancer}` })
      .decrement('balance', 5);

    // A stored state that says the money is gone while the escrow still holds it.
    await svc.db.raw(`UPDATE instances SET snapshot = jsonb_set(snapshot, '{value}', '"cancelled"') WHERE id = ?`, [
      held.id,
    ]);
    const wrongState = await verifyAll('milestone');
    expect(wrongState.mismatches.map((m) => m.id)).toEqual([held.id]);
    expect(wrongState.mismatches[0]?.problems).toEqual([
      expect.stringMatching(/^seq 2 snapshot: .* at value\.$/),
      'escrow holds 40 at seq 2 but state "cancelled" implies 0',
    ]);
    await svc.db.raw(`UPDATE instances SET snapshot = jsonb_set(snapshot, '{value}', '"in_progress"') WHERE id = ?`, [
      held.id,
    ]);
    expect((await verifyAll()).mismatches).toEqual([]);
    expect(id).toBeTruthy();
  });

  it('runs `cli verify` and `cli history`: exit status, plain progress lines, table', async () => {
    const { id } = await releasedMilestone();
    const env = { DATABASE_URL: svc.config.DATABASE_URL, LOG_LEVEL: 'silent' };
    const run = (args: string[]) => cli(args, env);
    const ok = await run(['verify', '--machine', 'milestone']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^verified \d+ instances, \d+ events in [\d.]+s \(\d+ events\/s\): all match\n$/);
    expect(ok.stderr).toMatch(/^verify: \d+\/\d+ instances \(100%\)/m);

    await svc.db.raw(`UPDATE instances SET snapshot = jsonb_set(snapshot, '{context,amount}', '"101"') WHERE id = ?`, [
      id,
    ]);
    const failed = await run(['verify', '--since', '2000-01-01']);
    expect(failed.code, 'verify must exit non-zero on a mismatch').toBe(1);
    expect(failed.stdout).toContain(`MISMATCH milestone ${id} (v${await versionOf(id)}, seq 6)`);
    expect(failed.stdout).toContain('context.amount');
    expect(failed.stdout).toMatch(/1 mismatch\n$/);
    await svc.db.raw(`UPDATE instances SET snapshot = jsonb_set(snapshot, '{context,amount}', '"100"') WHERE id = ?`, [
      id,
    ]);

    const future = await run(['verify', '--since', '2999-01-01', '--json']);
    expect(JSON.parse(future.stdout)).toMatchObject({ instances: 0, mismatches: 0, ok: true });
    expect(await run(['verify', '--since', 'not-a-date'])).toMatchObject({ code: 1, stdout: '' });

    const history = await run(['history', id]);
    expect(history.code).toBe(0);
    const lines = history.stdout.split('\n');
    expect(lines[0]).toBe(`milestone ${id} — "released", seq 6, milestone@${await versionOf(id)}`);
    expect(lines[2]).toMatch(/^seq\s+time\s+actor\s+client\s+event\s+from → to\s+money moved$/);
    expect(lines.filter((l) => /^\d+\s/.test(l))).toHaveLength(6);
    expect(history.stdout).toMatch(
      /2\s+\S+ \S+\s+system \(system\)\s+—\s+SETTLED \{"settlementId":"\d+"\}\s+funding → in_progress\s+fund 100/,
    );
  }, 60_000);

  it('`cli verify` covers payouts and adjustments: --machine takes every registered machine, replay reads clients', async () => {
    const env = { DATABASE_URL: svc.config.DATABASE_URL, LOG_LEVEL: 'silent' };
    const run = (args: string[]) => cli(args, env);
    const owner = uid('own');
    await deposit(svc.http, owner, '500');
    const payout = await svc.http.post(`/v1/accounts/${owner}/payouts`, {
      currency: 'USD',
      amount: '200',
      destination: { kind: 'bank_account', reference: 'DE89370400440532013000' },
      actor: owner,
    });
    expect(payout.status).toBe(201);
    const adjustment = await svc.http.post('/v1/adjustments', {
      ownerId: owner,
      currency: 'USD',
      amount: '-100',
      reason: 'verify test',
      actor: 'agent-ann',
    });
    const approver = await svc.clientWith(['support']);
    const id = adjustment.body.id as string;
    const approved = await approver.post(`/v1/adjustments/${id}/events`, { type: 'APPROVE', actor: 'agent-bob' });
    expect(approved.body.state).toBe('applied');

    for (const machine of ['payout', 'adjustment']) {
      const ok = await run(['verify', '--machine', machine, '--json']);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ instances: 1, mismatches: 0, ok: true });
    }
    const all = JSON.parse((await run(['verify', '--json'])).stdout) as { instances: number };
    const total = Number((await svc.db('instances').count({ n: '*' }))[0]!.n);
    expect(all.instances).toBe(total);
    const unknown = await run(['verify', '--machine', 'invoice']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('must be one of project, milestone, payout, adjustment');

    // Replay hands the machine the client each history row records: were the approval recorded as coming through
    // the proposer's client, the four-eyes rule refuses it on replay and verification says so.
    const proposerClient = (await svc.db('history').where({ instance_id: id, seq: 1 }).first()).client_id as string;
    const approverClient = (await svc.db('history').where({ instance_id: id, seq: 2 }).first()).client_id as string;
    const setApprover = (client: string) =>
      rewriteLedger(svc.db, 'record the approval under another client', (trx) =>
        trx('history').where({ instance_id: id, seq: 2 }).update({ client_id: client }),
      );
    await setApprover(proposerClient);
    try {
      const failed = await run(['verify', '--machine', 'adjustment']);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain(`MISMATCH adjustment ${id} (v1, seq 2)`);
    } finally {
      await setApprover(approverClient);
    }
    expect((await run(['verify', '--machine', 'adjustment'])).code).toBe(0);
  }, 60_000);
});
