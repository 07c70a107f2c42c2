import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/knex.js';
import { createLogger } from '../../src/logger.js';
import { IdempotencyExpiry } from '../../workers/idempotency-expiry.js';
import { eventually } from '../support/eventually.js';
import type { Json } from '../support/json.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, fundedMilestone, projectInProgress, uid, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue 14 item 5 (docs/api.md "Conventions (v1.1)"): a body is JSON in UTF-8 or it is refused (415 / 400) with
// nothing changed; Idempotency-Keys compare canonical JSON, mark replays and expire after IDEMPOTENCY_KEY_TTL;
// a malformed limit or cursor is a 400 on every list route of the OpenAPI document, never a 500.

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Json;
}

/** A request exactly as given: raw body bytes, no header added (fetch would add a text/plain Content-Type). */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Raw> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Json = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          // Left as text for the assertion message.
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.setHeader('content-length', body.length);
    req.end(body);
  });
}

const TABLES = ['instances', 'history', 'transfers', 'outbox', 'idempotency_keys', 'accounts', 'webhooks'] as const;

async function dbFacts(db: Db) {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = Number((await db(table).count<{ n: string }[]>({ n: '*' }).first())?.n);
  const balances = (await db('accounts').orderBy('id').select('id', 'balance')).map(
    (a: { id: string; balance: bigint }) => `${a.id}=${a.balance}`,
  );
  return { counts, balances, instances: await db('instances').orderBy('id').select('id', 'seq') };
}

