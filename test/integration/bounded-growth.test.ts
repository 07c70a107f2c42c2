import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { fundedMilestone, projectInProgress, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue 15 item 5, bounded growth, through the API: milestone@3's caps refuse with 422 guard_failed naming the
// rule and the values compared, a refusal changes nothing, and no milestone view carries evidence text.

const CAPS = {
  EVIDENCE_MAX_PER_DISPUTE: '3',
  EVIDENCE_MAX_BYTES_PER_DISPUTE: '25000',
  CANCEL_REQUESTS_MAX_PER_MILESTONE: '2',
  DISPUTES_MAX_PER_MILESTONE: '2',
};

describe('bounded growth (milestone@3)', () => {
  let svc: TestService;
  const send = (id: string, body: object) => svc.http.post(`/v1/milestones/${id}/events`, body);

  /** Everything a refusal must leave alone: the instance's row as the API shows it, and its history. */
  const stored = async (id: string) => ({
    view: (await svc.http.get(`/v1/milestones/${id}`)).body,
    history: (await svc.http.get(`/v1/milestones/${id}/history`)).body.items.length,
  });

  async function expectRefused(id: string, body: object, rule: string, details: object) {
    const before = await stored(id);
    const res = await send(id, body);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'guard_failed', rule, details });
    expect(res.body.error.message).toMatch(/limit of \d+/);
    expect(await stored(id)).toEqual(before);
    return res.body.error;
  }

  async function disputed(): Promise<{ p: Parties; id: string }> {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '1000');
    expect(m.machine).toEqual({ name: 'milestone', version: 3 });
    const opened = await send(m.id, { type: 'OPEN_DISPUTE', actor: p.employer, reason: 'Late', offer: '100' });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    return { p, id: m.id };
  }

  beforeAll(async () => {
    svc = await startTestService(CAPS);
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('new milestones start on version 3 and record the configured caps', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '10');
    expect(m.machine).toEqual({ name: 'milestone', version: 3 });
    expect(m.limits).toEqual({
      evidencePerDispute: 3,
      evidenceBytesPerDispute: 25000,
      cancelRequests: 2,
      disputes: 2,
      used: { cancelRequests: 0, disputes: 0 },
    });
    const row = await svc.db('instances').where({ id: m.id }).first('snapshot');
    expect(row.snapshot.context.limits).toMatchObject({ evidencePerDispute: 3, evidenceBytesPerDispute: 25000 });
  });

  it('caps evidence per dispute by bytes and by count, and keeps its text out of every view', async () => {
    const { p, id } = await disputed();
    const piece = (c: string) => c.repeat(10_000);
    for (const [by, c] of [
      [p.freelancer, 'a'],
      [p.employer, 'b'],
    ] as const) {
      expect((await send(id, { type: 'SUBMIT_EVIDENCE', actor: by, text: piece(c) })).status).toBe(200);
    }
    await expectRefused(
      id,
      { type: 'SUBMIT_EVIDENCE', actor: p.freelancer, text: piece('c') },
      'evidence_bytes_limit',
      {
        bytes: 10_000,
        total: 20_000,
        limit: 25_000,
      },
    );
    const third = await send(id, { type: 'SUBMIT_EVIDENCE', actor: p.freelancer, text: 'Signed spec, page 3' });
    expect(third.status).toBe(200);
    const error = await expectRefused(
      id,
      { type: 'SUBMIT_EVIDENCE', actor: p.employer, text: 'One more' },
      'evidence_count_limit',
      { count: 3, limit: 3 },
    );
    expect(error.message).toBe(
      'SUBMIT_EVIDENCE is refused: this dispute already holds 3 pieces of evidence, its limit of 3.',
    );

    const single = (await svc.http.get(`/v1/milestones/${id}`)).body;
    expect(single.dispute).toMatchObject({
      evidence: [
        { by: 'freelancer', bytes: 10_000 },
        { by: 'employer', bytes: 10_000 },
        { by: 'freelancer', bytes: 19 },
      ],
      evidenceCount: 3,
      evidenceBytes: 20_019,
    });
    expect(single.allowedEvents).not.toContain('SUBMIT_EVIDENCE');
    const list = (await svc.http.get(`/v1/milestones?projectId=${p.projectId}`)).body;
    for (const body of [single, list, third.body]) expect(JSON.stringify(body)).not.toContain('Signed spec');
    const row = await svc.db('instances').where({ id }).first('snapshot');
    expect(JSON.stringify(row.snapshot)).not.toContain('aaaa');
    // The history keeps every piece's text, with who sent it and when.
    const history = (await svc.http.get(`/v1/milestones/${id}/history`)).body.items;
    const texts = history.filter((h: { type: string }) => h.type === 'SUBMIT_EVIDENCE');
    expect(texts.map((h: { payload: { text: string } }) => h.payload.text.length)).toEqual([10_000, 10_000, 19]);
    expect(texts[2]).toMatchObject({ actor: p.freelancer, payload: { text: 'Signed spec, page 3' } });
  });

  it('caps cancel requests per milestone', async () => {
    const p = await projectInProgress(svc.http);
    const { id } = await fundedMilestone(svc.http, p, '100');
    for (let i = 0; i < 2; i++) {
      expect((await send(id, { type: 'REQUEST_CANCEL', actor: p.employer, reason: `try ${i}` })).status).toBe(200);
      expect((await send(id, { type: 'REJECT_CANCEL', actor: p.freelancer })).status).toBe(200);
    }
    const view = (await svc.http.get(`/v1/milestones/${id}`)).body;
    expect(view.allowedEvents).not.toContain('REQUEST_CANCEL');
    expect(view.limits.used).toEqual({ cancelRequests: 2, disputes: 0 });
    await expectRefused(id, { type: 'REQUEST_CANCEL', actor: p.employer, reason: 'again' }, 'cancel_request_limit', {
      count: 2,
      limit: 2,
    });
    // Everything else goes on: the freelancer may still cancel.
    expect((await send(id, { type: 'CANCEL', actor: p.freelancer })).status).toBe(200);
  });

  it('caps disputes per milestone, and a new dispute starts a fresh evidence allowance', async () => {
    const { p, id } = await disputed();
    for (let i = 0; i < 3; i++) {
      await send(id, { type: 'SUBMIT_EVIDENCE', actor: p.employer, text: `first dispute ${i}` });
    }
    expect((await send(id, { type: 'WITHDRAW_DISPUTE', actor: p.employer })).status).toBe(200);
    const again = await send(id, { type: 'OPEN_DISPUTE', actor: p.freelancer, reason: 'Unpaid', offer: '900' });
    expect(again.body.dispute).toMatchObject({ evidence: [], evidenceCount: 0 });
    expect((await send(id, { type: 'SUBMIT_EVIDENCE', actor: p.freelancer, text: 'Invoice' })).status).toBe(200);
    expect((await send(id, { type: 'WITHDRAW_DISPUTE', actor: p.freelancer })).status).toBe(200);
    await expectRefused(id, { type: 'OPEN_DISPUTE', actor: p.employer, reason: 'x', offer: '0' }, 'dispute_limit', {
      count: 2,
      limit: 2,
    });
  });
});

