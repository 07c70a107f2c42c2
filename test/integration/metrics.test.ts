import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { HttpClient } from '../support/http-client.js';
import { fundedMilestone, projectInProgress } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the Prometheus text format 0.0.4: every line is a HELP/TYPE comment or a sample
 * `name{label="value",…} number`; anything else fails the test.
 */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).toContain(comment[3]);
        types.set(comment[2]!, comment[3]!);
      }
      continue;
    }
    // Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any case; prom-client writes "Nan").
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|[Nn][Aa][Nn]|[+-]?[Ii][Nn][Ff]))(?: -?[0-9]+)?$/.exec(
        line,
      );
    expect(sample, `not a Prometheus sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    const labelText = sample![2] ?? '';
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let consumed = 0;
    for (let m = labelPattern.exec(labelText); m; m = labelPattern.exec(labelText)) {
      labels[m[1]!] = m[2]!;
      consumed = labelPattern.lastIndex;
    }
    expect(consumed, `bad labels in ${line}`).toBe(labelText.length);
    samples.push({ name: sample![1]!, labels, value: Number(sample![3]) });
  }
  expect(types.size).toBeGreaterThan(0);
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('operations: metrics, request ids, dashboard', () => {
  let svc: TestService;
  let monitor: HttpClient;
  beforeAll(async () => {
    svc = await startTestService();
    monitor = await svc.clientWith(['read']);
  });
  afterAll(async () => svc?.stop());

  const scrape = async () => {
    const res = await monitor.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return parsePrometheus(res.body as string);
  };

  it('needs a token with the read scope', async () => {
    expect((await new HttpClient(svc.url, null).get('/metrics')).status).toBe(401);
    const writer = await svc.clientWith(['events:write']);
    const refused = await writer.get('/metrics');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
  });

  it('counts the events this test applied and refused, times them, and reports settlements', async () => {
    const before = await scrape();
    const p = await projectInProgress(svc.http); // AWARD and ACCEPT_AWARD applied
    const refused = await svc.http.post(`/v1/projects/${p.projectId}/events`, {
      type: 'ACCEPT_AWARD',
      actor: p.freelancer,
    });
    expect(refused.body.error.code).toBe('invalid_transition');
    const wrongRole = await svc.http.post(`/v1/projects/${p.projectId}/events`, {
      type: 'COMPLETE',
      actor: p.freelancer,
    });
    expect(wrongRole.status).toBe(403);
    const invented = await svc.http.post(`/v1/projects/${p.projectId}/events`, {
      type: 'MADE_UP_EVENT',
      actor: p.employer,
    });
    expect(invented.status).toBe(400);
    await fundedMilestone(svc.http, p, '700'); // CREATE over HTTP, SETTLED by the settlement worker

    const count = (samples: Sample[], machine: string, type: string, result: string) =>
      value(samples, 'escrow_events_total', { machine, type, result }) ?? 0;
    const after = await eventually(async () => {
      const now = await scrape();
      expect(count(now, 'milestone', 'SETTLED', 'applied') - count(before, 'milestone', 'SETTLED', 'applied')).toBe(1);
      return now;
    });
    const delta = (machine: string, type: string, result: string) =>
      count(after, machine, type, result) - count(before, machine, type, result);
    expect(delta('project', 'AWARD', 'applied')).toBe(1);
    expect(delta('project', 'ACCEPT_AWARD', 'applied')).toBe(1);
    expect(delta('project', 'ACCEPT_AWARD', 'invalid_transition')).toBe(1);
    expect(delta('project', 'COMPLETE', 'forbidden')).toBe(1);
    // An invented type is counted under "unknown", so clients cannot multiply the series.
    expect(delta('project', 'unknown', 'invalid_request')).toBe(1);
    expect(after.some((s) => s.labels.type === 'MADE_UP_EVENT')).toBe(false);
    expect(delta('milestone', 'CREATE', 'applied')).toBe(1);

    const histogramCount = (samples: Sample[]) =>
      value(samples, 'escrow_transition_duration_seconds_count', { machine: 'project', type: 'AWARD' }) ?? 0;
    expect(histogramCount(after) - histogramCount(before)).toBe(1);
    expect(
      value(after, 'escrow_transition_duration_seconds_bucket', { machine: 'project', type: 'AWARD', le: '+Inf' }),
    ).toBe(histogramCount(after));
  });

  it('reports outbox lag, queue depths, webhook backlog and armed timers from shared state', async () => {
    const samples = await eventually(async () => {
      const s = await scrape();
      // Once the workers caught up, nothing is waiting to be relayed or processed.
      expect(value(s, 'escrow_outbox_oldest_unrelayed_age_seconds')).toBe(0);
      for (const topic of ['settlement', 'notification', 'transition'])
        expect(value(s, 'escrow_outbox_oldest_unprocessed_age_seconds', { topic })).toBe(0);
      return s;
    });
    for (const queue of ['payouts', 'settlement', 'timers']) {
      expect(value(samples, 'escrow_queue_jobs', { queue, state: 'waiting' }), queue).toBeGreaterThanOrEqual(0);
    }
    expect(value(samples, 'escrow_queue_jobs', { queue: 'settlement', state: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'escrow_webhook_deliveries', { status: 'pending' })).toBe(0);
    expect(value(samples, 'escrow_timers_armed')).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'escrow_process_cpu_user_seconds_total')).toBeGreaterThan(0);

    // Stop relaying for a moment by writing an outbox row by hand: the lag gauge sees it.
    const [instance] = await svc.db('instances').limit(1).select('id');
    await svc.db.raw(
      `INSERT INTO outbox (instance_id, seq, topic, payload, created_at, relayed_at, processed_at)
      VALUES (?, 0, 'notification', '{}', now() - interval '90 seconds', now(), NULL)`,
      [instance.id],
    );
    const lagging = await scrape();
    expect(
      value(lagging, 'escrow_outbox_oldest_unprocessed_age_seconds', { topic: 'notification' }),
    ).toBeGreaterThanOrEqual(90);
    await svc.db('outbox').where({ seq: 0, topic: 'notification' }).update({ processed_at: svc.db.fn.now() });
  });

  it('returns a request id on every response, echoing a sane X-Request-Id', async () => {
    const given = await svc.http.get('/v1/webhooks', { 'x-request-id': 'trace-abc.123' });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    const generated = await svc.http.get('/v1/nope');
    expect(generated.status).toBe(404);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await svc.http.get('/healthz', { 'x-request-id': 'bad id with spaces' });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the queue dashboard to admin tokens, by bearer header or by login cookie', async () => {
    const admin = await svc.clientWith(['admin']);
    const reader = await svc.clientWith(['read']);
    const page = await admin.get('/admin/queues');
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain('<html');
    const api = await admin.get('/admin/queues/api/queues');
    expect(api.status).toBe(200);
    expect((api.body.queues as { name: string }[]).map((q) => q.name).sort()).toEqual([
      'payouts',
      'settlement',
      'timers',
    ]);
    expect((await reader.get('/admin/queues/api/queues')).status).toBe(403);
    expect((await new HttpClient(svc.url, null).get('/admin/queues/api/queues')).status).toBe(401);

    // A browser without credentials is sent to the login form; posting an admin token sets an HttpOnly cookie.
    const redirected = await fetch(`${svc.url}/admin/queues`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(redirected.status).toBe(303);
    expect(redirected.headers.get('location')).toBe('/admin/login');
    const login = await fetch(`${svc.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: admin.token! }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\/admin/);
    const cookie = setCookie.split(';')[0]!;
    const withCookie = await fetch(`${svc.url}/admin/queues/api/queues`, { headers: { cookie } });
    expect(withCookie.status).toBe(200);
    // The cookie opens only the dashboard, never the API.
    expect((await fetch(`${svc.url}/v1/webhooks`, { headers: { cookie } })).status).toBe(401);
    const readerLogin = await fetch(`${svc.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: reader.token! }).toString(),
      redirect: 'manual',
    });
    expect(readerLogin.status).toBe(403);
  });
});
