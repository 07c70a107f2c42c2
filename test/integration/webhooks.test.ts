import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/webhooks/backoff.js';
import { openSecret, sealSecret } from '../../src/webhooks/secret-box.js';
import { enforceSecretSealing } from '../../src/webhooks/secret-sealing.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startService } from '../../src/service.js';
import { signatureOf, verifySignature } from '../../src/webhooks/signature.js';
import { matches } from '../../src/webhooks/subscriptions.js';
import { UrlPolicy } from '../../src/net/url-policy.js';
import { inTransaction } from '../../src/db/transaction.js';
import { msUntilNextDue } from '../../src/webhooks/delivery-claims.js';
import { OutboxRelay } from '../../workers/outbox-relay.js';
import { createQueues, producerConnection } from '../../src/jobs/queues.js';
import { fanOutTransitions, type TransitionOutboxRow } from '../../workers/webhook-fanout.js';
import { createLogger } from '../../src/logger.js';
import { SignalBus } from '../../src/signals/signal-bus.js';
import { eventually } from '../support/eventually.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { HttpClient } from '../support/http-client.js';
import { fundedMilestone, projectInProgress, uid, waitSettled } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

const MAX_ATTEMPTS = 4;
/** A secret long enough to be accepted (at least 16 characters), for tests about something else. */
const SECRET = 'whsec_test_secret_0123456789';

interface Received {
  deliveryId: string;
  body: {
    id: string;
    type: string;
    instanceId: string;
    machine: string;
    seq: number;
    from: unknown;
    to: unknown;
    event: { type: string; actor: string; payload: Record<string, unknown> };
    at: string;
  };
}

/**
 * A real HTTP receiver on 127.0.0.1: verifies every request's signature and timestamp, answers with what
 * `answer()` says (so a test can fail the first K, or be "down"), and keeps what it acknowledged.
 */
class Receiver {
  readonly accepted: Received[] = [];
  requests = 0;
  badSignatures = 0;
  answer: (n: number) => number | Promise<number> = () => 200;
  private server: Server | null = null;
  url = '';

