import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/knex.js';
import { UnlockedEvents } from '../../src/engine/apply-event-unlocked.js';
import { creatingEvent, planMilestone } from '../../src/engine/create-milestone.js';
import { draftRow } from '../../src/engine/new-instance.js';
import { findInstance } from '../../src/engine/instance-row.js';
import { instanceRulesFrom } from '../../src/engine/instance-rules.js';
import { prepareEvent } from '../../src/engine/prepare-event.js';
import { writeCreations } from '../../src/engine/write-creations.js';
import { writeUpdates } from '../../src/engine/write-updates.js';
import { createLogger } from '../../src/logger.js';
import { SignalBus } from '../../src/signals/signal-bus.js';
import { eventually } from '../support/eventually.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { rewriteLedger } from '../support/ledger-rewrite.js';
import { deposit, fundedMilestone, projectInProgress, uid, waitSettled, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

/**
 * A service, and the hot path on a pool of its own that counts the statements it runs (each takes a connection),
 * remembering no rows; with a project in progress.
 */
async function countedHotPath() {
  const svc = await startTestService();
  const db = createDb(svc.config.DATABASE_URL, 6);
  const counter = { statements: 0 };
  const acquire = db.client.acquireConnection.bind(db.client);
  db.client.acquireConnection = () => {
    counter.statements++;
    return acquire();
  };
  const events = new UnlockedEvents(db, { maxBatch: 64, maxInFlight: 1, rememberedRows: 0 });
  return { svc, db, counter, events, p: await projectInProgress(svc.http) };
}

// Group commit on the hot path (src/engine/apply-event-unlocked.ts, src/db/batcher.ts): events that arrive
// together share one read and one write statement, and each still stands or falls alone.
describe('group commit of events', () => {
  let svc: TestService;
  let db: Db;
  let counter: { statements: number };
  let events: UnlockedEvents;
  let remembering: UnlockedEvents;
  let p: Parties;

  beforeAll(async () => {
    // `events` reads every event's instance; `remembering` (remembered rows, tests of their own below) may skip it.
    ({ svc, db, counter, events, p } = await countedHotPath());
    remembering = new UnlockedEvents(db, { maxBatch: 64, maxInFlight: 1, rememberedRows: 2 });
  });
  afterAll(async () => {
    await assertLedgerInvariants(svc.db);
    await db?.destroy();
    await svc?.stop();
  });

  const historyOf = (id: string) => svc.db('history').where({ instance_id: id }).orderBy('seq').pluck('type');
  const request = (reason = 'r') => ({ type: 'REQUEST_CANCEL', actor: p.employer, reason });

  it('apply concurrent events on many milestones in shared statements, each exactly once', async () => {
    const milestones: Awaited<ReturnType<typeof fundedMilestone>>[] = [];
    for (let i = 0; i < 12; i++) milestones.push(await fundedMilestone(svc.http, p, '10'));
    counter.statements = 0;
    const applied = await Promise.all(milestones.map((m) => events.apply('milestone', m.id, request())));
    // The first read and write go alone; everything that queued meanwhile shares the next ones.
    expect(counter.statements).toBeLessThanOrEqual(4);
    applied.forEach((a, i) => {
      expect(a.seq).toBe(milestones[i]!.seq + 1);
      expect((a.row.snapshot.context as { cancelRequested: boolean }).cancelRequested).toBe(true);
    });
    for (const m of milestones) {
      expect(await historyOf(m.id)).toEqual(['CREATE', 'SETTLED', 'REQUEST_CANCEL']);
      // No webhook is live here, so no transition row; the freelancer's notification is in the inbox.
      expect(
        await svc
          .db('outbox')
          .where({ instance_id: m.id, seq: m.seq + 1 })
          .pluck('topic'),
      ).toEqual([]);
      const inbox = await svc
        .db('notifications')
        .where({ instance_id: m.id, seq: m.seq + 1 })
        .select('user_id', 'type');
      expect(inbox).toEqual([{ user_id: p.freelancer, type: 'milestone.cancel_requested' }]);
      expect((await findInstance(svc.db, m.id, 'milestone')).seq).toBe(m.seq + 1);
    }
  });

  it('say whether a write left the relay work, so the API wakes it only then', async () => {
    await deposit(svc.http, p.employer, '100');
    const m = await fundedMilestone(svc.http, p, '10');
    const rules = instanceRulesFrom(svc.config);
    // A cancel request writes history and the freelancer's notification: nothing to relay.
    expect((await events.apply('milestone', m.id, request())).relay).toBe(false);
    // A partial release writes a settlement command.
    expect((await events.apply('milestone', m.id, { type: 'RELEASE', actor: p.employer, amount: '4' })).relay).toBe(
      true,
    );
    // A freelancer's request and its project's event relay nothing; a funded creation writes a settlement command.
    const requested = await events.create(
      p.projectId,
      { type: 'REQUEST', actor: p.freelancer, amount: '5', description: 'r' },
      rules,
    );
    expect(requested).toMatchObject({ created: true, relay: false });
    const funded = await events.create(
      p.projectId,
      { type: 'CREATE', actor: p.employer, amount: '1', description: 'f' },
      rules,
    );
    expect(funded).toMatchObject({ created: true, relay: true });
    // With a webhook live every event leaves a transition row to fan out.
    const hook = await svc.http.post('/v1/webhooks', {
      url: 'http://127.0.0.1:9/x',
      events: ['project.AWARD'],
      secret: 'sixteen-chars-xx',
    });
    try {
      const other = await fundedMilestone(svc.http, p, '10');
      expect((await events.apply('milestone', other.id, request())).relay).toBe(true);
    } finally {
      await svc.http.request('DELETE', `/v1/webhooks/${hook.body.id}`);
    }
  });

  it('apply two events for one milestone one after the other, never in one write', async () => {
    const m = await fundedMilestone(svc.http, p, '10');
    const [a, b] = await Promise.all([
      events.apply('milestone', m.id, request()),
      events.apply('milestone', m.id, { type: 'REQUEST_RELEASE', actor: p.freelancer }),
    ]);
    expect([a.seq, b.seq].sort()).toEqual([m.seq + 1, m.seq + 2]);
    expect((await historyOf(m.id)).slice(2).sort()).toEqual(['REQUEST_CANCEL', 'REQUEST_RELEASE']);
    const row = await findInstance(svc.db, m.id, 'milestone');
    expect(row.snapshot.context).toMatchObject({ cancelRequested: true, releaseRequested: true });
  });

  it('fail only the event whose write the database refuses; the others in its batch are written', async () => {
    const milestones: Awaited<ReturnType<typeof fundedMilestone>>[] = [];
    for (let i = 0; i < 4; i++) milestones.push(await fundedMilestone(svc.http, p, '10'));
    const [filler, ...rest] = milestones;
    // Postgres cannot store U+0000 in jsonb (the API refuses it earlier; the engine alone does not).
    const outcomes = await Promise.all([
      events.apply('milestone', filler!.id, request()),
      ...rest.map((m, i) =>
        events.apply('milestone', m.id, request(i === 1 ? 'bad\u0000' : 'fine')).then(
          () => 'applied',
          (e: { code?: string }) => e.code,
        ),
      ),
    ]);
    expect(outcomes.slice(1)).toEqual(['applied', '22P05', 'applied']);
    expect(await historyOf(rest[1]!.id)).toEqual(['CREATE', 'SETTLED']);
    expect(await historyOf(rest[0]!.id)).toEqual(['CREATE', 'SETTLED', 'REQUEST_CANCEL']);
    expect(await historyOf(rest[2]!.id)).toEqual(['CREATE', 'SETTLED', 'REQUEST_CANCEL']);
  });

  it('never wait in a shared statement for a row another transaction holds: that event waits alone', async () => {
    const [held, free] = [await fundedMilestone(svc.http, p, '10'), await fundedMilestone(svc.http, p, '10')];
    const stale = await findInstance(svc.db, held.id, 'milestone');
    let release!: () => void;
    const holding = svc.db.transaction(async (trx) => {
      await trx('instances').where({ id: held.id }).forNoKeyUpdate().first();
      await new Promise<void>((r) => (release = r));
    });
    await expect.poll(() => release !== undefined).toBe(true);
    // The statement itself reports the held row as busy, writing nothing of it.
    const { write } = prepareEvent(stale, 'milestone', request(), {});
    expect(await writeUpdates(svc.db, [write])).toEqual(['busy']);
    // Through the hot path: the free milestone's event completes while the other row is held…
    const waiting = events.apply('milestone', held.id, request());
    const freed = await events.apply('milestone', free.id, request());
    expect(freed.seq).toBe(free.seq + 1);
    expect(await historyOf(held.id)).toEqual(['CREATE', 'SETTLED']);
    // …and the held one goes in once the lock is gone, on the locking path.
    release();
    await holding;
    expect((await waiting).seq).toBe(held.seq + 1);
    expect(await historyOf(held.id)).toEqual(['CREATE', 'SETTLED', 'REQUEST_CANCEL']);
  });

  it("write a new milestone and its project's event together, or neither when the project moved on", async () => {
    const q = await projectInProgress(svc.http);
    const rules = instanceRulesFrom(svc.config);
    const project = await findInstance(svc.db, q.projectId, 'project');
    const body = { id: uid('ms'), type: 'CREATE' as const, actor: q.employer, amount: '10', description: 'd' };
    const draft = draftRow(planMilestone(project, body, rules));
    const own = prepareEvent(draft, 'milestone', creatingEvent(body), {});
    const projectEvent = prepareEvent(project, 'project', own.plan.derived[0]!.event, { origin: 'system' });
    // Another milestone changes the project between the read and the write.
    expect(
      (
        await svc.http.post(`/v1/projects/${q.projectId}/milestones`, {
          type: 'CREATE',
          actor: q.employer,
          amount: '10',
          description: 'x',
        })
      ).status,
    ).toBe(201);
    const creates = { machine: draft.machine, version: draft.version, input: draft.input, projectId: q.projectId };
    const creation = { write: own.write, creates, dependsOn: projectEvent.write };
    expect(await writeCreations(svc.db, [creation])).toEqual([{ dependency: 'moved', created: null }]);
    expect(await svc.db('instances').where({ id: body.id }).first()).toBeUndefined();
    expect(await svc.db('history').where({ instance_id: body.id })).toEqual([]);
    // Against the project as it is now, both go in.
    const current = await findInstance(svc.db, q.projectId, 'project');
    const again = prepareEvent(current, 'project', own.plan.derived[0]!.event, { origin: 'system' });
    const [written] = await writeCreations(svc.db, [{ ...creation, dependsOn: again.write }]);
    // The funding CREATE leaves a settlement command for the relay; its project's event leaves nothing. Neither
    // was judged on a remembered row, so the statement computes no view facts for them.
    const facts = null;
    expect(written).toEqual({
      dependency: {
        n: expect.any(BigInt),
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
        relay: false,
        facts,
        stamp: expect.any(String),
      },
      created: {
        n: expect.any(BigInt),
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
        relay: true,
        facts,
        stamp: expect.any(String),
      },
    });
    expect(await historyOf(body.id)).toEqual(['CREATE']);
    expect((await findInstance(svc.db, q.projectId, 'project')).seq).toBe(current.seq + 1);
  });

  it("write neither a new milestone nor its project's event when the new id is taken (a repeat)", async () => {
    const q = await projectInProgress(svc.http);
    const rules = instanceRulesFrom(svc.config);
    const body = { id: uid('ms'), type: 'REQUEST' as const, actor: q.freelancer, amount: '5', description: 'd' };
    expect((await svc.http.post(`/v1/projects/${q.projectId}/milestones`, body)).status).toBe(201);
    const project = await findInstance(svc.db, q.projectId, 'project');
    // Judged as if new (the project takes it), but an instance with its id is stored.
    const draft = draftRow(planMilestone(project, body, rules));
    const own = prepareEvent(draft, 'milestone', creatingEvent(body), {});
    const projectEvent = prepareEvent(project, 'project', own.plan.derived[0]!.event, { origin: 'system' });
    const creates = { machine: draft.machine, version: draft.version, input: draft.input, projectId: q.projectId };
    expect(await writeCreations(svc.db, [{ write: own.write, creates, dependsOn: projectEvent.write }])).toEqual([
      'taken',
    ]);
    expect((await findInstance(svc.db, q.projectId, 'project')).seq).toBe(project.seq);
    expect(await historyOf(body.id)).toEqual(['REQUEST']);
  });

  it('answer two concurrent creates with one client id and one body as a create and a repeat', async () => {
    const q = await projectInProgress(svc.http);
    const body = { id: uid('ms'), type: 'CREATE', actor: q.employer, amount: '10', description: 'd' };
    const replies = await Promise.all([1, 2].map(() => svc.http.post(`/v1/projects/${q.projectId}/milestones`, body)));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(replies[0]!.body.id).toBe(body.id);
    expect(replies[1]!.body.id).toBe(body.id);
    expect(await svc.db('instances').where({ id: body.id }).count({ n: '*' })).toEqual([{ n: 1n }]);
    const project = await svc.http.get(`/v1/projects/${q.projectId}`);
    expect(project.body.milestones.pending).toBe(1);
  });

  // Remembered rows (src/engine/remembered-rows.ts): the API judges an instance's next event on the row it last wrote
  // instead of reading it again; the compare-and-set makes that safe when another process moved the instance since.
  describe('remembered rows', () => {
    const requestCancel = { type: 'REQUEST_CANCEL', actor: 'employer', reason: 'r' };
    const cancelRequested = (row: { snapshot: { context: unknown } }) =>
      (row.snapshot.context as { cancelRequested: boolean }).cancelRequested;
    const historyOf = (id: string) => svc.db('history').where({ instance_id: id }).orderBy('seq').pluck('type');

    it("skip the read of an instance's next event, and still reply with its facts as stored", async () => {
      const m = await fundedMilestone(svc.http, p, '10');
      counter.statements = 0;
      await remembering.apply('milestone', m.id, { ...requestCancel, actor: p.employer });
      expect(counter.statements).toBe(2);
      counter.statements = 0;
      const rejected = await remembering.apply('milestone', m.id, { type: 'REJECT_CANCEL', actor: p.freelancer });
      // The write alone: the row it was judged on is the one the first event wrote.
      expect(counter.statements).toBe(1);
      expect(rejected.seq).toBe(m.seq + 2);
      expect(cancelRequested(rejected.row)).toBe(false);
      // Escrow balance and deadlines come from the write statement, as stored.
      expect(rejected.row.held_amount).toBe('10');
      expect(rejected.row.deadlines).toEqual([]);
      const stored = await findInstance(svc.db, m.id, 'milestone');
      expect({ seq: stored.seq, snapshot: stored.snapshot }).toEqual({
        seq: rejected.seq,
        snapshot: rejected.row.snapshot,
      });
    });

    it('judge again on a fresh read when the remembered row would refuse an event the stored one accepts', async () => {
      const m = await fundedMilestone(svc.http, p, '10');
      await remembering.apply('milestone', m.id, { ...requestCancel, actor: p.employer });
      // Another process (the service's own API) rejects the request: the remembered row still says requested.
      const other = await svc.http.post(`/v1/milestones/${m.id}/events`, {
        type: 'REJECT_CANCEL',
        actor: p.freelancer,
      });
      expect(other.status).toBe(200);
      counter.statements = 0;
      const again = await remembering.apply('milestone', m.id, { ...requestCancel, actor: p.employer });
      // The remembered row refused it (a request is open there); the stored row, read now, accepts it.
      expect(counter.statements).toBe(2);
      expect(again.seq).toBe(m.seq + 3);
      expect(cancelRequested(again.row)).toBe(true);
      expect(await historyOf(m.id)).toEqual(['CREATE', 'SETTLED', 'REQUEST_CANCEL', 'REJECT_CANCEL', 'REQUEST_CANCEL']);
    });

    it('write nothing when the remembered row accepts an event the stored one refuses', async () => {
      const m = await fundedMilestone(svc.http, p, '10');
      await remembering.apply('milestone', m.id, { ...requestCancel, actor: p.employer });
      await remembering.apply('milestone', m.id, { type: 'REJECT_CANCEL', actor: p.freelancer });
      // Another process opens a request: the remembered row says none is open.
      const other = await svc.http.post(`/v1/milestones/${m.id}/events`, { ...requestCancel, actor: p.employer });
      expect(other.status).toBe(200);
      counter.statements = 0;
      // Accepted on the remembered row, its write loses the compare-and-set, and the stored row refuses it.
      await expect(remembering.apply('milestone', m.id, { ...requestCancel, actor: p.employer })).rejects.toMatchObject(
        {
          status: 422,
          code: 'guard_failed',
        },
      );
      expect(counter.statements).toBe(2);
      expect(await historyOf(m.id)).toEqual(['CREATE', 'SETTLED', 'REQUEST_CANCEL', 'REJECT_CANCEL', 'REQUEST_CANCEL']);
      expect((await findInstance(svc.db, m.id, 'milestone')).seq).toBe(m.seq + 3);
      // Another process drives this milestone too: its rows are no longer remembered, each event reads.
      for (const next of [
        { type: 'REJECT_CANCEL', actor: p.freelancer },
        { ...requestCancel, actor: p.employer },
      ]) {
        counter.statements = 0;
        await remembering.apply('milestone', m.id, next);
        expect(counter.statements).toBe(2);
      }
    });

    it('never write on a remembered row when the stored one is another row at the same seq (a lost commit)', async () => {
      const m = await fundedMilestone(svc.http, p, '10');
      const before = await findInstance(svc.db, m.id, 'milestone');
      const requested = await remembering.apply('milestone', m.id, { ...requestCancel, actor: p.employer });
      // As after a failover that lost that commit: the row is back where it was, its history entry gone.
      await rewriteLedger(svc.db, 'lose the last commit of one milestone', async (trx) => {
        await trx('notifications').where({ instance_id: m.id, seq: requested.seq }).delete();
        await trx('history').where({ instance_id: m.id, seq: requested.seq }).delete();
        await trx('instances')
          .where({ id: m.id })
          .update({ seq: before.seq, state: before.state, snapshot: before.snapshot, updated_at: trx.fn.now() });
      });
      // Another process's event takes the same seq: the stored row differs from the remembered one only in content.
      const other = await svc.http.post(`/v1/milestones/${m.id}/events`, {
        type: 'REQUEST_RELEASE',
        actor: p.freelancer,
      });
      expect(other.body.seq).toBe(requested.seq);
      // Accepted on the remembered row (a request is open there), refused on the stored one (none is).
      await expect(
        remembering.apply('milestone', m.id, { type: 'REJECT_CANCEL', actor: p.freelancer }),
      ).rejects.toMatchObject({ status: 422, code: 'guard_failed' });
      const stored = await findInstance(svc.db, m.id, 'milestone');
      expect(stored.seq).toBe(requested.seq);
      expect(stored.snapshot.context).toMatchObject({ releaseRequested: true, cancelRequested: false });
      expect(await historyOf(m.id)).toEqual(['CREATE', 'SETTLED', 'REQUEST_RELEASE']);
    });

    it("forget, but keep remembering, an instance after a refusal that was the client's own", async () => {
      const m = await fundedMilestone(svc.http, p, '10');
      const requested = await remembering.apply('milestone', m.id, { ...requestCancel, actor: p.employer });
      // The reply is the remembered row itself, frozen: no caller can edit what the next event is judged on.
      expect(Object.isFrozen(requested.row.snapshot.context)).toBe(true);
      await expect(
        remembering.apply('milestone', m.id, { type: 'REJECT_CANCEL', actor: 'a-stranger' }),
      ).rejects.toMatchObject({ status: 403 });
      for (const [next, expected] of [
        [{ type: 'REJECT_CANCEL', actor: p.freelancer }, 2],
        [{ ...requestCancel, actor: p.employer }, 1],
      ] as const) {
        counter.statements = 0;
        await remembering.apply('milestone', m.id, next);
        expect(counter.statements).toBe(expected);
      }
    });

    it("keep remembering an instance whose event lost its race to this process's own", async () => {
      const m = await fundedMilestone(svc.http, p, '10');
      await remembering.apply('milestone', m.id, { ...requestCancel, actor: p.employer });
      // Both judged on the remembered row; one writes first, the other loses its race to it, reads and writes.
      const both = await Promise.all([
        remembering.apply('milestone', m.id, { type: 'REJECT_CANCEL', actor: p.freelancer }),
        remembering.apply('milestone', m.id, { type: 'REQUEST_RELEASE', actor: p.freelancer }),
      ]);
      expect(both.map((a) => a.seq).sort()).toEqual([m.seq + 2, m.seq + 3]);
      counter.statements = 0;
      await remembering.apply('milestone', m.id, { ...requestCancel, actor: p.employer });
      expect(counter.statements).toBe(1);
    });

    // Creations (decision 17): a project whose milestones this process creates is judged on the row its last
    // creation wrote, so its next creation is the write alone.
    const requestMilestone = (q: Parties, id?: string) => ({
      ...(id === undefined ? {} : { id }),
      type: 'REQUEST' as const,
      actor: q.freelancer,
      amount: '5',
      description: 'd',
    });
    const statementsOf = async (work: () => Promise<unknown>) => {
      counter.statements = 0;
      await work();
      return counter.statements;
    };
    const projectHistoryOf = async (q: Parties) =>
      (await historyOf(q.projectId)).filter((type) => type === 'MILESTONE_REQUESTED').length;

    it("create a project's next milestone on the row its last creation wrote, and on a read once another moved it", async () => {
      const q = await projectInProgress(svc.http);
      const rules = instanceRulesFrom(svc.config);
      expect(await statementsOf(() => remembering.create(q.projectId, requestMilestone(q), rules))).toBe(2);
      counter.statements = 0;
      const second = await remembering.create(q.projectId, requestMilestone(q, uid('ms')), rules);
      // The write alone, its client-chosen id checked there rather than by a read.
      expect(counter.statements).toBe(1);
      expect(second.created).toBe(true);
      // Another process creates one: the remembered project row loses its race, the creation goes in on a read.
      const other = await svc.http.post(`/v1/projects/${q.projectId}/milestones`, requestMilestone(q));
      expect(other.status).toBe(201);
      counter.statements = 0;
      const fourth = await remembering.create(q.projectId, requestMilestone(q), rules);
      expect(counter.statements).toBe(3);
      expect(fourth.created).toBe(true);
      const project = await findInstance(svc.db, q.projectId, 'project');
      expect(await projectHistoryOf(q)).toBe(4);
      expect(await historyOf(q.projectId)).toHaveLength(project.seq);
      // Driven through another process too: read for a while, so that it does not cost a lost race each time.
      expect(await statementsOf(() => remembering.create(q.projectId, requestMilestone(q), rules))).toBe(2);
    });

    it("keep remembering a project whose creation lost its race to this process's own", async () => {
      const q = await projectInProgress(svc.http);
      const rules = instanceRulesFrom(svc.config);
      await remembering.create(q.projectId, requestMilestone(q), rules);
      // Both judged on the remembered row: one wins, the other loses to it and goes in on a read.
      const both = await Promise.all([
        remembering.create(q.projectId, requestMilestone(q), rules),
        remembering.create(q.projectId, requestMilestone(q), rules),
      ]);
      expect(both.map((created) => created.created)).toEqual([true, true]);
      expect(await projectHistoryOf(q)).toBe(3);
      expect(await statementsOf(() => remembering.create(q.projectId, requestMilestone(q), rules))).toBe(1);
    });

    it('answer a repeated creation from what is stored, on a remembered project row or a read that refuses it', async () => {
      const q = await projectInProgress(svc.http);
      const rules = instanceRulesFrom(svc.config);
      const body = requestMilestone(q, uid('ms'));
      const first = await remembering.create(q.projectId, body, rules);
      const again = await remembering.create(q.projectId, body, rules);
      expect([first.created, again.created]).toEqual([true, false]);
      expect(again.row.id).toBe(body.id);
      expect(await projectHistoryOf(q)).toBe(1);
      // Once the project is completed, it takes no new milestone, and a repeat is still answered as one.
      const completed = await svc.http.post(`/v1/projects/${q.projectId}/events`, {
        type: 'COMPLETE',
        actor: q.employer,
      });
      expect(completed.status).toBe(200);
      for (const hotPath of [events, remembering]) {
        const repeat = await hotPath.create(q.projectId, body, rules);
        expect(repeat.created).toBe(false);
        await expect(hotPath.create(q.projectId, requestMilestone(q, uid('ms')), rules)).rejects.toMatchObject({
          status: 409,
        });
      }
      expect(await projectHistoryOf(q)).toBe(1);
    });

    it('forget a project once one of its milestones sends money to settlement, whose end moves the project', async () => {
      const q = await projectInProgress(svc.http);
      const rules = instanceRulesFrom(svc.config);
      await deposit(svc.http, q.employer, '100');
      const funded = await remembering.create(
        q.projectId,
        { type: 'CREATE', actor: q.employer, amount: '10', description: 'd' },
        rules,
      );
      await waitSettled(svc.http, funded.row.id);
      await remembering.apply('milestone', funded.row.id, { type: 'RELEASE', actor: q.employer });
      await waitSettled(svc.http, funded.row.id);
      // The settled release closed the milestone on its project: read, then written, never a write that loses.
      expect(await statementsOf(() => remembering.create(q.projectId, requestMilestone(q), rules))).toBe(2);
    });

    it("forget a project once the workers' signal says a settlement moved it", async () => {
      const bus = new SignalBus(svc.config, createLogger('silent'));
      try {
        const heard = new Set<string>();
        // Registered after the hot path's own listener, so a project heard here is forgotten there already.
        remembering.forgetOnSignals(bus);
        bus.onInstanceChanged((id) => heard.add(id));
        const q = await projectInProgress(svc.http);
        const rules = instanceRulesFrom(svc.config);
        const m = await fundedMilestone(svc.http, q, '10');
        await remembering.create(q.projectId, requestMilestone(q), rules);
        // Released through another process (the service's own API): only the signal tells this one.
        const released = await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: q.employer });
        expect(released.status).toBe(200);
        await eventually(() => expect(heard.has(q.projectId)).toBe(true));
        counter.statements = 0;
        await remembering.create(q.projectId, requestMilestone(q), rules);
        // Read, then written: the remembered row, behind the settlement, would have lost its race first.
        expect(counter.statements).toBe(2);
      } finally {
        await bus.close();
      }
    });

    it('not remember a row whose event sent money to settlement, nor more rows than allowed', async () => {
      const [a, b, c] = [
        await fundedMilestone(svc.http, p, '10'),
        await fundedMilestone(svc.http, p, '10'),
        await fundedMilestone(svc.http, p, '10'),
      ];
      await remembering.apply('milestone', a!.id, { type: 'RELEASE', actor: p.employer, amount: '4' });
      await waitSettled(svc.http, a!.id);
      counter.statements = 0;
      await remembering.apply('milestone', a!.id, { ...requestCancel, actor: p.employer });
      // Read, then written: a remembered row would have been behind the settlement and lost its race.
      expect(counter.statements).toBe(2);
      // Three rows through a memory of two: the oldest (a) is read again.
      await remembering.apply('milestone', b!.id, { ...requestCancel, actor: p.employer });
      await remembering.apply('milestone', c!.id, { ...requestCancel, actor: p.employer });
      counter.statements = 0;
      await remembering.apply('milestone', a!.id, { type: 'REJECT_CANCEL', actor: p.freelancer });
      expect(counter.statements).toBe(2);
      counter.statements = 0;
      await remembering.apply('milestone', c!.id, { type: 'REJECT_CANCEL', actor: p.freelancer });
      expect(counter.statements).toBe(1);
    });
  });
});
