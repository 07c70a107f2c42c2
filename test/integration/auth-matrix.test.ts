import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, type Scope } from '../../src/auth/tokens.js';
import { HttpClient, type HttpResponse } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { fundedMilestone, projectInProgress, uid, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue #8 part 3: token checks on every route, table-driven from GET /openapi.json, so a route added to the
// document is checked without touching this file. For each operation: no token → 401; a token with none of
// the route's scopes → 403 (each other scope alone, and all of them together); each of its scopes alone
// passes authentication and authorisation (any answer but 401/403).

type Operation = { description?: string; security?: unknown[] };
type OpenApi = { paths: Record<string, Record<string, Operation>>; security?: unknown[] };

interface Row {
  method: string;
  path: string;
  /** The scopes of which a token needs one; empty for the open routes. */
  scopes: Scope[];
  fromDocument: boolean;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * The scopes an operation names in its description, "Scope: admin or read." or "Scope: events:write (RULE
 * also needs support).": a token needs one of those before the parenthesis.
 */
function scopesOf(op: Operation): Scope[] {
  const match = /Scope: ([^.(]+)/.exec(op.description ?? '');
  if (!match) return [];
  const named = match[1]!.split(/\s+or\s+|,\s*/).map((s) => s.trim());
  const scopes = named.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
  expect(scopes, `every scope named in "${op.description}" is a real scope`).toHaveLength(named.length);
  return scopes;
}

describe('auth matrix over every documented route', () => {
  let svc: TestService;
  let anonymous: HttpClient;
  let stranger: HttpClient;
  const only = new Map<Scope, HttpClient>();
  let rows: Row[] = [];
  let p: Parties;
  let milestoneId = '';
  let webhookId = '';
  /** The matrix's own webhook: its DELETE row really deletes it (admin passes), so it is not `webhookId`. */
  let disposableHookId = '';

  /** A concrete URL for a documented path: real ids, so an authorised request reaches its handler. */
  const concrete = (path: string): string =>
    path
      .replace('/v1/projects/{id}', `/v1/projects/${p.projectId}`)
      .replace('/v1/milestones/{id}', `/v1/milestones/${milestoneId}`)
      .replace('/v1/admin/instances/{id}', `/v1/admin/instances/${milestoneId}`)
      // No payout exists: an authorised request reaches its handler and is answered 404 (or 400 for its body).
      .replace('/v1/payouts/{id}', '/v1/payouts/po_unknown')
      .replace('{ownerId}', p.employer)
      .replace('/v1/users/{id}', `/v1/users/${p.employer}`)
      .replace('/v1/webhooks/{id}', `/v1/webhooks/${disposableHookId}`)
      .replace('{deliveryId}', 'whd_unknown')
      .replace('/v1/machines/{name}', '/v1/machines/milestone');

  const send = (client: HttpClient, row: Row): Promise<HttpResponse> => {
    const url = concrete(row.path);
    expect(url, 'every path parameter has a value').not.toMatch(/[{}]/);
    // An empty object: enough to pass auth and be refused by validation, never enough to write anything.
    return row.method === 'get' || row.method === 'delete'
      ? client.request(row.method.toUpperCase(), url)
      : client.request(row.method.toUpperCase(), url, {});
  };

  beforeAll(async () => {
    // The failed-authentication budget has its own test below: this one sends hundreds of refusals on purpose.
    svc = await startTestService({ AUTH_FAILURES_PER_SEC: '0' }, {});
    anonymous = new HttpClient(svc.url, null);
    stranger = new HttpClient(svc.url, 'esc_never-issued-token');
    for (const scope of SCOPES) only.set(scope, await svc.clientWith([scope]));
    p = await projectInProgress(svc.http);
    milestoneId = (await fundedMilestone(svc.http, p, '500')).id;
    const hook = await svc.http.post('/v1/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      events: ['*'],
      secret: 'matrix-secret-never-shown-0123456789',
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    webhookId = hook.body.id;
    disposableHookId = (
      await svc.http.post('/v1/webhooks', {
        url: 'http://127.0.0.1:9/other',
        events: ['*'],
        secret: 'disposable-secret-0123456789',
      })
    ).body.id;

    const doc = (await svc.http.get<OpenApi>('/openapi.json')).body;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!METHODS.includes(method)) continue;
        const open = Array.isArray(op.security) && op.security.length === 0;
        rows.push({ method, path, scopes: open ? [] : scopesOf(op), fromDocument: true });
      }
    }
    // Routes the service serves but the document does not list yet (the support console's data API).
    for (const path of [
      '/v1/console/search?q=x',
      '/v1/console/diagrams/milestone/2',
      '/v1/console/me',
      '/v1/console/deliveries?status=dead',
      '/v1/console/actions?instanceId=x',
    ]) {
      rows.push({ method: 'get', path, scopes: ['support', 'read'], fromDocument: false });
    }
    rows = rows.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  const expectError = (res: HttpResponse, status: number, code: string, label: string) => {
    expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(status);
    expect(res.headers.get('content-type') ?? '', label).toMatch(/^application\/json/);
    expect(res.body?.error?.code, label).toBe(code);
    expect(typeof res.body?.error?.message, label).toBe('string');
  };

  it('reads every operation and its scopes from the document', () => {
    const documented = rows.filter((r) => r.fromDocument);
    expect(documented.length).toBeGreaterThanOrEqual(25);
    // Only health, the API reference (it holds no data) and the admin session routes (which take their
    // credential in the form) are open.
    const open = documented.filter((r) => r.scopes.length === 0).map((r) => `${r.method} ${r.path}`);
    expect(open.sort()).toEqual([
      'get /healthz',
      'get /openapi.json',
      'get /readyz',
      'post /admin/login',
      'post /admin/logout',
    ]);
    console.log(`[auth matrix] ${rows.length} operations (${documented.length} from /openapi.json)`);
  });

  it('refuses every protected route without a token (401) or with an unknown one (401)', async () => {
    for (const row of rows.filter((r) => r.scopes.length > 0)) {
      const label = `${row.method.toUpperCase()} ${row.path}`;
      expectError(await send(anonymous, row), 401, 'unauthenticated', `${label} without a token`);
      expectError(await send(stranger, row), 401, 'unauthenticated', `${label} with an unknown token`);
    }
  });

  it('refuses a token that lacks the route scope (403), one scope at a time and all of them together', async () => {
    let checked = 0;
    for (const row of rows.filter((r) => r.scopes.length > 0)) {
      const lacking = SCOPES.filter((s) => !row.scopes.includes(s));
      const label = `${row.method.toUpperCase()} ${row.path}`;
      for (const scope of lacking) {
        expectError(await send(only.get(scope)!, row), 403, 'forbidden', `${label} with only ${scope}`);
        checked++;
      }
      if (lacking.length > 1) {
        const combined = await svc.clientWith(lacking);
        expectError(await send(combined, row), 403, 'forbidden', `${label} with ${lacking.join('+')}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('lets each of the route scopes through authentication and authorisation', async () => {
    for (const row of rows) {
      const clients: [string, HttpClient][] =
        row.scopes.length === 0 ? [['no token', anonymous]] : row.scopes.map((s) => [`only ${s}`, only.get(s)!]);
      for (const [who, client] of clients) {
        const res = await send(client, row);
        const label = `${row.method.toUpperCase()} ${row.path} with ${who}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        expect([401, 403], label).not.toContain(res.status);
        expect(res.status, label).toBeLessThan(500);
      }
    }
  });

  it('RULE needs the support scope on top of events:write, whatever the actor', async () => {
    const writer = only.get('events:write')!;
    for (const actor of [uid('staff'), p.employer, p.freelancer]) {
      const res = await writer.post(`/v1/milestones/${milestoneId}/events`, {
        type: 'RULE',
        actor,
        amountToFreelancer: '0',
      });
      expectError(res, 403, 'forbidden', `RULE by ${actor} without support`);
    }
  });

  // Webhooks are platform-wide admin data (one marketplace, one set of subscribers): every admin client
  // manages all of them, `read` may list them (docs/api.md: read = all GETs), and no other token sees them. The
  // secret is never returned to anyone.
  it('webhooks: another admin sees them, tokens without admin or read do not, nobody sees the secret', async () => {
    const adminB = await svc.clientWith(['admin']);
    const listed = await adminB.get('/v1/webhooks');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((w: { id: string }) => w.id)).toContain(webhookId);
    for (const scope of ['events:write', 'support'] as const) {
      for (const path of ['/v1/webhooks', `/v1/webhooks/${webhookId}`, `/v1/webhooks/${webhookId}/deliveries`]) {
        expectError(await only.get(scope)!.get(path), 403, 'forbidden', `${path} with only ${scope}`);
      }
    }
    const reader = only.get('read')!;
    expectError(
      await reader.post('/v1/webhooks', {
        url: 'http://127.0.0.1:9/x',
        events: ['*'],
        secret: 'reader-cannot-register-0123456789',
      }),
      403,
      'forbidden',
      'read registers',
    );
    expectError(await reader.request('DELETE', `/v1/webhooks/${webhookId}`), 403, 'forbidden', 'read deletes');
    for (const client of [adminB, reader, svc.http]) {
      for (const path of ['/v1/webhooks', `/v1/webhooks/${webhookId}`, `/v1/webhooks/${webhookId}/deliveries`]) {
        const res = await client.get(path);
        expect(res.status).toBe(200);
        expect(JSON.stringify(res.body)).not.toContain('matrix-secret-never-shown');
      }
    }
    expect((await svc.http.get(`/v1/webhooks/${webhookId}`)).status, 'still registered').toBe(200);
  });
});

// The failed-authentication budget (docs/api.md "Clients and sessions") on every documented protected route: past it,
// an unknown token gets 429 rate_limited with Retry-After; a valid token with the route's scope still passes.
// Hundreds of requests: on a busy shared machine they take longer than the default 30 s.
describe('failed-authentication budget over every documented route', { timeout: 120_000 }, () => {
  const BUDGET = 5;
  let svc: TestService;
  const rows: Row[] = [];
  let p: Parties;

  beforeAll(async () => {
    svc = await startTestService(
      { AUTH_FAILURES_PER_SEC: String(BUDGET), RATE_LIMIT_PER_SEC: '0' },
      { workers: false },
    );
    p = await projectInProgress(svc.http);
    const doc = (await svc.http.get<OpenApi>('/openapi.json')).body;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!METHODS.includes(method) || (Array.isArray(op.security) && op.security.length === 0)) continue;
        rows.push({ method, path, scopes: scopesOf(op), fromDocument: true });
      }
    }
  });
  afterAll(async () => svc?.stop());

  it('answers 429 with Retry-After to unknown tokens past the budget, and lets valid tokens through', async () => {
    const url = (path: string) =>
      path
        .replace('{id}', p.projectId)
        .replace('{ownerId}', p.employer)
        .replace('{deliveryId}', 'whd_unknown')
        .replace('/v1/machines/{name}', '/v1/machines/milestone');
    const only = new Map<Scope, HttpClient>();
    for (const scope of SCOPES) only.set(scope, await svc.clientWith([scope]));
    for (const row of rows) {
      const label = `${row.method.toUpperCase()} ${row.path}`;
      const send = (client: HttpClient) =>
        row.method === 'get' || row.method === 'delete'
          ? client.request(row.method.toUpperCase(), url(row.path))
          : client.request(row.method.toUpperCase(), url(row.path), {});
      const flood = await Promise.all(
        Array.from({ length: BUDGET * 2 + 2 }, (_, i) => send(new HttpClient(svc.url, `esc_wrong-${i}`))),
      );
      const limited = flood.filter((r) => r.status === 429);
      expect(limited.length, label).toBeGreaterThan(0);
      expect(
        flood.every((r) => r.status === 401 || r.status === 429),
        label,
      ).toBe(true);
      expect(limited[0]!.body.error.code, label).toBe('rate_limited');
      expect(Number(limited[0]!.headers.get('retry-after')), label).toBeGreaterThanOrEqual(1);
      const valid = await send(only.get(row.scopes[0]!)!);
      expect([401, 403, 429], `${label} with a valid token: ${valid.status}`).not.toContain(valid.status);
    }
  });
});