  constructor(private readonly secret: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then((status) => {
        res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const timestamp = String(req.headers['x-timestamp'] ?? '');
    const signature = String(req.headers['x-signature'] ?? '');
    const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
    if (!fresh || !verifySignature(this.secret, timestamp, raw, signature)) {
      this.badSignatures++;
      return 401;
    }
    const n = ++this.requests;
    const status = await this.answer(n);
    if (status >= 200 && status < 300) {
      const body = JSON.parse(raw) as Received['body'];
      expect(req.headers['x-delivery-id']).toBe(body.id);
      this.accepted.push({ deliveryId: String(req.headers['x-delivery-id']), body });
    }
    return status;
  }

  /** Acknowledged deliveries, each delivery id once (a receiver must dedupe: delivery is at least once). */
  unique(): Received[] {
    const seen = new Set<string>();
    return this.accepted.filter((r) => (seen.has(r.deliveryId) ? false : (seen.add(r.deliveryId), true)));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('webhooks', () => {
  let svc: TestService;
  const receivers: Receiver[] = [];
  const receiver = async (secret: string) => {
    const r = new Receiver(secret);
    await r.start();
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    svc = await startTestService({
      WEBHOOK_BACKOFF_BASE_MS: '5',
      WEBHOOK_BACKOFF_MAX_MS: '40',
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      WEBHOOK_TIMEOUT_MS: '2000',
    });
  });
  afterEach(async () => {
    // Leave no subscription behind for the next test to receive events on.
    const list = await svc.http.get('/v1/webhooks?limit=200');
    for (const w of list.body.items as { id: string }[]) await svc.http.request('DELETE', `/v1/webhooks/${w.id}`);
    await assertLedgerInvariants(svc.db);
  });
  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await svc?.stop();
  });

  const historySeqs = async (path: string): Promise<number[]> =>
    ((await svc.http.get(`${path}/history`)).body.items as { seq: number }[]).map((h) => h.seq);

  it('delivers every event once, signed, in per-instance seq order, after failing the first deliveries', async () => {
    const secret = 'whsec_ordering_test_secret_0123456789';
    const r = await receiver(secret);
    const K = 3;
    r.answer = (n) => (n <= K ? 500 : 200);
    const created = await svc.http.post('/v1/webhooks', { url: r.url, events: ['*'], secret });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['createdAt', 'events', 'id', 'url']);

    // Two projects driven side by side, each with a funded milestone released in two parts.
    const scenario = async () => {
      const p = await projectInProgress(svc.http);
      const m = await fundedMilestone(svc.http, p, '1000');
      await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer, amount: '400' });
      await waitSettled(svc.http, m.id);
      await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer });
      await waitSettled(svc.http, m.id);
      return { projectId: p.projectId, milestoneId: m.id };
    };
    const runs = await Promise.all([scenario(), scenario()]);
    const expected = new Map<string, number[]>();
    for (const run of runs) {
      expected.set(run.projectId, await historySeqs(`/v1/projects/${run.projectId}`));
      expected.set(run.milestoneId, await historySeqs(`/v1/milestones/${run.milestoneId}`));
    }

    await eventually(() => {
      const got = new Map<string, number[]>();
      for (const d of r.unique()) got.set(d.body.instanceId, [...(got.get(d.body.instanceId) ?? []), d.body.seq]);
      for (const [instanceId, seqs] of expected) expect(got.get(instanceId), instanceId).toEqual(seqs);
    }, 20_000);
    expect(r.badSignatures).toBe(0);

    // Exactly once per (instance, seq) after dedupe, and the body carries the event as applied.
    const unique = r.unique();
    const keys = unique.map((d) => `${d.body.instanceId}#${d.body.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
    const release = unique.find((d) => d.body.type === 'milestone.RELEASE' && d.body.event.payload.amount === '400');
    expect(release?.body).toMatchObject({
      machine: 'milestone',
      from: 'in_progress',
      to: 'releasing',
      event: { type: 'RELEASE', actor: expect.any(String) },
    });
    expect(new Date(release!.body.at).getTime()).not.toBeNaN();

    // The failed attempts are on record: K failures, each followed by a later delivered attempt of the same delivery.
    const deliveries = await eventually(async () => {
      const list = await svc.http.get(`/v1/webhooks/${created.body.id}/deliveries?limit=200`);
      expect(list.status).toBe(200);
      const items = list.body.items as { status: string; attempts: { outcome: string; statusCode: number | null }[] }[];
      expect(items.every((d) => d.status === 'delivered')).toBe(true);
      return items;
    });
    const attempts = deliveries.flatMap((d) => d.attempts);
    expect(attempts.filter((a) => a.outcome === 'failed')).toHaveLength(K);
    expect(attempts.filter((a) => a.outcome === 'failed').every((a) => a.statusCode === 500)).toBe(true);
    expect(
      deliveries
        .filter((d) => d.attempts.some((a) => a.outcome === 'failed'))
        .every((d) => d.attempts.at(-1)?.outcome === 'delivered'),
    ).toBe(true);
    expect(JSON.stringify(await svc.http.get('/v1/webhooks'))).not.toContain(secret);
  });

  it('marks a delivery dead after the last attempt, holds later ones back, and delivers all after a retry', async () => {
    const secret = 'whsec_dead_then_retry_0123456789';
    const r = await receiver(secret);
    let healthy = false;
    r.answer = () => (healthy ? 200 : 500);
    const hook = (
      await svc.http.post('/v1/webhooks', {
        url: r.url,
        events: ['milestone.REQUEST_CANCEL', 'milestone.REJECT_CANCEL'],
        secret,
      })
    ).body;
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '50');
    await svc.http.post(`/v1/milestones/${m.id}/events`, {
      type: 'REQUEST_CANCEL',
      actor: p.employer,
      reason: 'Scope',
    });
    await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'REJECT_CANCEL', actor: p.freelancer });

    const dead = await eventually(async () => {
      const list = (await svc.http.get(`/v1/webhooks/${hook.id}/deliveries`)).body.items as {
        id: string;
        status: string;
        type: string;
        attempts: unknown[];
      }[];
      expect(list.map((d) => `${d.type}:${d.status}`)).toEqual([
        'milestone.REQUEST_CANCEL:dead',
        'milestone.REJECT_CANCEL:pending',
      ]);
      return list;
    }, 20_000);
    expect(dead[0]!.attempts).toHaveLength(MAX_ATTEMPTS);
    // The later event is held back behind the dead one (per-instance order), not attempted on its own.
    expect(dead[1]!.attempts).toHaveLength(0);
    expect(r.requests).toBe(MAX_ATTEMPTS);

    const metricsText = (await svc.http.get('/metrics')).body as string;
    expect(metricsText).toMatch(/^escrow_webhook_deliveries\{status="dead"\} 1$/m);

    healthy = true;
    const retried = await svc.http.post(`/v1/webhooks/${hook.id}/deliveries/${dead[0]!.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: dead[0]!.id, status: 'pending', attemptsLeft: MAX_ATTEMPTS });
    await eventually(() =>
      expect(r.unique().map((d) => d.body.type)).toEqual(['milestone.REQUEST_CANCEL', 'milestone.REJECT_CANCEL']),
    );
    // The receiver has the body before its answer is back and recorded: wait for the record.
    const after = await eventually(async () => {
      const items = (await svc.http.get(`/v1/webhooks/${hook.id}/deliveries?status=delivered`)).body.items as {
        attempts: { outcome: string }[];
      }[];
      expect(items).toHaveLength(2);
      return items;
    });
    expect(after[0]!.attempts.map((a) => a.outcome)).toEqual([...Array(MAX_ATTEMPTS).fill('failed'), 'delivered']);

    const again = await svc.http.post(`/v1/webhooks/${hook.id}/deliveries/${dead[0]!.id}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect((await svc.http.post(`/v1/webhooks/${hook.id}/deliveries/whd_nope/retry`)).body.error.code).toBe(
      'not_found',
    );
  });

  it('refuses URLs outside the allow-list (no SSRF) and unknown event patterns with 400 invalid_request', async () => {
    const refused = [
      'http://10.0.0.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://example.com/hook',
      'http://[fd00::1]/hook',
      'http://user:pw@127.0.0.1/hook',
      'file:///etc/passwd',
      'gopher://127.0.0.1/',
      'not a url',
    ];
    for (const url of refused) {
      const res = await svc.http.post('/v1/webhooks', { url, events: ['*'], secret: SECRET });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code, url).toBe('invalid_request');
    }
    expect(
      (await svc.http.post('/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['milestone.NOPE'], secret: SECRET }))
        .body.error,
    ).toMatchObject({
      code: 'invalid_request',
      unknownEvents: ['milestone.NOPE'],
    });
    expect((await svc.http.post('/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['*'] })).status).toBe(400);
    expect(
      (await svc.http.post('/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['*'], secret: SECRET, extra: 1 }))
        .status,
    ).toBe(400);
    // Loopback by name and by IPv6 literal are allowed by default.
    expect(
      (await svc.http.post('/v1/webhooks', { url: 'http://localhost:9/x', events: ['*'], secret: SECRET })).status,
    ).toBe(201);
    expect(
      (await svc.http.post('/v1/webhooks', { url: 'http://[::1]:9/x', events: ['*'], secret: SECRET })).status,
    ).toBe(201);
  });

  it('refuses secrets shorter than 16 characters (or blank) with 400, and takes 16', async () => {
    const url = 'http://127.0.0.1:9/short';
    for (const secret of ['', 'x', 'fifteen-chars-x', ' '.repeat(20), `  ${'a'.repeat(15)}  `]) {
      const res = await svc.http.post('/v1/webhooks', { url, events: ['*'], secret });
      expect(res.status, JSON.stringify(secret)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(JSON.stringify(res.body.error.issues)).toContain('16');
    }
    expect((await svc.http.post('/v1/webhooks', { url, events: ['*'], secret: 'sixteen-chars-xx' })).status).toBe(201);
  });

  it('shows read clients only the status class and a short reason of a failed attempt, admins all of it', async () => {
    const r = await receiver(SECRET);
    r.answer = () => 503;
    const answering = (await svc.http.post('/v1/webhooks', { url: r.url, events: ['project.AWARD'], secret: SECRET }))
      .body.id as string;
    // A port nobody listens on: the connection is refused, which must not show to a reader.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const closed = (
      await svc.http.post('/v1/webhooks', {
        url: `http://127.0.0.1:${closedPort}/closed`,
        events: ['project.AWARD'],
        secret: SECRET,
      })
    ).body.id as string;
    await projectInProgress(svc.http);
    const reader = await svc.clientWith(['read']);
    const firstAttempt = async (client: HttpClient, hookId: string) =>
      eventually(async () => {
        const list = await client.get(`/v1/webhooks/${hookId}/deliveries`);
        expect(list.status).toBe(200);
        const attempt = list.body.items[0]?.attempts.find((a: { outcome: string }) => a.outcome === 'failed');
        expect(attempt).toBeDefined();
        return attempt;
      });
    expect(await firstAttempt(svc.http, answering)).toMatchObject({
      statusCode: 503,
      statusClass: '5xx',
      error: 'receiver answered 503',
      durationMs: expect.any(Number),
    });
    expect(await firstAttempt(reader, answering)).toMatchObject({
      statusCode: null,
      statusClass: '5xx',
      error: 'the receiver answered 5xx',
      durationMs: null,
    });
    expect((await firstAttempt(svc.http, closed)).error).toMatch(/ECONNREFUSED/);
    const seenByReader = await firstAttempt(reader, closed);
    expect(seenByReader).toMatchObject({
      statusCode: null,
      statusClass: null,
      error: 'no response from the receiver',
      durationMs: null,
    });
    expect(JSON.stringify((await reader.get(`/v1/webhooks/${closed}/deliveries`)).body)).not.toMatch(/ECONN|refused/i);
  });

  it('needs the admin scope to manage webhooks; read may list them', async () => {
    const reader = await svc.clientWith(['read']);
    const writer = await svc.clientWith(['events:write']);
    expect(
      (await reader.post('/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['*'], secret: SECRET })).status,
    ).toBe(403);
    expect((await reader.get('/v1/webhooks')).status).toBe(200);
    expect((await writer.get('/v1/webhooks')).status).toBe(403);
    expect((await new HttpClient(svc.url, null).get('/v1/webhooks')).status).toBe(401);
  });

  it('answers a repeat create with the same id and body with the original, and another body with 409', async () => {
    const body = {
      id: uid('wh'),
      url: 'http://127.0.0.1:9/x',
      events: ['milestone.FUND', '*'],
      secret: 'same-secret-0123456789',
    };
    const first = await svc.http.post('/v1/webhooks', body);
    expect(first.status).toBe(201);
    const repeat = await svc.http.post('/v1/webhooks', body);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    expect((await svc.http.post('/v1/webhooks', { ...body, secret: 'other-secret-0123456789' })).status).toBe(409);
    expect((await svc.http.get(`/v1/webhooks/${body.id}`)).body).toEqual(first.body);
  });

  it('cancels pending deliveries when a webhook is deleted and stops sending to it', async () => {
    const secret = 'whsec_delete_0123456789';
    const r = await receiver(secret);
    // The first attempt stays in flight until the webhook is deleted, then fails.
    let fail: () => void = () => undefined;
    r.answer = () => new Promise<number>((resolve) => (fail = () => resolve(500)));
    const hook = (await svc.http.post('/v1/webhooks', { url: r.url, events: ['project.AWARD'], secret })).body;
    await projectInProgress(svc.http);
    await eventually(() => expect(r.requests).toBe(1));
    expect((await svc.http.request('DELETE', `/v1/webhooks/${hook.id}`)).status).toBe(204);
    fail();
    expect((await svc.http.request('DELETE', `/v1/webhooks/${hook.id}`)).status).toBe(404);
    expect((await svc.http.get(`/v1/webhooks/${hook.id}`)).status).toBe(404);
    await eventually(async () => {
      const items = (await svc.http.get(`/v1/webhooks/${hook.id}/deliveries`)).body.items as {
        status: string;
        attempts: { outcome: string }[];
      }[];
      expect(items.map((d) => [d.status, d.attempts.map((a) => a.outcome)])).toEqual([['cancelled', ['failed']]]);
    });
    const seen = r.requests;
    await projectInProgress(svc.http);
    // Another subscriber receiving the next event proves fan-out ran past it; the deleted one got nothing more.
    const other = await receiver(secret);
    await svc.http.post('/v1/webhooks', { url: other.url, events: ['project.AWARD'], secret });
    await projectInProgress(svc.http);
    await eventually(() => expect(other.unique()).toHaveLength(1));
    expect(r.requests).toBe(seen);
  });
});

