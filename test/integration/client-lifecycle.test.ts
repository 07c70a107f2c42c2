import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, hashToken } from '../../src/auth/tokens.js';
import { ServiceProcess } from '../chaos/support/service-process.js';
import { cli as runCli, type CliResult } from '../support/cli.js';
import { eventually } from '../support/eventually.js';
import { HttpClient } from '../support/http-client.js';
import { fundedMilestone, projectInProgress, uid } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue 15 item 1: API clients have a lifecycle (cli clients create|list|revoke|rotate, GET /v1/clients), and a
// revoked, rotated-away or expired token answers 401 on every API process within 5 s.

const REVOCATION_MAX_MS = 5_000;

describe('API client lifecycle', { timeout: 90_000 }, () => {
  let svc: TestService;
  let env: Record<string, string>;
  let second: ServiceProcess;
  let secondUrl = '';

  /** `npm run cli -- …` as an operator runs it (in this process), against the test's database and queue prefix. */
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, env);
  const cliJson = async (...args: string[]) => {
    const res = await cli(...args, '--json');
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout);
  };

  beforeAll(async () => {
    // A long cache TTL in this process, so revocation there can only come from the signal.
    svc = await startTestService({ AUTH_CACHE_MS: '600000' }, { workers: false });
    env = {
      DATABASE_URL: svc.config.DATABASE_URL,
      QUEUE_PREFIX: svc.config.queuePrefix,
      LOG_LEVEL: 'silent',
      RATE_LIMIT_PER_SEC: '0',
    };
    // A second API process on the same database, as a deployment scaled out runs it; its cache TTL is long too.
    second = new ServiceProcess('api', { ...env, PORT: '0', AUTH_CACHE_MS: '600000' });
    await second.start();
    secondUrl = /escrow API listening on (\S+)/.exec(second.tail())![1]!;
  }, 90_000);
  afterAll(async () => {
    await second?.stop();
    await svc?.stop();
  });

  it('creates clients with unique names: a repeated name exits 2 with a message and changes nothing', async () => {
    const name = uid('backend');
    const created = await cliJson('clients', 'create', '--name', name, '--scopes', 'read,events:write');
    expect(created).toMatchObject({ id: expect.stringMatching(/^cli_/), name, scopes: ['read', 'events:write'] });
    expect(created.token).toMatch(/^esc_/);
    const again = await cli('clients', 'create', '--name', name, '--scopes', 'read', '--json');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`client named ${name} exists already`));
    expect(again.stdout).toBe('');
    expect(await svc.db('api_clients').where({ name }).select('id')).toEqual([{ id: created.id }]);
  });

  it('lists clients over the CLI and GET /v1/clients (admin), never a token or its hash', async () => {
    const created = await cliJson('clients', 'create', '--name', uid('lister'), '--scopes', 'read');
    const viaCli = (await cliJson('clients', 'list')).items;
    const listed = await svc.http.get('/v1/clients?limit=200');
    expect(listed.status).toBe(200);
    for (const items of [viaCli, listed.body.items]) {
      const mine = items.find((c: { id: string }) => c.id === created.id);
      expect(mine).toEqual({
        id: created.id,
        name: created.name,
        scopes: ['read'],
        createdAt: expect.any(String),
        lastUsedAt: null,
        expiresAt: null,
        revokedAt: null,
        rotatedAt: null,
      });
      const text = JSON.stringify(items);
      expect(text).not.toContain(created.token);
      expect(text).not.toContain(hashToken(created.token));
    }
    expect((await (await svc.clientWith(['read', 'events:write', 'support'])).get('/v1/clients')).status).toBe(403);
  });

  it('records when a client was last used, at most once a minute per process', async () => {
    const created = await cliJson('clients', 'create', '--name', uid('user'), '--scopes', 'read');
    const client = new HttpClient(svc.url, created.token);
    expect((await client.get('/v1/machines')).status).toBe(200);
    const first = await eventually(async () => {
      const row = await svc.db('api_clients').where({ id: created.id }).first('last_used_at');
      expect(row.last_used_at).not.toBeNull();
      return row.last_used_at as Date;
    });
    for (let i = 0; i < 5; i++) expect((await client.get('/v1/machines')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const row = await svc.db('api_clients').where({ id: created.id }).first('last_used_at');
    expect(row.last_used_at).toEqual(first);
    const viewed = (await svc.http.get('/v1/clients?limit=200')).body.items.find(
      (c: { id: string }) => c.id === created.id,
    );
    expect(viewed.lastUsedAt).toBe(first.toISOString());
  });

  it('revokes a token used by a second API process: 401 there within 5 s', async () => {
    const created = await cliJson('clients', 'create', '--name', uid('leaked'), '--scopes', 'read');
    const there = new HttpClient(secondUrl, created.token);
    const here = new HttpClient(svc.url, created.token);
    // Both processes have the token cached now (for ten minutes, by their TTL).
    expect((await there.get('/v1/machines')).status).toBe(200);
    expect((await here.get('/v1/machines')).status).toBe(200);

    const revoked = await cliJson('clients', 'revoke', created.name);
    const revokedAt = Date.now();
    expect(revoked).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    const elapsed = await eventually(
      async () => {
        expect((await there.get('/v1/machines')).status).toBe(401);
        return Date.now() - revokedAt;
      },
      REVOCATION_MAX_MS,
      10,
    );
    console.log(`[revocation] second API process answers 401 ${elapsed} ms after the CLI revoked the token`);
    expect(elapsed).toBeLessThan(REVOCATION_MAX_MS);
    expect((await here.get('/v1/machines')).status).toBe(401);
    // Revoking again changes nothing.
    expect((await cliJson('clients', 'revoke', created.id)).revokedAt).toBe(revoked.revokedAt);
  });

  it('rotates a token: the new one works at once, the old one stops on every process, history keeps the client', async () => {
    const created = await cliJson('clients', 'create', '--name', uid('rotated'), '--scopes', 'read,events:write,admin');
    const old = new HttpClient(secondUrl, created.token);
    const p = await projectInProgress(old);
    expect((await old.get(`/v1/projects/${p.projectId}`)).status).toBe(200);

    const rotated = await cliJson('clients', 'rotate', created.name);
    expect(rotated).toMatchObject({ id: created.id, name: created.name, rotatedAt: expect.any(String) });
    expect(rotated.token).not.toBe(created.token);
    expect((await new HttpClient(secondUrl, rotated.token).get(`/v1/projects/${p.projectId}`)).status).toBe(200);
    await eventually(async () => expect((await old.get('/v1/machines')).status).toBe(401), REVOCATION_MAX_MS, 10);
    // The history written with the old token names the same client as the new token acts for.
    const history = await svc.http.get(`/v1/projects/${p.projectId}/history`);
    expect(history.body.items.map((h: { client: unknown }) => h.client)).toEqual([
      { id: created.id, name: created.name },
      { id: created.id, name: created.name },
    ]);
  });

  it('expires a token by itself, whatever the cache TTL', async () => {
    const created = await cliJson(
      'clients',
      'create',
      '--name',
      uid('monthly'),
      '--scopes',
      'read',
      '--expires-in',
      '30d',
    );
    const inDays = (new Date(created.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(inDays).toBeGreaterThan(29.9);
    expect(inDays).toBeLessThanOrEqual(30);
    expect(
      (await cli('clients', 'create', '--name', uid('bad'), '--scopes', 'read', '--expires-in', '3 days')).code,
    ).toBe(1);
    // A short expiry, issued directly (the CLI takes seconds to start on a busy machine).
    const short = await createClient(svc.db, uid('short'), ['read'], { expiresAt: new Date(Date.now() + 1_500) });
    const client = new HttpClient(secondUrl, short.token);
    expect((await client.get('/v1/machines')).status).toBe(200);
    await eventually(async () => expect((await client.get('/v1/machines')).status).toBe(401), 5_000, 50);
  });

  it('refuses to revoke or rotate a client nobody has, exiting 2', async () => {
    for (const command of ['revoke', 'rotate']) {
      const res = await cli('clients', command, 'no-such-client', '--json');
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/No client with id or name no-such-client/);
    }
  });
});

describe('audit trail: who did what', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => svc?.stop());

  it('records the API client on history and outbox rows; timers and settlement record none', async () => {
    const p = await projectInProgress(svc.http);
    const m = await fundedMilestone(svc.http, p, '500');
    const history = (await svc.http.get(`/v1/milestones/${m.id}/history`)).body.items;
    const clientId = await svc.db('api_clients').orderBy('n', 'desc').first<{ id: string }>('id');
    expect(history.map((h: { type: string; client: unknown }) => [h.type, h.client])).toEqual([
      ['CREATE', { id: clientId.id, name: expect.any(String) }],
      ['SETTLED', null],
    ]);
    // The project's event derived from the milestone's creation was caused by the same request.
    const projectHistory = (await svc.http.get(`/v1/projects/${p.projectId}/history`)).body.items;
    expect(projectHistory.at(-1)).toMatchObject({ type: 'MILESTONE_OPENED', client: { id: clientId.id } });
    const outbox = await svc.db('outbox').where({ instance_id: m.id }).orderBy('id').select('seq', 'client_id');
    // No webhook is live: the CREATE's only outbox row is its settlement command; SETTLED writes none.
    expect(outbox).toEqual([{ seq: 1, client_id: clientId.id }]);
    // SETTLED's notification (written with it) carries no client: the settlement worker applied it.
    const inbox = await svc.db('notifications').where({ instance_id: m.id }).select('seq', 'client_id');
    expect(inbox).toEqual([{ seq: 2, client_id: null }]);
  });
});
