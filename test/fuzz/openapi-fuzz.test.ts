import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/knex.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { fundedMilestone, projectInProgress, waitSettled, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';
import type { Json } from '../support/json.js';

// Issue #8 part 2: hostile input over EVERY route, generated from GET /openapi.json rather than a hand list.
// Each documented request body (each event variant of the two event unions) is mutated field by field —
// missing required fields, wrong types, huge strings, deep JSON, unicode edge cases, SQL, prototype keys,
// bad money — and so are path and query parameters and headers (duplicated Authorization / Content-Type sent
// raw through node:http). Every write must be refused with a documented 4xx JSON error, reads never answer
// 5xx, and the database's row counts do not move across the whole run.

type JsonSchema = Record<string, Json>;
type OpenApi = {
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema> };
};

/** docs/api.md's error table (plus README's documented extensions history_too_long and rate_limited). */
const DOCUMENTED: Record<number, readonly string[]> = {
  400: ['invalid_request'],
  401: ['unauthenticated'],
  403: ['forbidden'],
  404: ['not_found'],
  409: ['invalid_transition', 'version_conflict', 'conflict'],
  413: ['payload_too_large'],
  // docs/api.md "Conventions (v1.1)": a body not sent as JSON in UTF-8 (the UTF-16 charset case below).
  415: ['unsupported_media_type'],
  422: ['idempotency_key_reuse', 'guard_failed', 'history_too_long'],
  429: ['rate_limited'],
};

const BODY_LIMIT = 64 * 1024;
const MONEY_FIELDS = new Set(['amount', 'offer', 'amountToFreelancer']);
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

const SQL = [
  "' OR '1'='1",
  "'; DROP TABLE instances; --",
  '1); DELETE FROM accounts; --',
  "' UNION SELECT token_hash FROM api_clients --",
  '1; SELECT pg_sleep(10) --',
  "%' OR 1=1 --",
  '$1',
  '\\',
];
const UNICODE = [
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  '\udc00\ud800', // a pair the wrong way round
  'a\u0000b', // NUL: Postgres text cannot hold it
  '\u202e\u0644\u0627evil', // RTL override + Arabic
  'שלום',
  '💸🔥👨‍👩‍👧', // astral plane + ZWJ sequence
  'e\u0301\u0301\u0301', // stacked combining marks
  '\ufeffBOM',
  '\u2028\u2029\u0085', // line/paragraph separators, NEL
  '\uffff\ufffe', // non-characters
  '𝟙𝟘𝟘', // mathematical digits
  '١٠٠', // Arabic-Indic digits
  '１０', // full-width digits
  ' ', // blank
  '',
];
const BAD_MONEY = [
  '-1',
  '0',
  '00',
  '01',
  '1.5',
  '1e3',
  ' 1',
  '1 ',
  '+1',
  '0x10',
  '1,000',
  'NaN',
  'Infinity',
  '9223372036854775808',
  '9'.repeat(40),
  '١٠٠',
  '１０',
];
const WRONG_TYPES: unknown[] = [42, -1, 1.5, 1e308, 0, null, true, false, [], {}, ['x'], { x: 1 }];
const NEAR_LIMIT = 'x'.repeat(60 * 1024); // a string that fits under the 64 KiB body limit
const OVER_LIMIT = 'x'.repeat(100 * 1024); // one that does not

/** Raw path segments (already percent-encoded where needed: a lone surrogate is not encodable by encodeURIComponent). */
const PATH_VALUES: string[] = [
  ...SQL.map(encodeURIComponent),
  '%ED%A0%80', // UTF-8 bytes of a lone surrogate
  '%C3%28', // invalid UTF-8
  '%00',
  '%ZZ', // malformed percent-encoding
  '%E2%80%AE%D8%B4', // RTL override
  encodeURIComponent('💸'),
  '__proto__',
  'constructor',
  '..',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  'x'.repeat(8 * 1024), // long, but within Node's 16 KiB header limit (beyond it Node answers 431 itself)
  encodeURIComponent("1' OR '1'='1"),
];
const QUERY_VALUES: string[] = [
  ...PATH_VALUES.filter((v) => v.length < 100),
  '-1',
  '0',
  '1.5',
  '1e400',
  '99999999999999999999',
  'true',
  '',
  'x'.repeat(4096),
];

