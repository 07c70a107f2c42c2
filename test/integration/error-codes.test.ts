import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, type HttpResponse } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, fundedMilestone, projectInProgress, uid, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Every error code of docs/api.md's table, provoked through HTTP at least once: status, code, a human message,
// and proof that the refused request changed nothing (seq, state, history, balances).
// 503 `unavailable` needs Postgres stopped and is covered elsewhere.

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> } & Record<string, unknown>;
}

function expectError(res: HttpResponse, status: number, code: string): ErrorBody['error'] {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const body = res.body as ErrorBody;
  expect(body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(body.error.message.trim().length).toBeGreaterThan(0);
  return body.error;
}

/** A detail may be spread beside `code` or nested under `details`; docs/api.md writes both. */
function detail(error: ErrorBody['error'], name: string): unknown {
  return name in error ? error[name] : error.details?.[name];
}

describe('docs/api.md error codes', () => {
  let svc: TestService;
  let http: HttpClient;

  beforeAll(async () => {
    svc = await startTestService();
    http = svc.http;
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  /** What a refused request must leave untouched on an instance. */
  async function projectFacts(id: string) {
    const res = await http.get(`/v1/projects/${id}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const history = await http.get(`/v1/projects/${id}/history`);
    expect(history.status).toBe(200);
    return {
      seq: res.body.seq,
      state: res.body.state,
      milestones: res.body.milestones,
      title: res.body.title,
      historyLength: history.body.items.length,
    };
  }

  async function milestoneFacts(id: string) {
    const res = await http.get(`/v1/milestones/${id}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const history = await http.get(`/v1/milestones/${id}/history`);
    expect(history.status).toBe(200);
    return {
      seq: res.body.seq,
      state: res.body.state,
      releasedAmount: res.body.releasedAmount,
      remainingAmount: res.body.remainingAmount,
      flags: res.body.flags,
      historyLength: history.body.items.length,
    };
  }

  async function balances(...owners: string[]) {
    const out: Record<string, unknown> = {};
    for (const owner of owners) {
      const res = await http.get(`/v1/accounts/${owner}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      out[owner] = res.body.balances;
    }
    return out;
  }

  async function expectProjectAbsent(id: string) {
    const res = await http.get(`/v1/projects/${id}`);
    expectError(res, 404, 'not_found');
  }

  async function expectMilestoneAbsent(id: string) {
    const res = await http.get(`/v1/milestones/${id}`);
    expectError(res, 404, 'not_found');
  }

  /** A project in progress with one funded milestone. */
  async function fundedSetup(amount = '1000'): Promise<{ p: Parties; milestoneId: string }> {
    const p = await projectInProgress(http);
    const m = await fundedMilestone(http, p, amount);
    return { p, milestoneId: m.id as string };
  }

  describe('400 invalid_request', () => {
    it('malformed JSON body on a project event', async () => {
      const p = await projectInProgress(http);
      const before = await projectFacts(p.projectId);
      const res = await http.post(
        `/v1/projects/${p.projectId}/events`,
        `{"type": "CANCEL_PROJECT", "actor": "${p.employer}"`,
      );
      expectError(res, 400, 'invalid_request');
      expect(await projectFacts(p.projectId)).toEqual(before);
    });

    it('schema violation (wrong type) on project create', async () => {
      const id = uid('prj');
      const res = await http.post('/v1/projects', { id, employerId: uid('emp'), title: 12345, currency: 'USD' });
      expectError(res, 400, 'invalid_request');
      await expectProjectAbsent(id);
    });

    it('schema violation (wrong type) on a milestone event', async () => {
      const { p, milestoneId } = await fundedSetup();
      const before = await milestoneFacts(milestoneId);
      const money = await balances(p.employer, p.freelancer);
      const res = await http.post(`/v1/milestones/${milestoneId}/events`, {
        type: 'RELEASE',
        actor: p.employer,
        amount: 500,
      });
      expectError(res, 400, 'invalid_request');
      expect(await milestoneFacts(milestoneId)).toEqual(before);
      expect(await balances(p.employer, p.freelancer)).toEqual(money);
    });

    it('unknown field on project create', async () => {
      const id = uid('prj');
      const res = await http.post('/v1/projects', {
        id,
        employerId: uid('emp'),
        title: 'Site',
        currency: 'USD',
        budget: '100',
      });
      expectError(res, 400, 'invalid_request');
      await expectProjectAbsent(id);
    });

    it('bad money string on milestone create', async () => {
      const p = await projectInProgress(http);
      await deposit(http, p.employer, '5000');
      const before = await projectFacts(p.projectId);
      const money = await balances(p.employer);
      const id = uid('ms');
      const res = await http.post(`/v1/projects/${p.projectId}/milestones`, {
        id,
        type: 'CREATE',
        actor: p.employer,
        amount: '12.50',
        description: 'Work',
      });
      expectError(res, 400, 'invalid_request');
      await expectMilestoneAbsent(id);
      expect(await projectFacts(p.projectId)).toEqual(before);
      expect(await balances(p.employer)).toEqual(money);
    });

    it('bad money string on a deposit', async () => {
      const owner = uid('own');
      await deposit(http, owner, '100');
      const money = await balances(owner);
      const res = await http.post(`/v1/accounts/${owner}/deposits`, { currency: 'USD', amount: '1,000' });
      expectError(res, 400, 'invalid_request');
      expect(await balances(owner)).toEqual(money);
    });

    it('unknown event type', async () => {
      const { p, milestoneId } = await fundedSetup();
      const before = await milestoneFacts(milestoneId);
      const res = await http.post(`/v1/milestones/${milestoneId}/events`, { type: 'TELEPORT', actor: p.employer });
      expectError(res, 400, 'invalid_request');
      expect(await milestoneFacts(milestoneId)).toEqual(before);
    });
  });

  describe('401 unauthenticated', () => {
    it('missing token', async () => {
      const p = await projectInProgress(http);
      const before = await projectFacts(p.projectId);
      const anonymous = new HttpClient(svc.url, null);
      expectError(await anonymous.get(`/v1/projects/${p.projectId}`), 401, 'unauthenticated');
      expectError(
        await anonymous.post(`/v1/projects/${p.projectId}/events`, { type: 'CANCEL_PROJECT', actor: p.employer }),
        401,
        'unauthenticated',
      );
      expect(await projectFacts(p.projectId)).toEqual(before);
    });

    it('unknown token', async () => {
      const p = await projectInProgress(http);
      const before = await projectFacts(p.projectId);
      const stranger = new HttpClient(svc.url, 'esc_this-token-was-never-issued');
      expectError(await stranger.get(`/v1/projects/${p.projectId}`), 401, 'unauthenticated');
      expectError(
        await stranger.post(`/v1/projects/${p.projectId}/events`, { type: 'CANCEL_PROJECT', actor: p.employer }),
        401,
        'unauthenticated',
      );
      const owner = uid('own');
      expectError(
        await stranger.post(`/v1/accounts/${owner}/deposits`, { currency: 'USD', amount: '100' }),
        401,
        'unauthenticated',
      );
      expect(await projectFacts(p.projectId)).toEqual(before);
      expect(await balances(owner)).toEqual({ [owner]: [] });
    });
  });

  describe('403 forbidden', () => {
    it('a read-only token posting an event', async () => {
      const { p, milestoneId } = await fundedSetup();
      const reader = await svc.clientWith(['read']);
      const before = await milestoneFacts(milestoneId);
      const money = await balances(p.employer, p.freelancer);
      expectError(
        await reader.post(`/v1/milestones/${milestoneId}/events`, { type: 'RELEASE', actor: p.employer }),
        403,
        'forbidden',
      );
      // The reader may still read: the refusal was about the scope, not the token.
      expect((await reader.get(`/v1/milestones/${milestoneId}`)).status).toBe(200);
      expect(await milestoneFacts(milestoneId)).toEqual(before);
      expect(await balances(p.employer, p.freelancer)).toEqual(money);
    });

    it('a non-admin token making a deposit', async () => {
      const owner = uid('own');
      await deposit(http, owner, '100');
      const money = await balances(owner);
      const writer = await svc.clientWith(['events:write', 'read', 'support']);
      expectError(
        await writer.post(`/v1/accounts/${owner}/deposits`, { currency: 'USD', amount: '1000000' }),
        403,
        'forbidden',
      );
      expect(await balances(owner)).toEqual(money);
    });

    it('the freelancer sending RELEASE', async () => {
      const { p, milestoneId } = await fundedSetup();
      const before = await milestoneFacts(milestoneId);
      const money = await balances(p.employer, p.freelancer);
      const error = expectError(
        await http.post(`/v1/milestones/${milestoneId}/events`, { type: 'RELEASE', actor: p.freelancer }),
        403,
        'forbidden',
      );
      expect(detail(error, 'role')).toBe('freelancer');
      expect(await milestoneFacts(milestoneId)).toEqual(before);
      expect(await balances(p.employer, p.freelancer)).toEqual(money);
    });

    it("another project's user sending an event", async () => {
      const { p, milestoneId } = await fundedSetup();
      const other = await projectInProgress(http);
      const before = await milestoneFacts(milestoneId);
      const projectBefore = await projectFacts(p.projectId);
      const money = await balances(p.employer, p.freelancer, other.employer);

      // A token without the support scope: an outsider then has no role at all. (With it, the outsider acts as
      // support staff, which is refused too, with role 'support'.)
      const writer = await svc.clientWith(['events:write', 'read']);
      const release = expectError(
        await writer.post(`/v1/milestones/${milestoneId}/events`, { type: 'RELEASE', actor: other.employer }),
        403,
        'forbidden',
      );
      expect(detail(release, 'role')).toBeNull();
      const cancel = expectError(
        await writer.post(`/v1/milestones/${milestoneId}/events`, { type: 'CANCEL', actor: other.freelancer }),
        403,
        'forbidden',
      );
      expect(detail(cancel, 'role')).toBeNull();
      const asSupport = expectError(
        await http.post(`/v1/milestones/${milestoneId}/events`, { type: 'RELEASE', actor: other.employer }),
        403,
        'forbidden',
      );
      expect(detail(asSupport, 'role')).toBe('support');
      expectError(
        await http.post(`/v1/projects/${p.projectId}/events`, { type: 'COMPLETE', actor: other.employer }),
        403,
        'forbidden',
      );

      expect(await milestoneFacts(milestoneId)).toEqual(before);
      expect(await projectFacts(p.projectId)).toEqual(projectBefore);
      expect(await balances(p.employer, p.freelancer, other.employer)).toEqual(money);
    });
  });

  describe('404 not_found', () => {
    it('unknown project id', async () => {
      const id = uid('prj-missing');
      expectError(await http.get(`/v1/projects/${id}`), 404, 'not_found');
      expectError(await http.get(`/v1/projects/${id}/history`), 404, 'not_found');
      expectError(
        await http.post(`/v1/projects/${id}/events`, { type: 'AWARD', actor: uid('emp'), freelancerId: uid('fl') }),
        404,
        'not_found',
      );
      const milestoneId = uid('ms');
      expectError(
        await http.post(`/v1/projects/${id}/milestones`, {
          id: milestoneId,
          type: 'CREATE',
          actor: uid('emp'),
          amount: '100',
          description: 'Work',
        }),
        404,
        'not_found',
      );
      await expectProjectAbsent(id);
      await expectMilestoneAbsent(milestoneId);
    });

    it('unknown milestone id', async () => {
      const id = uid('ms-missing');
      expectError(await http.get(`/v1/milestones/${id}`), 404, 'not_found');
      expectError(await http.get(`/v1/milestones/${id}/history`), 404, 'not_found');
      expectError(
        await http.post(`/v1/milestones/${id}/events`, { type: 'RELEASE', actor: uid('emp') }),
        404,
        'not_found',
      );
      await expectMilestoneAbsent(id);
    });

    it('a project id used as a milestone id', async () => {
      const p = await projectInProgress(http);
      const before = await projectFacts(p.projectId);
      expectError(await http.get(`/v1/milestones/${p.projectId}`), 404, 'not_found');
      expectError(
        await http.post(`/v1/milestones/${p.projectId}/events`, { type: 'CANCEL_PROJECT', actor: p.employer }),
        404,
        'not_found',
      );
      expect(await projectFacts(p.projectId)).toEqual(before);
    });
  });

  describe('409', () => {
    it('invalid_transition: RELEASE on a milestone still requested', async () => {
      const p = await projectInProgress(http);
      await deposit(http, p.employer, '5000');
      const requested = await http.post(`/v1/projects/${p.projectId}/milestones`, {
        type: 'REQUEST',
        actor: p.freelancer,
        amount: '700',
        description: 'Logo',
      });
      expect(requested.status, JSON.stringify(requested.body)).toBe(201);
      expect(requested.body.state).toBe('requested');
      const milestoneId = requested.body.id as string;
      const before = await milestoneFacts(milestoneId);
      const money = await balances(p.employer, p.freelancer);

      const error = expectError(
        await http.post(`/v1/milestones/${milestoneId}/events`, { type: 'RELEASE', actor: p.employer }),
        409,
        'invalid_transition',
      );
      expect(detail(error, 'state')).toBe('requested');
      const allowed = detail(error, 'allowedEvents');
      expect(Array.isArray(allowed)).toBe(true);
      expect(allowed).toEqual(expect.arrayContaining(['ACCEPT_REQUEST', 'REJECT_REQUEST', 'DELETE_REQUEST']));
      expect(allowed).not.toContain('RELEASE');

      expect(await milestoneFacts(milestoneId)).toEqual(before);
      expect(await balances(p.employer, p.freelancer)).toEqual(money);
    });

    it('version_conflict: If-Match "0" on a project at seq 2', async () => {
      const p = await projectInProgress(http);
      const before = await projectFacts(p.projectId);
      expect(before.seq).toBe(2);
      const error = expectError(
        await http.post(
          `/v1/projects/${p.projectId}/events`,
          { type: 'CANCEL_PROJECT', actor: p.employer },
          { 'if-match': '"0"' },
        ),
        409,
        'version_conflict',
      );
      expect(error.message).toMatch(/\S/);
      expect(await projectFacts(p.projectId)).toEqual(before);

      // The same event with the right seq goes through: the refusal was the version, not the event.
      const ok = await http.post(
        `/v1/projects/${p.projectId}/events`,
        { type: 'CANCEL_PROJECT', actor: p.employer },
        { 'if-match': '"2"' },
      );
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body).toMatchObject({ state: 'cancelled', seq: 3 });
    });

    it('conflict: create with an existing id and a different body; same body returns the original', async () => {
      const id = uid('prj');
      const employerId = uid('emp');
      const body = { id, employerId, title: 'Original title', currency: 'USD' };
      const created = await http.post('/v1/projects', body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);

      const repeat = await http.post('/v1/projects', body);
      expect(repeat.status, JSON.stringify(repeat.body)).toBe(200);
      expect(repeat.body).toEqual(created.body);

      const before = await projectFacts(id);
      const error = expectError(await http.post('/v1/projects', { ...body, title: 'Another title' }), 409, 'conflict');
      expect(error.message).toMatch(/\S/);
      expectError(await http.post('/v1/projects', { ...body, currency: 'EUR' }), 409, 'conflict');
      const after = await projectFacts(id);
      expect(after).toEqual(before);
      expect(after.title).toBe('Original title');
    });

    it('conflict: milestone create with an existing id and a different body', async () => {
      const p = await projectInProgress(http);
      const id = uid('ms');
      const body = { id, type: 'REQUEST', actor: p.freelancer, amount: '300', description: 'Copy' };
      const created = await http.post(`/v1/projects/${p.projectId}/milestones`, body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const repeat = await http.post(`/v1/projects/${p.projectId}/milestones`, body);
      expect(repeat.status, JSON.stringify(repeat.body)).toBe(200);
      expect(repeat.body).toEqual(created.body);

      const before = await milestoneFacts(id);
      const projectBefore = await projectFacts(p.projectId);
      expectError(
        await http.post(`/v1/projects/${p.projectId}/milestones`, { ...body, amount: '301' }),
        409,
        'conflict',
      );
      expect(await milestoneFacts(id)).toEqual(before);
      expect(await projectFacts(p.projectId)).toEqual(projectBefore);
    });
  });

  describe('413 payload_too_large', () => {
    it('a ~1 MiB JSON body', async () => {
      const { p, milestoneId } = await fundedSetup();
      const before = await milestoneFacts(milestoneId);
      const money = await balances(p.employer, p.freelancer);
      const huge = JSON.stringify({ type: 'RELEASE', actor: p.employer, note: 'x'.repeat(1024 * 1024) });
      expectError(await http.post(`/v1/milestones/${milestoneId}/events`, huge), 413, 'payload_too_large');
      expect(await milestoneFacts(milestoneId)).toEqual(before);
      expect(await balances(p.employer, p.freelancer)).toEqual(money);
    });
  });

  describe('422', () => {
    it('idempotency_key_reuse: same key, different body (event)', async () => {
      const { p, milestoneId } = await fundedSetup();
      const key = uid('idem');
      const first = await http.post(
        `/v1/milestones/${milestoneId}/events`,
        { type: 'REQUEST_RELEASE', actor: p.freelancer },
        { 'idempotency-key': key },
      );
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      const again = await http.post(
        `/v1/milestones/${milestoneId}/events`,
        { type: 'REQUEST_RELEASE', actor: p.freelancer },
        { 'idempotency-key': key },
      );
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);

      const before = await milestoneFacts(milestoneId);
      expect(before.seq).toBe(first.body.seq);
      const error = expectError(
        await http.post(
          `/v1/milestones/${milestoneId}/events`,
          { type: 'REQUEST_CANCEL', actor: p.employer, reason: 'Changed my mind' },
          { 'idempotency-key': key },
        ),
        422,
        'idempotency_key_reuse',
      );
      expect(error.message).toMatch(/\S/);
      const after = await milestoneFacts(milestoneId);
      expect(after).toEqual(before);
      expect(after.flags).toEqual({ releaseRequested: true, cancelRequested: false });
    });

    it('idempotency_key_reuse: same key, different body (deposit)', async () => {
      const owner = uid('own');
      const key = uid('idem');
      const first = await http.post(
        `/v1/accounts/${owner}/deposits`,
        { currency: 'USD', amount: '100' },
        { 'idempotency-key': key },
      );
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      const money = await balances(owner);
      expectError(
        await http.post(
          `/v1/accounts/${owner}/deposits`,
          { currency: 'USD', amount: '100000' },
          { 'idempotency-key': key },
        ),
        422,
        'idempotency_key_reuse',
      );
      expect(await balances(owner)).toEqual(money);
      expect(money[owner]).toEqual([{ currency: 'USD', currencyExponent: 2, available: '100', held: '0' }]);
    });

    it('guard_failed: RELEASE more than remains', async () => {
      const { p, milestoneId } = await fundedSetup('1000');
      const before = await milestoneFacts(milestoneId);
      const money = await balances(p.employer, p.freelancer);
      const error = expectError(
        await http.post(`/v1/milestones/${milestoneId}/events`, { type: 'RELEASE', actor: p.employer, amount: '1001' }),
        422,
        'guard_failed',
      );
      expect(error.message).toMatch(/\S/);
      const after = await milestoneFacts(milestoneId);
      expect(after).toEqual(before);
      expect(after).toMatchObject({ state: 'in_progress', remainingAmount: '1000', releasedAmount: '0' });
      expect(await balances(p.employer, p.freelancer)).toEqual(money);
    });
  });
});