describe('webhook fan-out in the outbox relay', () => {
  let svc: TestService;
  // API only: no relay and no workers, so the test decides when the relay runs.
  beforeAll(async () => {
    svc = await startTestService({}, { workers: false });
  });
  afterAll(async () => svc?.stop());

  it("creates each event's deliveries once, in seq order, even when a batch is fanned out twice", async () => {
    // Nothing pending yet: the dispatcher must sleep its full poll interval, not spin (it once read "due now").
    expect(await msUntilNextDue(svc.db)).toBeNull();
    await svc.http.post('/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['*'], secret: SECRET });
    const p = await projectInProgress(svc.http);
    const rows: TransitionOutboxRow[] = await svc
      .db('outbox')
      .where({ instance_id: p.projectId, topic: 'transition' })
      .orderBy('id')
      .select('id', 'instance_id', 'seq', 'payload');
    expect(rows.map((r) => r.seq)).toEqual([1, 2]);
    expect(await inTransaction(svc.db, (trx) => fanOutTransitions(trx, svc.config, rows))).toBe(2);
    expect(await inTransaction(svc.db, (trx) => fanOutTransitions(trx, svc.config, rows))).toBe(0);
    const deliveries = await svc
      .db('webhook_deliveries')
      .where({ instance_id: p.projectId })
      .orderBy('n')
      .select('seq', 'type');
    expect(deliveries).toEqual([
      { seq: 1, type: 'project.AWARD' },
      { seq: 2, type: 'project.ACCEPT_AWARD' },
    ]);
    expect(await msUntilNextDue(svc.db)).toBeGreaterThanOrEqual(0);
  });

  it('does notifications and fan-out in its batch and queues only settlements', async () => {
    const hook = (
      await svc.http.post('/v1/webhooks', { url: 'http://127.0.0.1:9/y', events: ['milestone.CREATE'], secret: SECRET })
    ).body as { id: string };
    const p = await projectInProgress(svc.http);
    const created = (
      await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
        type: 'CREATE',
        actor: p.employer,
        amount: '10',
        description: 'd',
      })
    ).body as { id: string };
    const connection = producerConnection(svc.config);
    const queues = createQueues(svc.config, connection);
    const deliveriesSeen: number[] = [];
    const signals = new SignalBus(svc.config, createLogger('silent'));
    const relay = new OutboxRelay(svc.db, queues, 'relay-test', svc.config, createLogger('silent'), signals, (n) =>
      deliveriesSeen.push(n),
    );
    try {
      await relay.drainAll();
      const mine = [p.projectId, created.id];
      const outbox: {
        topic: string;
        instance_id: string;
        relayed_at: Date | null;
        processed_at: Date | null;
        id: bigint;
      }[] = await svc
        .db('outbox')
        .whereIn('instance_id', mine)
        .orderBy('id')
        .select('id', 'topic', 'instance_id', 'relayed_at', 'processed_at');
      expect(outbox.every((o) => o.relayed_at !== null)).toBe(true);
      // Done in the batch, except the settlement, which is a job now and waits for the settlement worker.
      expect(outbox.filter((o) => o.processed_at === null).map((o) => o.topic)).toEqual(['settlement']);
      const settlementRow = outbox.find((o) => o.topic === 'settlement')!;
      const waiting = await queues.settlement.getJobs(['waiting']);
      expect(
        waiting.some((j) => (j.data as { outboxIds?: string[] }).outboxIds?.includes(String(settlementRow.id))),
      ).toBe(true);
      const notified = await svc
        .db('notifications')
        .whereIn('instance_id', mine)
        .orderBy('outbox_id')
        .select('user_id', 'type');
      expect(notified).toEqual([
        { user_id: p.freelancer, type: 'project.awarded' },
        { user_id: p.employer, type: 'project.award_accepted' },
      ]);
      // The hook listens to milestone.CREATE only: the project's two transitions fan out to nothing for it.
      const deliveries = await svc
        .db('webhook_deliveries')
        .where({ webhook_id: hook.id })
        .select('instance_id', 'seq', 'type');
      expect(deliveries).toEqual([{ instance_id: created.id, seq: 1, type: 'milestone.CREATE' }]);
      expect(deliveriesSeen.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
      // A second pass finds nothing left to relay.
      expect(await relay.drainAll()).toBe(0);
    } finally {
      await relay.stop();
      await signals.close();
      await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true }).then(() => q.close())));
      await connection.quit();
    }
  });
});