interface FuzzInput {
  label: string;
  method: string;
  path: string;
  headers: [string, string | string[]][];
  body?: string | Buffer;
  /** A write (or a request shaped to fail): must get a documented 4xx. Reads may also answer 2xx. */
  mustRefuse: boolean;
  /** Refused by Node's own HTTP parser before the app sees it: a bare 400, no JSON body. */
  httpLayer?: boolean;
  expectStatus?: number;
}

interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function send(base: URL, input: FuzzInput): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, path: input.path, method: input.method, agent });
    for (const [name, value] of input.headers) req.setHeader(name, value);
    if (input.body !== undefined && !input.headers.some(([n]) => n.toLowerCase() === 'content-length'))
      req.setHeader('content-length', Buffer.byteLength(input.body));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(input.body);
  });
}

/** JSON Schema (the subset zod emits): may `value` be valid for `schema`? False only when it certainly is not. */
function certainlyInvalid(schema: JsonSchema | undefined, value: unknown): boolean {
  if (!schema) return false;
  if ('const' in schema) return JSON.stringify(schema.const) !== JSON.stringify(value);
  if (Array.isArray(schema.enum)) return !schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value));
  const type = schema.type as string | string[] | undefined;
  const types = type === undefined ? [] : Array.isArray(type) ? type : [type];
  if (types.length > 0 && !types.some((t) => matchesType(t, value))) return true;
  if (typeof value === 'string') {
    const units = value.length;
    const points = [...value].length;
    if (typeof schema.maxLength === 'number' && Math.min(units, points) > schema.maxLength) return true;
    if (typeof schema.minLength === 'number' && Math.max(units, points) < schema.minLength) return true;
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return true;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return true;
    if (typeof schema.maximum === 'number' && value > schema.maximum) return true;
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) return true;
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return true;
    if (value.some((v) => certainlyInvalid(schema.items, v))) return true;
  }
  return false;
}

function matchesType(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return true;
  }
}

/**
 * Refused whatever the schema says: NUL (Postgres text cannot hold it) and bad money in a money field. A signed
 * money field (an adjustment's amount: its pattern allows a leading minus) is judged by its magnitude.
 */
function refusedAnyway(field: string, value: unknown, schema: JsonSchema): boolean {
  if (typeof value === 'string' && value.includes('\u0000')) return true;
  if (MONEY_FIELDS.has(field) && typeof value === 'string') {
    const signed = typeof schema.pattern === 'string' && schema.pattern.startsWith('^-?');
    const magnitude = signed ? value.replace(/^-/, '') : value;
    if (!/^(0|[1-9][0-9]*)$/.test(magnitude) || BigInt(magnitude) > 2n ** 63n - 1n) return true;
  }
  return false;
}

function deepJson(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

const COUNTED_TABLES = [
  'instances',
  'history',
  'transfers',
  'outbox',
  'idempotency_keys',
  'accounts',
  'webhooks',
] as const;

async function rowCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of COUNTED_TABLES)
    counts[table] = Number((await db(table).count<{ n: string }[]>({ n: '*' }).first())?.n ?? -1);
  return counts;
}

