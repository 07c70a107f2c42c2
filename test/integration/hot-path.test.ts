import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as relayInlineTopics from '../../migrations/20261127400000_relay_inline_topics.js';
import { prepareEvent } from '../../src/engine/prepare-event.js';
import { findInstance } from '../../src/engine/instance-row.js';
import { writeUpdates } from '../../src/engine/write-updates.js';
import { eventually } from '../support/eventually.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { fundedMilestone, projectInProgress } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// The compare-and-set path of events posted without an Idempotency-Key (src/engine/apply-event-unlocked.ts).
describe('events applied without a lock', () => {
  let svc: TestService;
  beforeAll(async () => {
    // The schema-change test toggles a cancel request 21 times: above the default per-milestone cap.
    svc = await startTestService({ CANCEL_REQUESTS_MAX_PER_MILESTONE: '100' });
  });
  afterAll(async () => {
    await assertLedgerInvariants(svc.db);
    await svc?.stop();
  });

  const counts = async (id: string) => ({
    history: Number((await svc.db('history').where({ instance_id: id }).count({ n: '*' }))[0]!.n),
    outbox: Number((await svc.db('outbox').where({ instance_id: id }).count({ n: '*' }))[0]!.n),
  });

  it('write nothing at all when another event got in after the read', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '100');
    const stale = await findInstance(svc.db, m.id, 'milestone');
    const { write } = prepareEvent(stale, 'milestone', { type: 'REQUEST_CANCEL', actor: p.employer, reason: 'r' }, {});
    // Another event commits between the read and the write.
    expect(
      (await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'REQUEST_RELEASE', actor: p.freelancer })).status,
    ).toBe(200);
    const before = await counts(m.id);
    expect(await writeUpdates(svc.db, [write])).toEqual(['moved']);
    expect(await counts(m.id)).toEqual(before);
    const row = await findInstance(svc.db, m.id, 'milestone');
    expect(row.seq).toBe(stale.seq + 1);
    expect((row.snapshot.context as { cancelRequested?: boolean }).cancelRequested).toBeFalsy();
  });

  it('write the event, its history row and its inbox rows in one statement when the seq still holds', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '100');
    const before = await counts(m.id);
    const res = await svc.http.post(`/v1/milestones/${m.id}/events`, {
      type: 'REQUEST_CANCEL',
      actor: p.employer,
      reason: 'r',
    });
    expect(res.status).toBe(200);
    expect(res.body.seq).toBe(m.seq + 1);
    // No webhook is live: no transition row for anyone to fan out. The freelancer's notification is readable at
    // once, since it was written with the event.
    expect(await counts(m.id)).toEqual({ history: before.history + 1, outbox: before.outbox });
    const inbox = await svc.http.get(`/v1/users/${p.freelancer}/notifications?unread=true`);
    expect(inbox.body.items.filter((n: { instanceId: string }) => n.instanceId === m.id)).toMatchObject([
      { type: 'milestone.funded' },
      { type: 'milestone.cancel_requested', message: 'The employer asked you to cancel a milestone.' },
    ]);
    const told = await svc.db('notifications').where({ instance_id: m.id, type: 'milestone.cancel_requested' });
    expect(told.map((n: { seq: number; outbox_id: unknown }) => [n.seq, n.outbox_id])).toEqual([[m.seq + 1, null]]);
  });

  it('write transition rows only while a webhook is live', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '100');
    const transitionSeqs = () =>
      svc.db('outbox').where({ instance_id: m.id, topic: 'transition' }).orderBy('seq').pluck('seq');
    const toggle = (type: 'REQUEST_CANCEL' | 'REJECT_CANCEL') =>
      svc.http.post(
        `/v1/milestones/${m.id}/events`,
        type === 'REQUEST_CANCEL' ? { type, actor: p.employer, reason: 'r' } : { type, actor: p.freelancer },
      );
    expect((await toggle('REQUEST_CANCEL')).status).toBe(200);
    const hook = await svc.http.post('/v1/webhooks', {
      url: 'http://127.0.0.1:9/x',
      events: ['project.AWARD'],
      secret: 'a-secret-of-sixteen+',
    });
    expect(hook.status).toBe(201);
    try {
      // Any live webhook keeps every transition row: matching its patterns is the relay's fan-out's job.
      expect((await toggle('REJECT_CANCEL')).status).toBe(200);
      expect(await transitionSeqs()).toEqual([m.seq + 2]);
    } finally {
      expect((await svc.http.request('DELETE', `/v1/webhooks/${hook.body.id}`)).status).toBe(204);
    }
    expect((await toggle('REQUEST_CANCEL')).status).toBe(200);
    expect(await transitionSeqs()).toEqual([m.seq + 2]);
  });

  it('keep working after a schema change under their prepared statements', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '100');
    const toggle = (i: number) =>
      svc.http.post(
        `/v1/milestones/${m.id}/events`,
        i % 2 === 0
          ? { type: 'REQUEST_CANCEL', actor: p.employer, reason: 'r' }
          : { type: 'REJECT_CANCEL', actor: p.freelancer },
      );
    // Sequential requests spread over the pool's connections, each preparing the statements.
    for (let i = 0; i < 6; i++) expect((await toggle(i)).status).toBe(200);
    // A new column: the statements name their columns, so nothing changes for them.
    await svc.db.raw('ALTER TABLE instances ADD COLUMN scratch integer');
    for (let i = 6; i < 10; i++) expect((await toggle(i)).status, `request ${i}`).toBe(200);
    await svc.db.raw('ALTER TABLE instances DROP COLUMN scratch');
    // A selected column changes type: every prepared connection is stale once and is replaced.
    await svc.db.raw('ALTER TABLE instances ALTER COLUMN state TYPE varchar(64)');
    try {
      for (let i = 10; i < 20; i++) expect((await toggle(i)).status, `request ${i}`).toBe(200);
    } finally {
      await svc.db.raw('ALTER TABLE instances ALTER COLUMN state TYPE text');
    }
    expect((await toggle(20)).status).toBe(200);
  });

  it('hands rows queued for the removed notification and webhook jobs back to the relay on upgrade', async () => {
    const p = await projectInProgress(svc.http);
    const [row] = await svc
      .db('outbox')
      .insert({
        instance_id: p.projectId,
        seq: 1,
        topic: 'notification',
        payload: { userId: p.freelancer, type: 'project.awarded' },
        relayed_at: svc.db.fn.now(),
      })
      .returning('id');
    expect(await svc.db('notifications').where({ outbox_id: row!.id.toString() }).first()).toBeUndefined();
    await relayInlineTopics.up(svc.db);
    // The running relay picks it up like any new row (at the latest on its next poll).
    await eventually(async () => {
      const notified = await svc.db('notifications').where({ outbox_id: row!.id.toString() }).first();
      expect(notified?.user_id).toBe(p.freelancer);
    });
    const after = await svc.db('outbox').where({ id: row!.id.toString() }).first();
    expect(after.processed_at).not.toBeNull();
    // The relay now records the event's seq, which it takes from the outbox row.
    expect((await svc.db('notifications').where({ outbox_id: row!.id.toString() }).first()).seq).toBe(1);
  });

  it("keep the previous version's relay INSERT working while a deployment rolls over", async () => {
    const p = await projectInProgress(svc.http);
    const [row] = await svc
      .db('outbox')
      .insert({ instance_id: p.projectId, seq: 1, topic: 'notification', payload: {}, processed_at: svc.db.fn.now() })
      .returning('id');
    // The statement of workers/notifications.ts before notifications were written with their event, twice.
    const previous = `INSERT INTO notifications (outbox_id, user_id, type, instance_id, message)
      SELECT outbox_id, user_id, type, instance_id, message
      FROM jsonb_to_recordset(?::jsonb) AS n(outbox_id bigint, user_id text, type text, instance_id text, message text)
      ON CONFLICT (outbox_id) DO NOTHING`;
    const batch = JSON.stringify([
      {
        outbox_id: row!.id.toString(),
        user_id: p.freelancer,
        type: 'project.awarded',
        instance_id: p.projectId,
        message: 'm',
      },
    ]);
    await svc.db.raw(previous, [batch]);
    await svc.db.raw(previous, [batch]);
    const written = await svc.db('notifications').where({ outbox_id: row!.id.toString() });
    expect(written.map((n: { seq: number | null }) => n.seq)).toEqual([null]);
  });
});