describe('strict input', () => {
  let svc: TestService;
  let token = '';
  let p: Parties;
  let milestoneId = '';
  const auth = () => ({ authorization: `Bearer ${token}` });
  const projectBody = (employerId: string) =>
    Buffer.from(JSON.stringify({ employerId, title: 'Strict', currency: 'USD' }));

  beforeAll(async () => {
    // The expiry worker would run only after an hour here: the keys these tests backdate stay until read.
    svc = await startTestService({ IDEMPOTENCY_EXPIRY_INTERVAL_MS: '3600000' });
    token = svc.http.token!;
    p = await projectInProgress(svc.http);
    milestoneId = (await fundedMilestone(svc.http, p, '500')).id as string;
  });
  afterAll(async () => {
    if (svc) await assertLedgerInvariants(svc.db);
    await svc?.stop();
  });

  describe('Content-Type', () => {
    it.each([
      ['text/plain', 'text/plain'],
      ['text/plain with utf-8', 'text/plain; charset=utf-8'],
      ['form', 'application/x-www-form-urlencoded'],
      ['multipart', 'multipart/form-data; boundary=x'],
      ['a JSON suffix type', 'application/vnd.api+json'],
      ['JSON in latin1', 'application/json; charset=latin1'],
      ['JSON in ISO-8859-1', 'application/json; charset=ISO-8859-1'],
      ['JSON in UTF-16', 'application/json; charset=utf-16'],
      ['JSON in utf8 (not the charset name)', 'application/json; charset=utf8'],
      ['a malformed parameter', 'application/json; charset'],
      ['none at all', ''],
    ])('a body sent as %s is 415 unsupported_media_type and changes nothing', async (_what, type) => {
      const before = await dbFacts(svc.db);
      const key = uid('k');
      const headers: Record<string, string> = { ...auth(), 'idempotency-key': key };
      if (type) headers['content-type'] = type;
      const res = await raw(svc.url, 'POST', '/v1/projects', headers, projectBody(uid('emp')));
      expect(res.status, JSON.stringify(res.body)).toBe(415);
      expect(res.body).toMatchObject({ error: { code: 'unsupported_media_type' } });
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      expect(await dbFacts(svc.db)).toEqual(before);
    });

    it('an event with a text/plain body is refused, not applied', async () => {
      const before = await dbFacts(svc.db);
      const body = Buffer.from(JSON.stringify({ type: 'RELEASE', actor: p.employer, amount: '100' }));
      const res = await raw(
        svc.url,
        'POST',
        `/v1/milestones/${milestoneId}/events`,
        { ...auth(), 'content-type': 'text/plain' },
        body,
      );
      expect(res.status).toBe(415);
      expect(await dbFacts(svc.db)).toEqual(before);
      expect((await svc.http.get(`/v1/milestones/${milestoneId}`)).body.releasedAmount).toBe('0');
    });

    it.each([
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'Application/JSON; charset="utf-8"',
    ])('accepts %s', async (type) => {
      const res = await raw(
        svc.url,
        'POST',
        '/v1/projects',
        { ...auth(), 'content-type': type },
        projectBody(uid('e')),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    });

    it('authenticates before it looks at the body: an anonymous text/plain body is 401', async () => {
      const res = await raw(svc.url, 'POST', '/v1/projects', { 'content-type': 'text/plain' }, projectBody('e'));
      expect(res.status).toBe(401);
    });

    it('a POST without a body needs no Content-Type (redrive, delivery retry)', async () => {
      const none = await raw(svc.url, 'POST', `/v1/milestones/${milestoneId}/redrive`, auth());
      expect(none.status, JSON.stringify(none.body)).toBe(200);
      // curl -d '' sends Content-Length: 0 with a form type: still no body to misread.
      const empty = await raw(
        svc.url,
        'POST',
        `/v1/milestones/${milestoneId}/redrive`,
        { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
        Buffer.alloc(0),
      );
      expect(empty.status, JSON.stringify(empty.body)).toBe(200);
      const retry = await raw(svc.url, 'POST', '/v1/webhooks/whk_none/deliveries/whd_none/retry', auth());
      expect(retry.status, JSON.stringify(retry.body)).not.toBe(415);
      expect(retry.status).toBeLessThan(500);
    });

    it('the admin login form (url-encoded, outside /v1) still opens a session', async () => {
      const res = await raw(
        svc.url,
        'POST',
        '/admin/login',
        { 'content-type': 'application/x-www-form-urlencoded' },
        Buffer.from(new URLSearchParams({ token }).toString()),
      );
      expect(res.status).toBe(303);
      expect(String(res.headers['set-cookie'])).toMatch(/escrow_admin_session=/);
    });
  });

  describe('UTF-8', () => {
    const invalid = Buffer.concat([
      Buffer.from('{"employerId":"e'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('","title":"Strict","currency":"USD"}'),
    ]);

    it('a body with invalid UTF-8 (0xC3 0x28) is 400 invalid_request, never stored with U+FFFD', async () => {
      const before = await dbFacts(svc.db);
      for (const [headers, body] of [
        [{ 'content-type': 'application/json' }, invalid],
        [{ 'content-type': 'application/json; charset=utf-8' }, invalid],
        // The check reads the bytes after Content-Encoding, so compression does not hide them.
        [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(invalid)],
        [{ 'content-type': 'application/json' }, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
        // A lone surrogate encoded as UTF-8 bytes (CESU) is not UTF-8 either.
        [{ 'content-type': 'application/json' }, Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])],
      ] as const) {
        const res = await raw(svc.url, 'POST', '/v1/projects', { ...auth(), ...headers }, body);
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        expect(res.body).toMatchObject({ error: { code: 'invalid_request' } });
      }
      expect(await dbFacts(svc.db)).toEqual(before);
      const replaced = await svc.db('instances').whereRaw('snapshot::text like ?', ['%\ufffd%']).first('id');
      expect(replaced).toBeUndefined();
    });

    it('valid multi-byte UTF-8 is kept exactly', async () => {
      const title = 'Café 💸 שלום';
      const res = await raw(
        svc.url,
        'POST',
        '/v1/projects',
        { ...auth(), 'content-type': 'application/json' },
        Buffer.from(JSON.stringify({ employerId: uid('e'), title, currency: 'USD' }), 'utf8'),
      );
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ title });
    });
  });

  describe('Idempotency-Key', () => {
    const post = (path: string, text: string, key: string) =>
      raw(
        svc.url,
        'POST',
        path,
        { ...auth(), 'content-type': 'application/json', 'idempotency-key': key },
        Buffer.from(text),
      );

    it('replays a body with its keys in another order and other whitespace, marked Idempotent-Replayed', async () => {
      const owner = uid('own');
      const key = uid('dep');
      const first = await post(`/v1/accounts/${owner}/deposits`, '{"currency":"EUR","amount":"500"}', key);
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await post(
        `/v1/accounts/${owner}/deposits`,
        '{\n  "amount" : "500",\t"currency":   "EUR"\n}\n',
        key,
      );
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances[0].available).toBe('500');
    });

    it('compares nested objects by content, arrays by order', async () => {
      const employerId = uid('emp');
      const key = uid('prj');
      const created = await post('/v1/projects', JSON.stringify({ employerId, title: 'T', currency: 'USD' }), key);
      expect(created.status).toBe(201);
      const replay = await post('/v1/projects', JSON.stringify({ currency: 'USD', title: 'T', employerId }), key);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(created.body);

      const user = uid('usr');
      const readKey = uid('read');
      const marked = await post(`/v1/users/${user}/notifications/read`, '{"ids":["1","2"]}', readKey);
      expect(marked.status, JSON.stringify(marked.body)).toBe(200);
      expect(
        (await post(`/v1/users/${user}/notifications/read`, '{ "ids": [ "1", "2" ] }', readKey)).headers,
      ).toHaveProperty('idempotent-replayed', 'true');
      const reordered = await post(`/v1/users/${user}/notifications/read`, '{"ids":["2","1"]}', readKey);
      expect(reordered.status).toBe(422);
      expect(reordered.body).toMatchObject({ error: { code: 'idempotency_key_reuse' } });
      expect(reordered.headers['idempotent-replayed']).toBeUndefined();
    });

    it('a different value under the same key is still 422 idempotency_key_reuse, without the header', async () => {
      const owner = uid('own');
      const key = uid('dep');
      await post(`/v1/accounts/${owner}/deposits`, '{"currency":"EUR","amount":"10"}', key);
      for (const text of ['{"currency":"EUR","amount":"11"}', '{"amount":"10","currency":"USD"}']) {
        const res = await post(`/v1/accounts/${owner}/deposits`, text, key);
        expect(res.status).toBe(422);
        expect(res.headers['idempotent-replayed']).toBeUndefined();
      }
    });

    it('a key past IDEMPOTENCY_KEY_TTL that no worker deleted yet is forgotten: the request runs anew', async () => {
      const owner = uid('own');
      const key = uid('old');
      const first = await post(`/v1/accounts/${owner}/deposits`, '{"currency":"EUR","amount":"10"}', key);
      expect(first.status).toBe(201);
      await svc
        .db('idempotency_keys')
        .where({ key })
        .update({ created_at: svc.db.raw("now() - interval '25 hours'") });
      // Another body under the old key: not a reuse any more, a new deposit.
      const other = await post(`/v1/accounts/${owner}/deposits`, '{"currency":"EUR","amount":"7"}', key);
      expect(other.status, JSON.stringify(other.body)).toBe(201);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances[0].available).toBe('17');
      // The key now stands for the new request, from now on.
      const replay = await post(`/v1/accounts/${owner}/deposits`, '{"amount":"7","currency":"EUR"}', key);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(other.body);
      const row = await svc.db('idempotency_keys').where({ key }).first('created_at');
      expect(Date.now() - (row as { created_at: Date }).created_at.getTime()).toBeLessThan(60_000);
    });

    it('the expiry pass deletes only expired keys, in bounded batches, and is idempotent', async () => {
      const expiry = new IdempotencyExpiry(
        svc.db,
        { ...svc.config, IDEMPOTENCY_EXPIRY_BATCH_SIZE: 2 },
        createLogger('silent'),
      );
      await expiry.deleteExpired();
      const owner = uid('own');
      const keys = Array.from({ length: 5 }, () => uid('exp'));
      for (const key of keys) await post(`/v1/accounts/${owner}/deposits`, '{"currency":"EUR","amount":"1"}', key);
      const fresh = uid('fresh');
      await post(`/v1/accounts/${owner}/deposits`, '{"currency":"EUR","amount":"1"}', fresh);
      await svc
        .db('idempotency_keys')
        .whereIn('key', keys)
        .update({ created_at: svc.db.raw("now() - interval '25 hours'") });
      expect(await expiry.deleteBatch()).toBe(2);
      expect(await expiry.deleteExpired()).toBe(3);
      expect(await expiry.deleteExpired()).toBe(0);
      expect(
        await svc
          .db('idempotency_keys')
          .whereIn('key', [...keys, fresh])
          .pluck('key'),
      ).toEqual([fresh]);
    });
  });
});