// The figures in docs/security.md "Bounded growth": a maximal dispute under the default caps (50 pieces, 256 KiB)
// on version 3, against the same evidence on version 2, which kept every text in the snapshot and every reply.
// `BOUNDED_V2_PIECES=332` repeats issue 15's own case (332 pieces of 10 kB) on version 2 instead.
describe('size of a maximal dispute, version 3 against version 2', () => {
  const services: TestService[] = [];
  afterAll(async () => Promise.all(services.map((s) => s.stop())));

  /** Evidence that reaches both default caps: 25 pieces of 10,000 bytes, then 25 of 485 (262,125 bytes). */
  const maximal = () => [...Array.from({ length: 25 }, () => 10_000), ...Array.from({ length: 25 }, () => 485)];

  async function measure(version: 2 | 3, sizes: number[]) {
    const svc = await startTestService({ NEW_INSTANCE_VERSIONS: `milestone:${version}` });
    services.push(svc);
    const p = await projectInProgress(svc.http);
    for (let i = 0; i < 9; i++) await fundedMilestone(svc.http, p, '10');
    const { id } = await fundedMilestone(svc.http, p, '1000');
    const send = (body: object) => svc.http.post(`/v1/milestones/${id}/events`, body);
    expect((await send({ type: 'OPEN_DISPUTE', actor: p.employer, reason: 'Late', offer: '100' })).status).toBe(200);
    let reply = '';
    for (const [i, bytes] of sizes.entries()) {
      const res = await send({
        type: 'SUBMIT_EVIDENCE',
        actor: i % 2 ? p.employer : p.freelancer,
        text: 'e'.repeat(bytes),
      });
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
      reply = JSON.stringify(res.body);
    }
    const next = await send({ type: 'SUBMIT_EVIDENCE', actor: p.employer, text: 'one more' });
    const row = await svc.db('instances').where({ id }).first(svc.db.raw('octet_length(snapshot::text) AS bytes'));
    const single = JSON.stringify((await svc.http.get(`/v1/milestones/${id}`)).body);
    const list = JSON.stringify((await svc.http.get(`/v1/milestones?projectId=${p.projectId}`)).body);
    const figures = {
      version,
      pieces: sizes.length,
      evidenceBytes: sizes.reduce((a, b) => a + b, 0),
      snapshotBytes: Number(row.bytes),
      eventReplyBytes: reply.length,
      singleViewBytes: single.length,
      listPageBytes: list.length,
      nextPiece: next.status === 422 ? next.body.error.rule : next.status,
    };
    console.log(`[bounded] ${JSON.stringify(figures)}`);
    return figures;
  }

  it('keeps the snapshot and every reply small on version 3, whatever the evidence', async () => {
    const v3 = await measure(3, maximal());
    expect(v3.nextPiece).toBe('evidence_count_limit');
    expect(v3.snapshotBytes).toBeLessThan(8 * 1024);
    for (const bytes of [v3.eventReplyBytes, v3.singleViewBytes]) expect(bytes).toBeLessThan(16 * 1024);
    expect(v3.listPageBytes).toBeLessThan(64 * 1024);
    const v2Pieces = Number(process.env.BOUNDED_V2_PIECES ?? 0);
    const v2 = await measure(2, v2Pieces > 0 ? Array.from({ length: v2Pieces }, () => 10_000) : maximal());
    // Version 2 stores every text in the snapshot (the views no longer show it, whatever the version).
    expect(v2.snapshotBytes).toBeGreaterThan(v2.evidenceBytes);
    expect(v2.singleViewBytes).toBeLessThan(v2.snapshotBytes);
  }, 600_000);
});
