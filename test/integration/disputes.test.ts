import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { fireTimer } from '../../src/engine/fire-timer.js';
import { eventually } from '../support/eventually.js';
import type { HttpClient } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, fundedMilestone, projectInProgress, uid, waitSettled, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

const FEE = '50';

async function balancesOf(http: HttpClient, owner: string) {
  const b = (await http.get(`/v1/accounts/${owner}`)).body.balances as { available: string; held: string }[];
  return b[0] ?? { available: '0', held: '0' };
}

/** A funded 1000 milestone whose parties each have `spare` extra available for arbitration fees. */
async function disputable(http: HttpClient, spare = '0'): Promise<{ p: Parties; id: string }> {
  const p = await projectInProgress(http);
  const m = await fundedMilestone(http, p, '1000');
  if (spare !== '0') {
    await deposit(http, p.employer, spare);
    await deposit(http, p.freelancer, spare);
  }
  return { p, id: m.id };
}

describe('disputes with deadlines far away (parties act first)', () => {
  let svc: TestService;
  const send = (id: string, body: object) => svc.http.post(`/v1/milestones/${id}/events`, body);
  beforeAll(async () => {
    svc = await startTestService({ ARBITRATION_FEE_DEFAULT: FEE });
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('settles by agreement in negotiation: the accepted offer splits the escrow', async () => {
    const { p, id } = await disputable(svc.http);
    const opened = await send(id, { type: 'OPEN_DISPUTE', actor: p.employer, reason: 'Late delivery', offer: '200' });
    expect(opened.body).toMatchObject({
      state: { disputed: 'awaiting_response' },
      dispute: { stage: 'awaiting_response', filedBy: 'employer' },
    });
    expect((await send(id, { type: 'RESPOND', actor: p.employer, offer: '300' })).body.error.code).toBe('guard_failed');
    expect((await send(id, { type: 'RESPOND', actor: p.freelancer, offer: '900' })).body.state).toEqual({
      disputed: 'negotiation',
    });
    await send(id, { type: 'MAKE_OFFER', actor: p.employer, amountToFreelancer: '600' });
    const accepted = await send(id, { type: 'ACCEPT_OFFER', actor: p.freelancer });
    expect(accepted.body.state).toBe('resolving');
    const resolved = await waitSettled(svc.http, id);
    expect(resolved).toMatchObject({
      state: 'resolved',
      releasedAmount: '600',
      dispute: { outcome: { amountToFreelancer: '600', amountToEmployer: '400', decidedBy: 'agreement' } },
    });
    expect(await balancesOf(svc.http, p.freelancer)).toEqual({
      currency: 'USD',
      currencyExponent: 2,
      available: '600',
      held: '0',
    });
    expect(await balancesOf(svc.http, p.employer)).toEqual({
      currency: 'USD',
      currencyExponent: 2,
      available: '400',
      held: '0',
    });
    expect((await svc.http.get(`/v1/projects/${p.projectId}`)).body.milestones).toEqual({
      pending: 0,
      releasedTotal: '600',
    });
    const timers = await svc.db('timers').where({ instance_id: id }).select('timer_key', 'status');
    expect(timers).toEqual([{ timer_key: 'response-deadline', status: 'cancelled' }]);
  });

  it('lets the filer withdraw, after which the milestone is in progress again', async () => {
    const { p, id } = await disputable(svc.http);
    await send(id, { type: 'OPEN_DISPUTE', actor: p.freelancer, reason: 'Unpaid', offer: '1000' });
    expect((await send(id, { type: 'WITHDRAW_DISPUTE', actor: p.employer })).body.error.code).toBe('guard_failed');
    const withdrawn = await send(id, { type: 'WITHDRAW_DISPUTE', actor: p.freelancer });
    expect(withdrawn.body).toMatchObject({ state: 'in_progress', dispute: null });
    await send(id, { type: 'RELEASE', actor: p.employer });
    expect((await waitSettled(svc.http, id)).state).toBe('released');
  });

  it('goes to arbitration when both pay the fee; the ruling splits and the loser forfeits its fee', async () => {
    const { p, id } = await disputable(svc.http, FEE);
    await send(id, { type: 'OPEN_DISPUTE', actor: p.freelancer, reason: 'Scope', offer: '1000' });
    await send(id, { type: 'SUBMIT_EVIDENCE', actor: p.freelancer, text: 'Signed spec' });
    await send(id, { type: 'RESPOND', actor: p.employer, offer: '100' });
    const paid = await send(id, { type: 'PAY_ARBITRATION_FEE', actor: p.freelancer });
    expect(paid.body.state).toEqual({ disputed: 'arbitration_pending' });
    expect(await balancesOf(svc.http, p.freelancer)).toEqual({
      currency: 'USD',
      currencyExponent: 2,
      available: '0',
      held: '50',
    });
    expect((await send(id, { type: 'PAY_ARBITRATION_FEE', actor: p.freelancer })).body.error.code).toBe('guard_failed');
    await send(id, { type: 'SUBMIT_EVIDENCE', actor: p.employer, text: 'Emails' });
    expect((await send(id, { type: 'PAY_ARBITRATION_FEE', actor: p.employer })).body.state).toEqual({
      disputed: 'arbitration',
    });
    expect((await send(id, { type: 'SUBMIT_EVIDENCE', actor: p.employer, text: 'late' })).status).toBe(409);

    const staff = uid('staff');
    expect((await send(id, { type: 'RULE', actor: p.employer, amountToFreelancer: '0' })).status).toBe(403);
    const noScope = await svc.clientWith(['events:write', 'read']);
    expect(
      (await noScope.post(`/v1/milestones/${id}/events`, { type: 'RULE', actor: staff, amountToFreelancer: '700' }))
        .status,
    ).toBe(403);
    expect((await send(id, { type: 'RULE', actor: staff, amountToFreelancer: '1001' })).body.error.code).toBe(
      'guard_failed',
    );
    const ruled = await send(id, { type: 'RULE', actor: staff, amountToFreelancer: '700' });
    expect(ruled.body.state).toBe('resolving');
    const resolved = await waitSettled(svc.http, id);
    // 700 is closer to the freelancer's 1000 than to the employer's 100: the freelancer wins.
    expect(resolved.dispute).toMatchObject({
      evidence: [{ by: 'freelancer' }, { by: 'employer' }],
      outcome: { decidedBy: 'ruling', feeRefunds: ['freelancer'], feeForfeits: ['employer'] },
    });
    expect(await balancesOf(svc.http, p.freelancer)).toEqual({
      currency: 'USD',
      currencyExponent: 2,
      available: '750',
      held: '0',
    });
    expect(await balancesOf(svc.http, p.employer)).toEqual({
      currency: 'USD',
      currencyExponent: 2,
      available: '300',
      held: '0',
    });
    const fees = await svc.db('accounts').where({ id: 'fees:USD' }).first('balance');
    expect(fees?.balance).toBeGreaterThanOrEqual(50n);
    const history = (await svc.http.get(`/v1/milestones/${id}/history`)).body.items;
    const rule = history.find((h: { type: string }) => h.type === 'RULE');
    expect(rule).toMatchObject({ actor: staff, role: 'support' });
    const settled = history[history.length - 1];
    expect(settled.transfers.map((t: { kind: string; amount: string }) => `${t.kind}:${t.amount}`)).toEqual([
      'release:700',
      'refund:300',
      'arbitration_fee_refund:50',
      'arbitration_fee_forfeit:50',
    ]);
  });

  it('refuses PAY_ARBITRATION_FEE without the funds (422) and changes nothing', async () => {
    const { p, id } = await disputable(svc.http);
    await send(id, { type: 'OPEN_DISPUTE', actor: p.employer, reason: 'x', offer: '0' });
    await send(id, { type: 'RESPOND', actor: p.freelancer, offer: '1000' });
    const before = (await svc.http.get(`/v1/milestones/${id}`)).body;
    const refused = await send(id, { type: 'PAY_ARBITRATION_FEE', actor: p.freelancer });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'guard_failed', required: FEE, available: '0' });
    expect((await svc.http.get(`/v1/milestones/${id}`)).body).toEqual(before);
  });

  it('refunds every paid fee when the parties agree during arbitration_pending', async () => {
    const { p, id } = await disputable(svc.http, FEE);
    await send(id, { type: 'OPEN_DISPUTE', actor: p.employer, reason: 'x', offer: '400' });
    await send(id, { type: 'RESPOND', actor: p.freelancer, offer: '800' });
    await send(id, { type: 'PAY_ARBITRATION_FEE', actor: p.employer });
    await send(id, { type: 'ACCEPT_OFFER', actor: p.employer });
    expect(await waitSettled(svc.http, id)).toMatchObject({
      state: 'resolved',
      dispute: { outcome: { feeRefunds: ['employer'], feeForfeits: [] } },
    });
    expect(await balancesOf(svc.http, p.employer)).toEqual({
      currency: 'USD',
      currencyExponent: 2,
      available: '250',
      held: '0',
    });
    expect(await balancesOf(svc.http, p.freelancer)).toEqual({
      currency: 'USD',
      currencyExponent: 2,
      available: '850',
      held: '0',
    });
  });

  it('does nothing when a timer fires after its state was left', async () => {
    const { p, id } = await disputable(svc.http);
    await send(id, { type: 'OPEN_DISPUTE', actor: p.employer, reason: 'x', offer: '0' });
    const [armed] = await svc.db('timers').where({ instance_id: id, status: 'armed' }).select('id');
    await send(id, { type: 'RESPOND', actor: p.freelancer, offer: '500' });
    expect(await fireTimer(svc.db, createLogger('silent'), String(armed!.id))).toBe('not_armed');
    const after = (await svc.http.get(`/v1/milestones/${id}`)).body;
    expect(after).toMatchObject({ state: { disputed: 'negotiation' } });
    expect(
      (await svc.http.get(`/v1/milestones/${id}/history`)).body.items.map((h: { type: string }) => h.type),
    ).not.toContain('RESPONSE_TIMEOUT');
  });
});