describe('Idempotency-Key expiry by the workers', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({
      IDEMPOTENCY_KEY_TTL: '1s',
      IDEMPOTENCY_EXPIRY_INTERVAL_MS: '100',
      IDEMPOTENCY_EXPIRY_BATCH_SIZE: '2',
    });
  });
  afterAll(async () => svc?.stop());

  it('deletes keys once IDEMPOTENCY_KEY_TTL has passed; the same key then runs its request again', async () => {
    const owner = uid('own');
    const keys = Array.from({ length: 5 }, () => uid('ttl'));
    for (const key of keys) {
      const res = await svc.http.post(
        `/v1/accounts/${owner}/deposits`,
        { currency: 'EUR', amount: '1' },
        {
          'idempotency-key': key,
        },
      );
      expect(res.status).toBe(201);
    }
    const stored = () => svc.db('idempotency_keys').whereIn('key', keys).count<{ n: string }[]>({ n: '*' }).first();
    expect(Number((await stored())?.n)).toBeGreaterThan(0);
    await eventually(async () => expect(Number((await stored())?.n)).toBe(0), 15_000, 100);
    const again = await svc.http.post(
      `/v1/accounts/${owner}/deposits`,
      { currency: 'EUR', amount: '2' },
      {
        'idempotency-key': keys[0]!,
      },
    );
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances[0].available).toBe('7');
  });
});