describe('a webhook receiver that is down for a while', () => {
  let svc: TestService;
  let r: Receiver;
  // Retries span several seconds here (100 attempts, 5–100 ms apart), longer than the outage below.
  beforeAll(async () => {
    svc = await startTestService({
      WEBHOOK_BACKOFF_BASE_MS: '5',
      WEBHOOK_BACKOFF_MAX_MS: '100',
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_MAX_ATTEMPTS: '100',
    });
  });
  afterAll(async () => {
    await r?.stop();
    await svc?.stop();
  });
  const receiver = async (secret: string) => {
    r = new Receiver(secret);
    await r.start();
    return r;
  };

  it('holds events back while the receiver is down and delivers them in order when it is back', async () => {
    const secret = 'whsec_down_for_a_while_0123456789';
    const r = await receiver(secret);
    let up = false;
    r.answer = () => (up ? 204 : 503);
    await svc.http.post('/v1/webhooks', {
      url: r.url,
      events: ['milestone.state.in_progress', 'milestone.RELEASE', 'milestone.state.released'],
      secret,
    });
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '300');
    for (const amount of ['100', '100']) {
      await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer, amount });
      await waitSettled(svc.http, m.id);
    }
    await eventually(() => expect(r.requests).toBeGreaterThanOrEqual(2));
    expect(r.accepted).toHaveLength(0);
    up = true;
    await eventually(() => {
      expect(r.unique().map((d) => `${d.body.type}:${d.body.seq}`)).toEqual([
        'milestone.SETTLED:2', // funding → in_progress
        'milestone.RELEASE:3',
        'milestone.SETTLED:4', // releasing → in_progress
        'milestone.RELEASE:5',
        'milestone.SETTLED:6',
      ]);
    }, 20_000);
    // REQUEST_RELEASE stays in in_progress: not an entry into the state, so not delivered.
    await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'REQUEST_RELEASE', actor: p.freelancer });
    await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer });
    await eventually(() =>
      expect(
        r
          .unique()
          .map((d) => d.body.seq)
          .slice(-2),
      ).toEqual([8, 9]),
    );
    expect(r.unique().at(-1)?.body).toMatchObject({ type: 'milestone.SETTLED', to: 'released' });
  });
});