describe('dispute deadlines through real BullMQ delayed jobs', () => {
  let svc: TestService;
  const send = (id: string, body: object) => svc.http.post(`/v1/milestones/${id}/events`, body);
  beforeAll(async () => {
    svc = await startTestService({
      ARBITRATION_FEE_DEFAULT: FEE,
      DISPUTE_FREELANCER_RESPONSE_MS: '300',
      DISPUTE_EMPLOYER_RESPONSE_MS: '600000',
      ARBITRATION_FEE_WINDOW_MS: '300',
      FEEDBACK_WINDOW_MS: '300',
      PROJECT_CANCEL_REQUEST_MS: '300',
      SWEEP_INTERVAL_MS: '200',
      SWEEP_GRACE_MS: '500',
    });
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it("closes in the filer's favour when the freelancer does not respond in time", async () => {
    const { p, id } = await disputable(svc.http);
    await send(id, { type: 'OPEN_DISPUTE', actor: p.employer, reason: 'Nothing delivered', offer: '100' });
    const resolved = await eventually(async () => {
      const m = (await svc.http.get(`/v1/milestones/${id}?wait=settled`)).body;
      expect(m.state).toBe('resolved');
      return m;
    });
    expect(resolved.dispute.outcome).toMatchObject({
      amountToFreelancer: '100',
      amountToEmployer: '900',
      decidedBy: 'response_timeout',
    });
    expect(await balancesOf(svc.http, p.employer)).toEqual({
      currency: 'USD',
      currencyExponent: 2,
      available: '900',
      held: '0',
    });
    const timeout = (await svc.http.get(`/v1/milestones/${id}/history`)).body.items.find(
      (h: { type: string }) => h.type === 'RESPONSE_TIMEOUT',
    );
    expect(timeout).toMatchObject({
      actor: 'system',
      role: 'system',
      from: { disputed: 'awaiting_response' },
      to: 'resolving',
    });
  });

  it('lets the fee payer win when the other party does not pay in time, refunding its fee', async () => {
    const { p, id } = await disputable(svc.http, FEE);
    await send(id, { type: 'OPEN_DISPUTE', actor: p.freelancer, reason: 'Unpaid', offer: '950' });
    await send(id, { type: 'RESPOND', actor: p.employer, offer: '0' });
    await send(id, { type: 'PAY_ARBITRATION_FEE', actor: p.freelancer });
    const resolved = await eventually(async () => {
      const m = (await svc.http.get(`/v1/milestones/${id}?wait=settled`)).body;
      expect(m.state).toBe('resolved');
      return m;
    });
    expect(resolved.dispute.outcome).toMatchObject({
      amountToFreelancer: '950',
      decidedBy: 'fee_timeout',
      feeRefunds: ['freelancer'],
    });
    expect(await balancesOf(svc.http, p.freelancer)).toEqual({
      currency: 'USD',
      currencyExponent: 2,
      available: '1000',
      held: '0',
    });
    expect(await balancesOf(svc.http, p.employer)).toEqual({
      currency: 'USD',
      currencyExponent: 2,
      available: '100',
      held: '0',
    });
  });

  it('re-arms a due timer whose job was lost with Redis (keys of this deployment deleted)', async () => {
    const { p, id } = await disputable(svc.http);
    await send(id, { type: 'OPEN_DISPUTE', actor: p.employer, reason: 'x', offer: '0' });
    await eventually(async () =>
      expect(await svc.db('timers').where({ instance_id: id }).whereNotNull('enqueued_at')).toHaveLength(1),
    );
    // The timer's job disappears, as after a Redis restart with no data (only this deployment's keys: the
    // Redis is shared with other test files running alongside).
    const redis = new Redis(svc.config.REDIS_URL);
    const keys = await redis.keys(`${svc.config.bullmqPrefix}:timers:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    const [timer] = await svc.db('timers').where({ instance_id: id }).select('status');
    // Guard against the race this test cannot control: the job must not have fired before the deletion.
    expect(timer?.status).toBe('armed');
    await eventually(
      async () => expect((await svc.http.get(`/v1/milestones/${id}?wait=settled`)).body.state).toBe('resolved'),
      20_000,
    );
  });

  it('closes the feedback window after the configured time', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '10');
    await send(m.id, { type: 'RELEASE', actor: p.employer });
    await waitSettled(svc.http, m.id);
    await svc.http.post(`/v1/projects/${p.projectId}/events`, { type: 'COMPLETE', actor: p.employer });
    await eventually(async () => expect((await svc.http.get(`/v1/projects/${p.projectId}`)).body.state).toBe('closed'));
    const late = await svc.http.post(`/v1/projects/${p.projectId}/events`, {
      type: 'LEAVE_FEEDBACK',
      actor: p.employer,
      rating: 5,
    });
    expect(late.status).toBe(409);
  });

  it("auto-accepts a freelancer's project cancel request when nothing is pending, and lets it lapse otherwise", async () => {
    const idle = await projectInProgress(svc.http);
    await svc.http.post(`/v1/projects/${idle.projectId}/events`, {
      type: 'REQUEST_PROJECT_CANCEL',
      actor: idle.freelancer,
    });
    await eventually(async () =>
      expect((await svc.http.get(`/v1/projects/${idle.projectId}`)).body.state).toBe('cancelled'),
    );

    const busy = await projectInProgress(svc.http);
    await fundedMilestone(svc.http, busy, '10');
    await svc.http.post(`/v1/projects/${busy.projectId}/events`, {
      type: 'REQUEST_PROJECT_CANCEL',
      actor: busy.freelancer,
    });
    await eventually(async () => {
      const history = (await svc.http.get(`/v1/projects/${busy.projectId}/history`)).body.items;
      expect(history.map((h: { type: string }) => h.type)).toContain('CANCEL_REQUEST_TIMEOUT');
    });
    expect((await svc.http.get(`/v1/projects/${busy.projectId}`)).body.state).toBe('in_progress');
  });
});

describe('deadline reminders and request ids', () => {
  let svc: TestService;
  beforeAll(async () => {
    // Deadlines an hour away and a lead half a second shorter: the reminder is due half a second after arming.
    svc = await startTestService({
      DISPUTE_FREELANCER_RESPONSE_MS: '3600000',
      DEADLINE_REMINDER_LEAD_MS: '3599500',
      DEADLINE_REMINDER_INTERVAL_MS: '100',
    });
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('warns the party who must act, once, when a deadline is within the lead time', async () => {
    const { p, id } = await disputable(svc.http);
    await svc.http.post(`/v1/milestones/${id}/events`, {
      type: 'OPEN_DISPUTE',
      actor: p.employer,
      reason: 'x',
      offer: '0',
    });
    const reminders = async (user: string) =>
      (await svc.http.get(`/v1/users/${user}/notifications`)).body.items.filter(
        (n: { type: string }) => n.type === 'milestone.response_due',
      );
    await eventually(async () => expect(await reminders(p.freelancer)).toHaveLength(1));
    expect(await reminders(p.employer)).toEqual([]);
    const [timer] = await svc
      .db('timers')
      .where({ instance_id: id, timer_key: 'response-deadline' })
      .select('reminded_at');
    expect(timer?.reminded_at).not.toBeNull();
    // Later passes find it reminded: still one notice.
    await eventually(async () =>
      expect(
        (await svc.db('outbox').where({ instance_id: id, topic: 'notification' }).whereNull('processed_at')).length,
      ).toBe(0),
    );
    expect(await reminders(p.freelancer)).toHaveLength(1);
  });

  it('records the X-Request-Id of the request on the outbox rows it caused, settlement included', async () => {
    const p = await projectInProgress(svc.http);
    await deposit(svc.http, p.employer, '10');
    // A live webhook, so that every event writes its transition row (without one only the settlement row exists).
    const hook = await svc.http.post('/v1/webhooks', {
      url: 'http://127.0.0.1:9/x',
      events: ['project.AWARD'],
      secret: 'sixteen-chars-xx',
    });
    expect(hook.status).toBe(201);
    const requestId = uid('req');
    const created = await svc.http.post(
      `/v1/projects/${p.projectId}/milestones`,
      { type: 'CREATE', actor: p.employer, amount: '10', description: 'x' },
      { 'x-request-id': requestId },
    );
    expect(created.headers.get('x-request-id')).toBe(requestId);
    await waitSettled(svc.http, created.body.id);
    const rows = await svc
      .db('outbox')
      .where({ instance_id: created.body.id })
      .orderBy('id')
      .select('topic', 'request_id');
    await svc.http.request('DELETE', `/v1/webhooks/${hook.body.id}`);
    expect(rows.map((r) => r.topic)).toEqual(['transition', 'settlement', 'transition']);
    // CREATE's rows and, through the settlement command, the row SETTLED wrote.
    for (const r of rows) expect(r.request_id, r.topic).toBe(requestId);
    // SETTLED's notification, written with it, carries the request id too.
    const inbox = await svc.db('notifications').where({ instance_id: created.body.id }).select('type', 'request_id');
    expect(inbox).toEqual([{ type: 'milestone.funded', request_id: requestId }]);
  });
});