describe('every list route of /openapi.json refuses a malformed limit or cursor with 400', () => {
  let svc: TestService;
  let doc: { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
  let concrete: (path: string) => string;

  beforeAll(async () => {
    svc = await startTestService();
    const p = await projectInProgress(svc.http);
    await deposit(svc.http, p.employer, '101');
    const m = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '100',
      description: 'Work',
    });
    const webhook = await svc.http.post('/v1/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      events: ['*'],
      secret: 's'.repeat(32),
    });
    expect(webhook.status, JSON.stringify(webhook.body)).toBe(201);
    const payout = await svc.http.post(`/v1/accounts/${p.employer}/payouts`, {
      currency: 'USD',
      amount: '1',
      destination: { kind: 'bank_account', reference: 'DE89370400440532013000' },
      actor: p.employer,
    });
    expect(payout.status, JSON.stringify(payout.body)).toBe(201);
    const ids: Record<string, string> = {
      '/v1/projects/{id}': `/v1/projects/${p.projectId}`,
      '/v1/milestones/{id}': `/v1/milestones/${m.body.id as string}`,
      '/v1/users/{id}': `/v1/users/${p.employer}`,
      '/v1/webhooks/{id}': `/v1/webhooks/${webhook.body.id as string}`,
      '/v1/machines/{name}': '/v1/machines/milestone',
      '/v1/accounts/{ownerId}': `/v1/accounts/${p.employer}`,
      '/v1/payouts/{id}': `/v1/payouts/${payout.body.id as string}`,
    };
    concrete = (path) =>
      Object.entries(ids)
        .reduce((acc, [from, to]) => acc.replace(from, to), path)
        .replace(/\{[^}]+\}/g, 'x');
    doc = (await svc.http.get('/openapi.json')).body as typeof doc;
  });
  afterAll(async () => svc?.stop());

  const BAD_LIMITS = [
    '0',
    '-1',
    '1.5',
    '1.0',
    'abc',
    '0x10',
    '1e2',
    '%205',
    '%2B5',
    '2147483648',
    '99999999999999999999',
    '9'.repeat(400),
    'NaN',
    'Infinity',
    '%D9%A1%D9%A0', // Arabic-Indic digits
    '%00',
    '1&limit=2',
  ];
  const BAD_CURSORS = [
    'abc!',
    '-1',
    '1.5',
    '0x10',
    '1e3',
    '%201',
    '99999999999999999999',
    '9223372036854775808',
    '9'.repeat(400),
    'NaN',
    '%00',
    '%C3%28',
    '1&cursor=2',
  ];

  /** GET routes with a limit or cursor query parameter, plus the console's list (not in the public document). */
  const listRoutes = () => {
    const routes: { path: string; params: Set<string>; query: string }[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      const params = new Set((ops.get?.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name));
      if (params.has('limit') || params.has('cursor')) routes.push({ path: concrete(path), params, query: '' });
    }
    routes.push({ path: '/v1/console/deliveries', params: new Set(['limit', 'cursor']), query: 'status=dead&' });
    return routes;
  };

  it('finds the list routes and each answers a well-formed page', async () => {
    const routes = listRoutes().map((r) => r.path.replace(/\/(prj|ms|emp|wh)_?[^/]*/, '/:id'));
    // The routes this test was written against; routes added later are walked too, whatever they are.
    for (const known of [
      '/v1/projects',
      '/v1/projects/:id/history',
      '/v1/milestones',
      '/v1/milestones/:id/history',
      '/v1/users/:id/notifications',
      '/v1/webhooks',
      '/v1/webhooks/:id/deliveries',
      '/v1/clients',
      '/v1/machines/milestone/paths',
      '/v1/console/deliveries',
    ])
      expect(routes).toContain(known);
    for (const { path, query } of listRoutes()) {
      const res = await svc.http.get(`${path}?${query}limit=1`);
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBeLessThan(500);
      if (res.status === 400) expect(JSON.stringify(res.body), path).not.toMatch(/"(limit|cursor)"/);
    }
  });

  it('400 invalid_request for every malformed limit and cursor, never a 500', async () => {
    const failures: string[] = [];
    for (const { path, params, query } of listRoutes()) {
      const cases = [
        ...(params.has('limit') ? BAD_LIMITS.map((v) => `limit=${v}`) : []),
        ...(params.has('limit') ? ['limit=10000001'] : []),
        ...(params.has('cursor') ? BAD_CURSORS.map((v) => `cursor=${v}`) : []),
        // A history seq is an integer column: one past 2^31-1 was a 500 before.
        ...(params.has('cursor') && path.endsWith('/history') ? ['cursor=2147483648', 'cursor=4294967296'] : []),
      ];
      for (const c of cases) {
        const res = await svc.http.get(`${path}?${query}${c}`);
        const code = (res.body as { error?: { code?: string } } | null)?.error?.code;
        if (res.status !== 400 || code !== 'invalid_request') failures.push(`${path}?${c} → ${res.status} ${code}`);
      }
      // Whatever a route makes of the largest int4 + 1, it is never a server error.
      if (params.has('cursor')) {
        const res = await svc.http.get(`${path}?${query}cursor=2147483648`);
        if (res.status >= 500) failures.push(`${path}?cursor=2147483648 → ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('an empty limit or cursor is one not given', async () => {
    for (const { path, query } of listRoutes()) {
      const res = await svc.http.get(`${path}?${query}limit=&cursor=`);
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(200);
    }
  });

  it('documents 415 on body-taking operations, Idempotent-Replayed on replayable replies, 400 on list params', () => {
    type Op = {
      requestBody?: { content: Record<string, unknown> };
      parameters?: { name: string }[];
      responses: Record<string, { headers?: Record<string, unknown> }>;
    };
    let bodies = 0;
    for (const [path, ops] of Object.entries(doc.paths) as [string, Record<string, Op>][]) {
      for (const [method, op] of Object.entries(ops)) {
        const label = `${method} ${path}`;
        if (op.requestBody && 'application/json' in op.requestBody.content) {
          bodies++;
          expect(op.responses, label).toHaveProperty('415');
        }
        const names = (op.parameters ?? []).map((x) => x.name);
        if (names.includes('Idempotency-Key')) {
          const ok = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
          expect(ok.length, label).toBeGreaterThan(0);
          for (const [, response] of ok) expect(response.headers, label).toHaveProperty('Idempotent-Replayed');
        }
        if (names.includes('limit') || names.includes('cursor')) expect(op.responses, label).toHaveProperty('400');
      }
    }
    expect(bodies).toBeGreaterThanOrEqual(6);
  });
});