describe('webhook secrets sealed at rest', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({}, { workers: false });
  });
  afterAll(async () => svc?.stop());

  const logged = () => {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    return { lines, log: pino({ level: 'info' }, sink) };
  };

  it('refuses to start in production without WEBHOOK_SECRET_KEY, naming the setting', async () => {
    const config = loadConfig({ ...process.env, DATABASE_URL: svc.config.DATABASE_URL, NODE_ENV: 'production' });
    await expect(enforceSecretSealing(svc.db, config, createLogger('silent'))).rejects.toThrow(
      /WEBHOOK_SECRET_KEY: required when NODE_ENV=production/,
    );
    await expect(
      startService({ ...config, PORT: 0 }, createLogger('silent'), { api: true, workers: false }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('says in the log that secrets are stored unsealed when there is no key outside production', async () => {
    const { lines, log } = logged();
    await enforceSecretSealing(svc.db, { ...svc.config, WEBHOOK_SECRET_KEY: '' }, log);
    await expect.poll(() => lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: expect.stringMatching(/webhook secrets are stored UNSEALED/) });
  });

  it('seals secrets stored before the key was set, keeping them usable', async () => {
    const created = await svc.http.post('/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['*'], secret: SECRET });
    expect(created.status).toBe(201);
    const stored = async () =>
      (await svc.db('webhooks').where({ id: created.body.id }).first('secret')).secret as string;
    expect(await stored()).toBe(`plain:${SECRET}`);
    const key = 'ab'.repeat(32);
    await enforceSecretSealing(svc.db, { ...svc.config, WEBHOOK_SECRET_KEY: key }, createLogger('silent'));
    const sealed = await stored();
    expect(sealed).toMatch(/^aes256gcm:/);
    expect(sealed).not.toContain(SECRET);
    expect(openSecret(sealed, key)).toBe(SECRET);
    // Idempotent: a second start leaves sealed secrets as they are.
    await enforceSecretSealing(svc.db, { ...svc.config, WEBHOOK_SECRET_KEY: key }, createLogger('silent'));
    expect(await stored()).toBe(sealed);
  });
});

describe('webhook building blocks', () => {
  it('backs off exponentially with jitter between half and all of the capped delay', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 100, 1000, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 100, 1000, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect(retryDelayMs(500, 100, 1000, () => 1)).toBe(1000);
  });

  it('allows only listed ranges and names', () => {
    const policy = new UrlPolicy('127.0.0.0/8,::1/128,localhost,10.1.2.3,*.hooks.example');
    for (const url of [
      'http://127.0.0.1/x',
      'https://127.9.9.9:8443/x',
      'http://[::1]/x',
      'http://localhost/x',
      'http://10.1.2.3/x',
      'https://a.hooks.example/x',
      'http://2130706433/x',
    ]) {
      expect(policy.refusal(url), url).toBeNull();
    }
    for (const url of [
      'http://10.1.2.4/x',
      'http://hooks.example/x',
      'http://localhost.evil.test/x',
      'http://[::2]/x',
      'ftp://127.0.0.1/x',
      'http://a:b@localhost/x',
    ]) {
      expect(policy.refusal(url), url).not.toBeNull();
    }
    expect(() => new UrlPolicy('10.0.0.0/33')).toThrow();
    expect(() => new UrlPolicy('http://x')).toThrow();
  });

  it('signs "<timestamp>.<body>" and keeps sealed secrets usable', () => {
    const sig = signatureOf('k', 1700000000, '{"a":1}');
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature('k', '1700000000', '{"a":1}', sig)).toBe(true);
    expect(verifySignature('k', '1700000001', '{"a":1}', sig)).toBe(false);
    const key = 'ab'.repeat(32);
    const sealed = sealSecret('s3cret:with:colons', key);
    expect(sealed).not.toContain('s3cret');
    expect(openSecret(sealed, key)).toBe('s3cret:with:colons');
    expect(() => openSecret(sealed, 'cd'.repeat(32))).toThrow();
    expect(openSecret(sealSecret('plain:one', ''), '')).toBe('plain:one');
  });

  it('matches event and state-entry patterns', () => {
    const t = {
      machine: 'milestone',
      type: 'OPEN_DISPUTE',
      from: 'in_progress',
      to: { disputed: 'awaiting_response' },
    };
    expect(matches('*', t)).toBe(true);
    expect(matches('milestone.OPEN_DISPUTE', t)).toBe(true);
    expect(matches('project.OPEN_DISPUTE', t)).toBe(false);
    expect(matches('milestone.state.disputed', t)).toBe(true);
    expect(matches('milestone.state.disputed.awaiting_response', t)).toBe(true);
    expect(matches('milestone.state.in_progress', t)).toBe(false);
    expect(matches('milestone.state.disputed', { ...t, from: { disputed: 'negotiation' } })).toBe(false);
  });
});
