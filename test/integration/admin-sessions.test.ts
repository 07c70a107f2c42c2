import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/tokens.js';
import { HttpClient } from '../support/http-client.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue 15 item 3: the /admin cookie holds a server-side session id (stored hashed, ended on logout), never the
// token, and opens nothing outside /admin; every HTML page carries security headers (helmet).

interface Login {
  status: number;
  location: string | null;
  setCookie: string;
  sessionId: string;
}

describe('admin sessions', () => {
  let svc: TestService;
  let behindProxy: TestService;
  let adminToken = '';

  const login = async (base: string, token: string, headers: Record<string, string> = {}): Promise<Login> => {
    const res = await fetch(`${base}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ token }).toString(),
    });
    const setCookie = res.headers.get('set-cookie') ?? '';
    return {
      status: res.status,
      location: res.headers.get('location'),
      setCookie,
      sessionId: decodeURIComponent(/escrow_admin_session=([^;]*)/.exec(setCookie)?.[1] ?? ''),
    };
  };
  const dashboard = (sessionId: string) =>
    fetch(`${svc.url}/admin/queues/api/queues`, {
      headers: { cookie: `escrow_admin_session=${encodeURIComponent(sessionId)}`, accept: 'application/json' },
      redirect: 'manual',
    });

  beforeAll(async () => {
    svc = await startTestService({}, { workers: false });
    behindProxy = await startTestService({ TRUST_PROXY: 'loopback' }, { workers: false });
    adminToken = (svc.http as unknown as { token: string }).token;
  });
  afterAll(async () => {
    await svc?.stop();
    await behindProxy?.stop();
  });

  it('sets an HttpOnly, SameSite=Strict cookie on /admin holding a random session id, stored only hashed', async () => {
    const session = await login(svc.url, adminToken);
    expect(session.status).toBe(303);
    expect(session.location).toBe('/admin/queues');
    expect(session.setCookie).toMatch(/HttpOnly/);
    expect(session.setCookie).toMatch(/SameSite=Strict/);
    expect(session.setCookie).toMatch(/Path=\/admin/);
    expect(session.setCookie).not.toMatch(/Secure/);
    expect(session.sessionId.length).toBeGreaterThanOrEqual(40);
    expect(session.sessionId).not.toContain(adminToken);
    const rows = await svc.db('admin_sessions').select('id_hash');
    expect(rows).toContainEqual({ id_hash: hashToken(session.sessionId) });
    expect(JSON.stringify(rows)).not.toContain(session.sessionId);
    expect((await dashboard(session.sessionId)).status).toBe(200);
  });

  it('never lets the cookie act as a bearer token or a cookie on /v1', async () => {
    const { sessionId } = await login(svc.url, adminToken);
    const asBearer = await new HttpClient(svc.url, sessionId).post('/v1/accounts/someone/deposits', {
      currency: 'USD',
      amount: '100',
    });
    expect(asBearer.status).toBe(401);
    const asCookie = await new HttpClient(svc.url, null).get('/v1/clients', {
      cookie: `escrow_admin_session=${sessionId}`,
    });
    expect(asCookie.status).toBe(401);
  });

  it('ends the session on the server at logout: the old cookie opens nothing afterwards', async () => {
    const { sessionId } = await login(svc.url, adminToken);
    expect((await dashboard(sessionId)).status).toBe(200);
    const out = await fetch(`${svc.url}/admin/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `escrow_admin_session=${encodeURIComponent(sessionId)}` },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/escrow_admin_session=;.*Expires=Thu, 01 Jan 1970/);
    expect(
      await svc
        .db('admin_sessions')
        .where({ id_hash: hashToken(sessionId) })
        .first(),
    ).toBeUndefined();
    const after = await dashboard(sessionId);
    expect(after.status).toBe(401);
  });

  it('refuses a login without a token (400), with an unknown one (401) and without the admin scope (403)', async () => {
    expect((await login(svc.url, '')).status).toBe(400);
    expect((await login(svc.url, 'esc_nobody')).status).toBe(401);
    const reader = (await svc.clientWith(['read'])) as unknown as { token: string };
    expect((await login(svc.url, reader.token)).status).toBe(403);
    expect(await svc.db('admin_sessions').count<{ n: bigint }[]>({ n: '*' })).toBeDefined();
  });

  it('ends a session when its client is revoked', async () => {
    const adminB = (await svc.clientWith(['admin'])) as unknown as { token: string };
    const { sessionId } = await login(svc.url, adminB.token);
    expect((await dashboard(sessionId)).status).toBe(200);
    await svc
      .db('api_clients')
      .where({ token_hash: hashToken(adminB.token) })
      .update({ revoked_at: svc.db.fn.now() });
    expect((await dashboard(sessionId)).status).toBe(401);
  });

  it('marks the cookie Secure when the request came over https: trusted from the proxy only with TRUST_PROXY', async () => {
    const token = (behindProxy.http as unknown as { token: string }).token;
    const viaProxy = await login(behindProxy.url, token, { 'x-forwarded-proto': 'https' });
    expect(viaProxy.setCookie).toMatch(/; Secure/);
    const untrusted = await login(svc.url, adminToken, { 'x-forwarded-proto': 'https' });
    expect(untrusted.setCookie).not.toMatch(/Secure/);
  });
});

describe('security headers on every HTML page', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({}, { workers: false });
  });
  afterAll(async () => svc?.stop());

  it('sends a CSP with frame-ancestors none, nosniff and no X-Powered-By on /console, /docs and /admin', async () => {
    const { sessionId } = await (async () => {
      const res = await fetch(`${svc.url}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: (svc.http as unknown as { token: string }).token }).toString(),
      });
      return { sessionId: /escrow_admin_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '' };
    })();
    for (const [path, headers] of [
      ['/console', {}],
      ['/docs', {}],
      ['/admin/login', {}],
      ['/admin/queues', { cookie: `escrow_admin_session=${sessionId}` }],
    ] as const) {
      const res = await fetch(`${svc.url}${path}`, { headers, redirect: 'manual' });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy'), path).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('x-powered-by'), path).toBeNull();
    }
    expect((await svc.http.get('/v1/machines')).headers.get('x-powered-by')).toBeNull();
  });
});