// Over 5,000 requests: about 30 s on a shared 2-core machine, too close to the default 30 s test timeout.
describe('hostile input fuzz over every route of /openapi.json', { timeout: 180_000 }, () => {
  let svc: TestService;
  let base: URL;
  let token = '';
  let p: Parties;
  let milestoneId = '';
  let webhookId = '';
  let doc: OpenApi;
  const inputs: FuzzInput[] = [];

  /** A valid-looking value per field name; only ever sent with some other part made invalid. */
  const sample = (field: string, schema: JsonSchema): unknown => {
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum)) return schema.enum[0];
    const hints: Record<string, unknown> = {
      actor: p.employer,
      employerId: p.employer,
      freelancerId: p.freelancer,
      title: 'Fuzz',
      description: 'Fuzz',
      currency: 'USD',
      amount: '1',
      offer: '0',
      amountToFreelancer: '0',
      reason: 'fuzz',
      text: 'fuzz',
      comment: 'fuzz',
      rating: 5,
      url: 'http://127.0.0.1:9/fuzz',
      events: ['*'],
      secret: 's'.repeat(32),
      ids: ['1'],
    };
    if (field in hints) return hints[field];
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    return type === 'integer' || type === 'number'
      ? 1
      : type === 'boolean'
        ? true
        : type === 'array'
          ? []
          : type === 'object'
            ? {}
            : 'x';
  };

  const resolve = (schema: JsonSchema): JsonSchema => {
    if (typeof schema.$ref === 'string') return resolve(doc.components.schemas[schema.$ref.split('/').pop()!]!);
    return schema;
  };

  /** The body variants of an operation: the schema itself, or each member of a oneOf (one per event type). */
  const variants = (schema: JsonSchema): JsonSchema[] => {
    const s = resolve(schema);
    return Array.isArray(s.oneOf) ? s.oneOf.map(resolve) : [s];
  };

  const validBody = (schema: JsonSchema): Record<string, unknown> => {
    const body: Record<string, unknown> = {};
    for (const field of (schema.required as string[] | undefined) ?? [])
      body[field] = sample(field, schema.properties[field] ?? {});
    return body;
  };

  /** Path parameters filled with real ids, so that only the mutated part is wrong. */
  const concretePath = (path: string): string =>
    path
      .replace('/v1/projects/{id}', `/v1/projects/${p.projectId}`)
      .replace('/v1/milestones/{id}', `/v1/milestones/${milestoneId}`)
      .replace('{ownerId}', p.employer)
      .replace('/v1/users/{id}', `/v1/users/${p.employer}`)
      .replace('/v1/webhooks/{id}', `/v1/webhooks/${webhookId}`)
      .replace('{deliveryId}', 'whd_nothing')
      .replace('/v1/machines/{name}', '/v1/machines/milestone');

  const auth = (): [string, string] => ['authorization', `Bearer ${token}`];
  const jsonType: [string, string] = ['content-type', 'application/json'];

  function bodyInputs(method: string, path: string, label: string, schema: JsonSchema): void {
    const url = concretePath(path);
    const add = (what: string, body: string, extra: Partial<FuzzInput> = {}) =>
      inputs.push({
        label: `${label} ${what}`,
        method,
        path: url,
        headers: [auth(), jsonType],
        body,
        mustRefuse: true,
        ...extra,
      });
    const valid = validBody(schema);
    const props = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>);

    for (const field of (schema.required as string[] | undefined) ?? []) {
      const { [field]: _gone, ...rest } = valid;
      add(`without required ${field}`, JSON.stringify(rest));
    }
    for (const [field, fieldSchema] of props) {
      const candidates: [string, unknown][] = [
        ...WRONG_TYPES.map((v): [string, unknown] => [`wrong type ${JSON.stringify(v)}`, v]),
        ...SQL.map((v): [string, unknown] => [`SQL ${JSON.stringify(v)}`, v]),
        ...UNICODE.map((v): [string, unknown] => [`unicode ${JSON.stringify(v)}`, v]),
        ...(MONEY_FIELDS.has(field)
          ? BAD_MONEY.map((v): [string, unknown] => [`bad money ${JSON.stringify(v)}`, v])
          : []),
        ['huge string (60 KiB, under the body limit)', NEAR_LIMIT],
        ['wrapped in an array', [valid[field] ?? sample(field, fieldSchema)]],
      ];
      for (const [what, value] of candidates) {
        // Only values the schema (or the money / NUL rules) certainly refuses: a valid write would change data.
        if (!certainlyInvalid(fieldSchema, value) && !refusedAnyway(field, value, fieldSchema)) continue;
        add(`${field}: ${what}`, JSON.stringify({ ...valid, [field]: value }));
      }
      const { [field]: _replaced, ...others } = valid;
      const head = JSON.stringify(others).slice(0, -1);
      add(`${field}: deep JSON (5,000 levels)`, `${head}${head.length > 1 ? ',' : ''}"${field}":${deepJson(5_000)}}`);
      add(`${field}: huge string (100 KiB, over the body limit)`, JSON.stringify({ ...valid, [field]: OVER_LIMIT }), {
        expectStatus: 413,
      });
    }
    if (schema.additionalProperties === false)
      add('with an unknown field', JSON.stringify({ ...valid, zzUnknown: 'x' }));
    for (const key of PROTO_KEYS) {
      add(`with key ${key} (raw JSON)`, `{"${key}":{"polluted":true},${JSON.stringify(valid).slice(1)}`);
      add(`with nested key ${key}`, JSON.stringify({ ...valid, nested: JSON.parse(`{"${key}":{"polluted":true}}`) }));
    }
    add('body: deep JSON (5,000 levels)', deepJson(5_000));
    add('body: deep array (5,000 levels)', `${'['.repeat(5_000)}${']'.repeat(5_000)}`);
    add('body: an array of the valid body', JSON.stringify([valid]));
    add('body: a string', JSON.stringify(JSON.stringify(valid)));
    add('body: null', 'null');
    add('body: truncated', JSON.stringify(valid).slice(0, -1));
    add('body: trailing garbage', `${JSON.stringify(valid)}xx`);
    add(
      'body: invalid UTF-8',
      Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]) as unknown as string,
    );
    add('body: padded past the body limit', JSON.stringify({ ...valid, pad: 'p'.repeat(BODY_LIMIT) }), {
      expectStatus: 413,
    });
    add('body: UTF-16 charset', JSON.stringify({ zz: 1 }), {
      headers: [auth(), ['content-type', 'application/json; charset=utf-16']],
    });
    // Duplicated headers, raw: whichever one the server reads, this body is refused and nothing is written.
    add('two Authorization headers (valid first)', JSON.stringify({ ...valid, zzUnknown: 1 }), {
      headers: [['authorization', [`Bearer ${token}`, 'Bearer junk']], jsonType],
    });
    add('two Authorization headers (junk first)', JSON.stringify(valid), {
      headers: [['authorization', ['Bearer junk', `Bearer ${token}`]], jsonType],
    });
    add('two Content-Type headers', JSON.stringify({ ...valid, zzUnknown: 1 }), {
      headers: [auth(), ['content-type', ['application/json', 'text/plain']]],
    });
    add('Idempotency-Key of 201 characters', JSON.stringify({ ...valid, zzUnknown: 1 }), {
      headers: [auth(), jsonType, ['idempotency-key', 'k'.repeat(201)]],
    });
    add('two Content-Length headers', JSON.stringify(valid), {
      headers: [auth(), jsonType, ['content-length', ['2', String(JSON.stringify(valid).length)]]],
      httpLayer: true,
    });
  }

  function paramInputs(method: string, path: string, op: JsonSchema, bodySchema: JsonSchema | null): void {
    const params = ((op.parameters ?? []) as JsonSchema[]).map(resolve);
    // A body that is valid apart from the path, where a wrong id alone must refuse it (404/400): a lookup of an
    // existing resource. Where the id names a new owner (deposits) a valid body would be a real write: send {}.
    const lookupOnly = !/\{ownerId\}|\/v1\/users\//.test(path);
    const body =
      method === 'get' || method === 'delete'
        ? undefined
        : JSON.stringify(bodySchema && lookupOnly ? validBody(variants(bodySchema)[0]!) : {});
    const mustRefuse = method !== 'get';
    for (const param of params.filter((x) => x.in === 'path')) {
      for (const value of PATH_VALUES) {
        const url = concretePath(path.replace(`{${param.name}}`, value));
        inputs.push({
          label: `${method.toUpperCase()} ${path} ${param.name}=${value.slice(0, 40)}`,
          method: method.toUpperCase(),
          path: url,
          headers: body ? [auth(), jsonType] : [auth()],
          body,
          mustRefuse,
        });
      }
    }
    for (const param of params.filter((x) => x.in === 'query')) {
      for (const value of QUERY_VALUES) {
        const url = `${concretePath(path)}?${param.name}=${value}`;
        inputs.push({
          label: `${method.toUpperCase()} ${path} ?${param.name}=${value.slice(0, 40)}`,
          method: method.toUpperCase(),
          path: url,
          headers: [auth()],
          body,
          mustRefuse,
        });
      }
      inputs.push({
        label: `${method.toUpperCase()} ${path} ?${param.name} twice`,
        method: method.toUpperCase(),
        path: `${concretePath(path)}?${param.name}=1&${param.name}=2`,
        headers: [auth()],
        body,
        mustRefuse,
      });
    }
    if (method === 'get') {
      for (const q of ['__proto__=1', 'constructor[prototype][polluted]=1', '__proto__[polluted]=1', 'a=%00']) {
        inputs.push({
          label: `GET ${path} ?${q}`,
          method: 'GET',
          path: `${concretePath(path)}?${q}`,
          headers: [auth()],
          mustRefuse: false,
        });
      }
      inputs.push({
        label: `GET ${path} with two Authorization headers`,
        method: 'GET',
        path: concretePath(path),
        headers: [['authorization', ['Bearer junk', `Bearer ${token}`]]],
        mustRefuse: false,
      });
    }
    for (const name of ['if-match', 'idempotency-key']) {
      if (!params.some((x) => x.in === 'header' && String(x.name).toLowerCase() === name)) continue;
      for (const value of ['"x"', '-1', '"99999999999999"', 'k'.repeat(201), '\u00ff\u00fe', 'a\tb']) {
        // A body that would be applied (REQUEST_RELEASE by the freelancer is allowed right now) if the header
        // were ignored: the header alone must refuse it.
        const writeBody = path.includes('/milestones/{id}/events')
          ? JSON.stringify({ type: 'REQUEST_RELEASE', actor: p.freelancer })
          : JSON.stringify({});
        if (name === 'idempotency-key' && /^[\x20-\x7e]{1,200}$/.test(value)) continue; // a fine key: not hostile
        if (name === 'if-match' && value === '"99999999999999"') {
          inputs.push({
            label: `${path} If-Match far ahead`,
            method: 'POST',
            path: concretePath(path),
            headers: [auth(), jsonType, [name, value]],
            body: writeBody,
            mustRefuse: true,
          });
          continue;
        }
        inputs.push({
          label: `${path} ${name}: ${JSON.stringify(value.slice(0, 20))}`,
          method: 'POST',
          path: concretePath(path),
          headers: [auth(), jsonType, [name, Buffer.from(value, 'latin1').toString('latin1')]],
          body: writeBody,
          mustRefuse: true,
        });
      }
    }
  }

  beforeAll(async () => {
    // Unthrottled: this file sends thousands of requests from one token on purpose.
    svc = await startTestService({ RATE_LIMIT_PER_SEC: '0' });
    base = new URL(svc.url);
    token = (svc.http as unknown as { token: string }).token;
    p = await projectInProgress(svc.http);
    milestoneId = (await fundedMilestone(svc.http, p, '5000')).id;
    const hook = await svc.http.post('/v1/webhooks', {
      url: 'http://127.0.0.1:9/fuzz',
      events: ['milestone.RELEASE'],
      secret: 's'.repeat(32),
    });
    expect(hook.status).toBe(201);
    webhookId = hook.body.id;
    doc = (await svc.http.get<OpenApi>('/openapi.json')).body;

    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const bodySchema = (op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined) ?? null;
        if (bodySchema)
          for (const v of variants(bodySchema))
            bodyInputs(
              method.toUpperCase(),
              path,
              `${method.toUpperCase()} ${path}${v.title ? ` [${v.title}]` : ''}`,
              v,
            );
        paramInputs(method, path, op, bodySchema);
      }
    }
  });
  afterAll(async () => {
    agent.destroy();
    await svc?.stop();
  });

  it('refuses every hostile input with a documented error and writes nothing', async () => {
    await waitSettled(svc.http, milestoneId);
    const baseline = await rowCounts(svc.db);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let writes = 0;
    let reads = 0;

    const check = async (input: FuzzInput): Promise<void> => {
      const res = await send(base, input);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const summary = `${input.label} → ${res.status} ${res.text.slice(0, 200)}`;
      if (input.mustRefuse) writes++;
      else reads++;
      if (input.httpLayer) {
        if (res.status !== 400) failures.push(`expected Node's 400: ${summary}`);
        return;
      }
      if (res.status >= 500) return void failures.push(`5xx: ${summary}`);
      if (input.expectStatus !== undefined && res.status !== input.expectStatus)
        failures.push(`expected ${input.expectStatus}: ${summary}`);
      if (res.status < 400) {
        if (input.mustRefuse) failures.push(`accepted: ${summary}`);
        return;
      }
      let body: { error?: { code?: unknown; message?: unknown } } | null;
      try {
        body = JSON.parse(res.text);
      } catch {
        return void failures.push(`not JSON: ${summary}`);
      }
      if (!/^application\/json/.test(res.contentType)) failures.push(`content-type ${res.contentType}: ${summary}`);
      const code = body?.error?.code;
      if (typeof code !== 'string' || !(DOCUMENTED[res.status] ?? []).includes(code))
        failures.push(`undocumented status/code: ${summary}`);
      if (typeof body?.error?.message !== 'string' || body.error.message.length === 0)
        failures.push(`no message: ${summary}`);
    };

    // Eight at a time; row counts are compared after every chunk, so a write is pinned to a few inputs.
    const CHUNK = 8;
    for (let i = 0; i < inputs.length; i += CHUNK) {
      const chunk = inputs.slice(i, i + CHUNK);
      await Promise.all(chunk.map(check));
      if (i % (CHUNK * 25) === 0 || i + CHUNK >= inputs.length) {
        const now = await rowCounts(svc.db);
        if (JSON.stringify(now) !== JSON.stringify(baseline)) {
          failures.push(
            `rows changed by one of inputs ${i}..${i + CHUNK * 25}: ${JSON.stringify(baseline)} → ${JSON.stringify(now)}`,
          );
          break;
        }
      }
    }
    console.log(
      `[fuzz] bad inputs tried: ${inputs.length} (${writes} writes that must be refused, ${reads} reads); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    expect(failures.slice(0, 40), `${failures.length} failures`).toEqual([]);
    expect(await rowCounts(svc.db)).toEqual(baseline);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(inputs.length).toBeGreaterThan(2_000);
    await assertLedgerInvariants(svc.db);
    // The fixture is as it was: nothing released, nothing requested, the webhook still there.
    expect((await svc.http.get(`/v1/milestones/${milestoneId}`)).body).toMatchObject({
      state: 'in_progress',
      seq: 2,
      flags: { releaseRequested: false },
    });
    expect((await svc.http.get(`/v1/webhooks/${webhookId}`)).status).toBe(200);
  });
});

// Hostile credentials at every documented protected route, past the failed-authentication budget: only 401 or
// 429 rate_limited (with Retry-After) come back, the admin session cookie never works as a token, nothing is
// written, and a valid token still gets in (issue 15, docs/api.md "Clients and sessions").
describe('hostile credentials over every route of /openapi.json', { timeout: 120_000 }, () => {
  const BUDGET = 50;
  let svc: TestService;
  let base: URL;
  let doc: OpenApi;

  beforeAll(async () => {
    svc = await startTestService(
      { AUTH_FAILURES_PER_SEC: String(BUDGET), RATE_LIMIT_PER_SEC: '0' },
      { workers: false },
    );
    base = new URL(svc.url);
    doc = (await svc.http.get<OpenApi>('/openapi.json')).body;
  });
  afterAll(async () => svc?.stop());

  it('answers only 401 or 429, never lets a forged credential in, and writes nothing', async () => {
    const login = await fetch(`${svc.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: (svc.http as unknown as { token: string }).token }).toString(),
    });
    const sessionId = /escrow_admin_session=([^;]*)/.exec(login.headers.get('set-cookie') ?? '')?.[1] ?? '';
    expect(sessionId).not.toBe('');
    const credentials: [string, string | string[]][][] = [
      [],
      [['authorization', 'Bearer']],
      [['authorization', 'Bearer ']],
      [['authorization', 'bearer esc_lowercase_scheme']],
      [['authorization', 'Basic YWRtaW46YWRtaW4=']],
      [['authorization', `Bearer ${'a'.repeat(600)}`]],
      [['authorization', `Bearer ${decodeURIComponent(sessionId)}`]],
      [['cookie', `escrow_admin_session=${sessionId}`]],
      [['authorization', 'Bearer esc_\u00ff\u00fe']],
      ...SQL.map((v): [string, string][] => [['authorization', `Bearer ${v}`]]),
      [['authorization', ['Bearer junk', 'Bearer other-junk']]],
    ];
    const baseline = await rowCounts(svc.db);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        if (Array.isArray(op.security) && op.security.length === 0) continue;
        const url = path
          .replace('{id}', 'x1')
          .replace('{ownerId}', 'x1')
          .replace('{deliveryId}', 'x1')
          .replace('{name}', 'milestone');
        const body = method === 'get' || method === 'delete' ? undefined : '{}';
        for (const headers of credentials) {
          const res = await send(base, {
            label: `${method} ${path}`,
            method: method.toUpperCase(),
            path: url,
            headers: [...headers, ...(body ? [['content-type', 'application/json'] as [string, string]] : [])],
            body,
            mustRefuse: true,
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const code = (JSON.parse(res.text) as { error?: { code?: string } }).error?.code;
          const ok =
            (res.status === 401 && code === 'unauthenticated') || (res.status === 429 && code === 'rate_limited');
          if (!ok)
            failures.push(`${method} ${path} ${JSON.stringify(headers).slice(0, 80)} → ${res.status} ${res.text}`);
        }
      }
    }
    console.log(`[fuzz] hostile credentials: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(statuses.get(429) ?? 0, 'the budget was passed').toBeGreaterThan(0);
    expect(await rowCounts(svc.db)).toEqual(baseline);
    expect((await svc.http.get('/v1/machines')).status).toBe(200);
  });
});

// The other half of hostile strings: values a schema cannot refuse (free text, ids) must be stored and read
// back exactly as sent — as data, never as SQL — or refused; never silently changed.
// Known failure (found by this test): a lone UTF-16 surrogate ("\ud800") in any free-text field passes
// validation and rejectUnsafeInput, then Postgres refuses the jsonb it ends up in (22P02 "Unicode low surrogate
// must follow a high surrogate") and the API answers 500 instead of 400. Fix: refuse strings that are not
// well-formed Unicode (`!s.isWellFormed()`) in src/api/reject-unsafe-input.ts, as it refuses NUL.
describe('hostile but valid strings round-trip exactly', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ RATE_LIMIT_PER_SEC: '0' }, { workers: false });
  });
  afterAll(async () => svc?.stop());

  const roundTrips = [...SQL, ...UNICODE].filter((v) => v.trim().length > 0 && !v.includes('\u0000'));

  it.each(roundTrips.map((v) => [JSON.stringify(v), v]))('title and employerId %s', async (_name, value) => {
    const before = Number((await svc.db('instances').count<{ n: string }[]>({ n: '*' }).first())?.n);
    const created = await svc.http.post('/v1/projects', { employerId: value, title: value, currency: 'USD' });
    if (created.status >= 400) {
      // Refusing is allowed (with a documented error, nothing written); changing the value is not.
      expect(created.status, JSON.stringify(created.body)).toBe(400);
      expect(created.body.error.code).toBe('invalid_request');
      expect(Number((await svc.db('instances').count<{ n: string }[]>({ n: '*' }).first())?.n)).toBe(before);
      return;
    }
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect({ employerId: created.body.employerId, title: created.body.title }).toEqual({
      employerId: value,
      title: value,
    });
    const read = await svc.http.get(`/v1/projects/${created.body.id}`);
    expect({ employerId: read.body.employerId, title: read.body.title }).toEqual({ employerId: value, title: value });
    const listed = await svc.http.get(
      `/v1/milestones?party=${encodeURIComponent(value.replace(/[\ud800-\udfff]/g, ''))}`,
    );
    expect(listed.status).toBeLessThan(500);
    // The tables are still there and still ours.
    expect(Number((await svc.db('instances').count<{ n: string }[]>({ n: '*' }).first())?.n)).toBe(before + 1);
  });

  it.each(roundTrips.map((v) => [JSON.stringify(v), v]))(
    'milestone request description and history payload %s',
    async (_name, value) => {
      const p = await projectInProgress(svc.http);
      const before = Number((await svc.db('history').count<{ n: string }[]>({ n: '*' }).first())?.n);
      const requested = await svc.http.post(`/v1/projects/${p.projectId}/milestones`, {
        type: 'REQUEST',
        actor: p.freelancer,
        amount: '10',
        description: value,
      });
      if (requested.status >= 400) {
        expect(requested.status, JSON.stringify(requested.body)).toBe(400);
        expect(requested.body.error.code).toBe('invalid_request');
        expect(Number((await svc.db('history').count<{ n: string }[]>({ n: '*' }).first())?.n)).toBe(before);
        return;
      }
      expect(requested.status, JSON.stringify(requested.body)).toBe(201);
      expect(requested.body.description).toBe(value);
      const history = await svc.http.get(`/v1/milestones/${requested.body.id}/history`);
      expect(history.body.items[0].payload.description).toBe(value);
    },
  );
});
