import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/knex.js';
import { HttpClient, type HttpResponse } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { deposit, fundedMilestone, projectInProgress, uid, waitSettled, type Parties } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// docs/concepts.md: "Bad input gets a clear JSON error (see docs/api.md) and changes nothing. Never a 500 for a client
// mistake." A table of hostile and sloppy requests; every one must get a documented 4xx with a JSON error
// body and leave the database exactly as it was.

const MAX = '9223372036854775807'; // 2^63 - 1, the largest amount a bigint column holds
const TWO_POW_63 = '9223372036854775808';

interface Fixture {
  http: HttpClient;
  anonymous: HttpClient;
  stranger: HttpClient;
  reader: HttpClient;
  writer: HttpClient;
  p: Parties;
  other: Parties;
  /** Funded, in_progress, 5000 held. */
  milestoneId: string;
  /** Requested by the freelancer, not yet accepted. */
  requestedId: string;
  /** A second funded milestone, only for the cases that are most likely to write by mistake. */
  victimId: string;
}

type Expected = readonly [status: number, code: string];

interface Case {
  name: string;
  /** Acceptable outcomes; the first is the one docs/api.md's table points at. */
  expect: readonly Expected[];
  send: (f: Fixture) => Promise<HttpResponse>;
}

const invalid: Expected = [400, 'invalid_request'];
const unauthenticated: Expected = [401, 'unauthenticated'];
const forbidden: Expected = [403, 'forbidden'];
const notFound: Expected = [404, 'not_found'];
const tooLarge: Expected = [413, 'payload_too_large'];
const guardFailed: Expected = [422, 'guard_failed'];

// ---------------------------------------------------------------------------------------------------------
// Request builders (a raw string body is sent as is; anything else is JSON.stringify'd).

const createProject = (body: unknown, headers?: Record<string, string>) => (f: Fixture) =>
  f.http.post('/v1/projects', body, headers);
const projectEvent = (body: (f: Fixture) => unknown, headers?: Record<string, string>) => (f: Fixture) =>
  f.http.post(`/v1/projects/${f.p.projectId}/events`, body(f), headers);
const createMilestone = (body: (f: Fixture) => unknown) => (f: Fixture) =>
  f.http.post(`/v1/projects/${f.p.projectId}/milestones`, body(f));
const milestoneEvent = (body: (f: Fixture) => unknown, headers?: Record<string, string>) => (f: Fixture) =>
  f.http.post(`/v1/milestones/${f.milestoneId}/events`, body(f), headers);
const depositTo = (body: (f: Fixture) => unknown) => (f: Fixture) =>
  f.http.post(`/v1/accounts/${f.p.employer}/deposits`, body(f));

/** The five write endpoints, each with a valid body to mutate. */
const writeEndpoints: { name: string; path: (f: Fixture) => string; valid: (f: Fixture) => Record<string, unknown> }[] =
  [
    {
      name: 'project create',
      path: () => '/v1/projects',
      valid: (f) => ({ employerId: f.p.employer, title: 'Site', currency: 'USD' }),
    },
    {
      name: 'project event',
      path: (f) => `/v1/projects/${f.p.projectId}/events`,
      valid: (f) => ({ type: 'COMPLETE', actor: f.p.employer }),
    },
    {
      name: 'milestone create',
      path: (f) => `/v1/projects/${f.p.projectId}/milestones`,
      valid: (f) => ({ type: 'CREATE', actor: f.p.employer, amount: '100', description: 'Work' }),
    },
    {
      name: 'milestone event',
      path: (f) => `/v1/milestones/${f.milestoneId}/events`,
      valid: (f) => ({ type: 'RELEASE', actor: f.p.employer, amount: '1' }),
    },
    {
      name: 'deposit',
      path: (f) => `/v1/accounts/${f.p.employer}/deposits`,
      valid: () => ({ currency: 'USD', amount: '100' }),
    },
  ];

// ---------------------------------------------------------------------------------------------------------
// The table.

const malformedJson = [
  '{',
  '{"type":',
  "{'type':'RELEASE'}",
  '{"a":1,}',
  '{"a":1}}',
  '{"a":01}',
  '{"a":"\\x41"}',
  'undefined',
  'NaN',
  '{a:1}',
  '\u00ff\u00fe',
];
const notObjects = ['[]', '[{"type":"RELEASE"}]', '"RELEASE"', '42', 'null', 'true', '""'];

const badAmountStrings = [
  '-1',
  '0',
  '-0',
  '00',
  '1.5',
  '1.0',
  '1e3',
  ' 10',
  '10 ',
  '10\n',
  '010',
  '+10',
  '0x10',
  '1_000',
  '1,000',
  '',
  ' ',
  'NaN',
  'Infinity',
  'ten',
  '\uff11\uff10', // full-width digits "１０"
  TWO_POW_63,
  '18446744073709551616',
  '99999999999999999999999',
  '9'.repeat(400),
];
// Raw JSON for amount values that are not strings (numbers would lose precision as soon as they are parsed).
const badAmountJson = ['10', '1.5', '-1', '0', 'null', 'true', '{}', '[]', '["10"]', TWO_POW_63, '1e400'];

const amountTargets: { name: string; send: (f: Fixture, amountJson: string) => Promise<HttpResponse> }[] = [
  {
    name: 'milestone create',
    send: (f, a) =>
      f.http.post(
        `/v1/projects/${f.p.projectId}/milestones`,
        `{"type":"CREATE","actor":${JSON.stringify(f.p.employer)},"amount":${a},"description":"Work"}`,
      ),
  },
  {
    name: 'RELEASE',
    send: (f, a) =>
      f.http.post(
        `/v1/milestones/${f.milestoneId}/events`,
        `{"type":"RELEASE","actor":${JSON.stringify(f.p.employer)},"amount":${a}}`,
      ),
  },
  {
    name: 'deposit',
    send: (f, a) => f.http.post(`/v1/accounts/${f.p.employer}/deposits`, `{"currency":"USD","amount":${a}}`),
  },
];

const long = (n: number) => 'x'.repeat(n);
const oneMiB = (valid: Record<string, unknown>) => JSON.stringify({ ...valid, pad: 'a'.repeat(1024 * 1024) });

const cases: Case[] = [
  // --- malformed JSON and non-objects, on every write endpoint
  ...writeEndpoints.flatMap((e) =>
    [...malformedJson, ...notObjects].map((raw) => ({
      name: `${e.name}: body ${JSON.stringify(raw)}`,
      expect: [invalid],
      send: (f: Fixture) => f.http.post(e.path(f), raw),
    })),
  ),
  ...writeEndpoints.map((e) => ({
    name: `${e.name}: empty body`,
    expect: [invalid],
    send: (f: Fixture) => f.http.post(e.path(f), ''),
  })),

  // --- wrong types and schema violations
  {
    name: 'project create: employerId number',
    expect: [invalid],
    send: createProject({ employerId: 42, title: 'Site', currency: 'USD' }),
  },
  {
    name: 'project create: title null',
    expect: [invalid],
    send: createProject({ employerId: 'e', title: null, currency: 'USD' }),
  },
  {
    name: 'project create: title blank',
    expect: [invalid],
    send: createProject({ employerId: 'e', title: '   ', currency: 'USD' }),
  },
  {
    name: 'project create: title 501 chars',
    expect: [invalid],
    send: createProject({ employerId: 'e', title: long(501), currency: 'USD' }),
  },
  {
    name: 'project create: currency lower case',
    expect: [invalid],
    send: createProject({ employerId: 'e', title: 'Site', currency: 'usd' }),
  },
  {
    name: 'project create: currency number',
    expect: [invalid],
    send: createProject({ employerId: 'e', title: 'Site', currency: 840 }),
  },
  // docs/api.md "Money (v1.1)": ISO 4217 codes in current use only.
  ...[
    ['ABC', 'not an ISO 4217 code'],
    ['XTS', 'the ISO code reserved for testing'],
    ['XAU', 'gold, a commodity code'],
    ['XXX', 'no currency'],
    ['DEM', 'a historic currency (German mark)'],
    ['ZWL', 'replaced in 2024'],
    ['CLF', 'a fund code'],
    ['XDR', 'a unit of account'],
  ].flatMap(([code, why]): Case[] => [
    {
      name: `project create: currency ${code} (${why})`,
      expect: [invalid],
      send: createProject({ employerId: 'e', title: 'Site', currency: code }),
    },
    {
      name: `deposit: currency ${code} (${why})`,
      expect: [invalid],
      send: depositTo(() => ({ currency: code, amount: '100' })),
    },
  ]),
  {
    name: 'project create: currency missing',
    expect: [invalid],
    send: createProject({ employerId: 'e', title: 'Site' }),
  },
  {
    name: 'project create: id number',
    expect: [invalid],
    send: createProject({ id: 42, employerId: 'e', title: 'Site', currency: 'USD' }),
  },
  {
    name: 'project create: id empty',
    expect: [invalid],
    send: createProject({ id: '', employerId: 'e', title: 'Site', currency: 'USD' }),
  },
  {
    name: 'project create: id with a newline',
    expect: [invalid],
    send: createProject({ id: 'a\nb', employerId: 'e', title: 'Site', currency: 'USD' }),
  },
  {
    name: 'project create: unknown field',
    expect: [invalid],
    send: createProject({ employerId: 'e', title: 'Site', currency: 'USD', budget: '1' }),
  },
  {
    name: 'project create: NUL in title',
    expect: [invalid],
    send: createProject({ employerId: 'e', title: 'a\u0000b', currency: 'USD' }),
  },
  {
    name: 'milestone create: type FUND',
    expect: [invalid],
    send: createMilestone((f) => ({ type: 'FUND', actor: f.p.employer, amount: '100', description: 'Work' })),
  },
  {
    name: 'milestone create: type lower case',
    expect: [invalid],
    send: createMilestone((f) => ({ type: 'create', actor: f.p.employer, amount: '100', description: 'Work' })),
  },
  {
    name: 'milestone create: actor number',
    expect: [invalid],
    send: createMilestone(() => ({ type: 'CREATE', actor: 7, amount: '100', description: 'Work' })),
  },
  {
    name: 'milestone create: description number',
    expect: [invalid],
    send: createMilestone((f) => ({ type: 'CREATE', actor: f.p.employer, amount: '100', description: 5 })),
  },
  {
    name: 'milestone create: description blank',
    expect: [invalid],
    send: createMilestone((f) => ({ type: 'CREATE', actor: f.p.employer, amount: '100', description: '' })),
  },
  {
    name: 'milestone create: description 2001 chars',
    expect: [invalid],
    send: createMilestone((f) => ({ type: 'CREATE', actor: f.p.employer, amount: '100', description: long(2001) })),
  },
  {
    name: 'milestone create: id array',
    expect: [invalid],
    send: createMilestone((f) => ({
      id: ['m'],
      type: 'CREATE',
      actor: f.p.employer,
      amount: '100',
      description: 'Work',
    })),
  },
  {
    name: 'milestone create: unknown field',
    expect: [invalid],
    send: createMilestone((f) => ({
      type: 'CREATE',
      actor: f.p.employer,
      amount: '100',
      description: 'Work',
      freelancerId: 'me',
    })),
  },
  { name: 'event: type number', expect: [invalid], send: milestoneEvent((f) => ({ type: 7, actor: f.p.employer })) },
  { name: 'event: type null', expect: [invalid], send: milestoneEvent((f) => ({ type: null, actor: f.p.employer })) },
  { name: 'event: type missing', expect: [invalid], send: milestoneEvent((f) => ({ actor: f.p.employer })) },
  { name: 'event: actor missing', expect: [invalid], send: milestoneEvent(() => ({ type: 'RELEASE' })) },
  { name: 'event: actor number', expect: [invalid], send: milestoneEvent(() => ({ type: 'RELEASE', actor: 1 })) },
  {
    name: 'event: actor object',
    expect: [invalid],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: { id: f.p.employer } })),
  },
  { name: 'event: actor empty', expect: [invalid], send: milestoneEvent(() => ({ type: 'RELEASE', actor: '' })) },
  {
    name: 'event: unknown payload field',
    expect: [invalid],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: f.p.employer, amount: '1', note: 'hi' })),
  },
  {
    name: 'event: payload on a no-payload event',
    expect: [invalid],
    send: milestoneEvent((f) => ({ type: 'CANCEL', actor: f.p.freelancer, reason: 'x' })),
  },
  {
    name: 'event: REQUEST_CANCEL reason number',
    expect: [invalid],
    send: milestoneEvent((f) => ({ type: 'REQUEST_CANCEL', actor: f.p.employer, reason: 42 })),
  },
  {
    name: 'event: REQUEST_CANCEL reason missing',
    expect: [invalid],
    send: milestoneEvent((f) => ({ type: 'REQUEST_CANCEL', actor: f.p.employer })),
  },
  {
    name: 'project event: AWARD freelancerId number',
    expect: [invalid],
    send: projectEvent((f) => ({ type: 'AWARD', actor: f.p.employer, freelancerId: 9 })),
  },
  {
    name: 'project event: LEAVE_FEEDBACK rating string',
    expect: [invalid],
    send: projectEvent((f) => ({ type: 'LEAVE_FEEDBACK', actor: f.p.employer, rating: '5' })),
  },
  {
    name: 'project event: LEAVE_FEEDBACK rating 6',
    expect: [invalid],
    send: projectEvent((f) => ({ type: 'LEAVE_FEEDBACK', actor: f.p.employer, rating: 6 })),
  },
  {
    name: 'deposit: currency lower case',
    expect: [invalid],
    send: depositTo(() => ({ currency: 'usd', amount: '100' })),
  },
  { name: 'deposit: currency missing', expect: [invalid], send: depositTo(() => ({ amount: '100' })) },
  {
    name: 'deposit: unknown field',
    expect: [invalid],
    send: depositTo(() => ({ currency: 'USD', amount: '100', memo: 'x' })),
  },

  // --- money: negative, zero, non-integer, padded, huge — as strings and as raw JSON values
  ...amountTargets.flatMap((t) => [
    ...badAmountStrings.map((a) => ({
      name: `${t.name}: amount ${JSON.stringify(a.length > 40 ? `${a.slice(0, 20)}…(${a.length} chars)` : a)}`,
      expect: [invalid],
      send: (f: Fixture) => t.send(f, JSON.stringify(a)),
    })),
    ...badAmountJson.map((a) => ({
      name: `${t.name}: amount raw JSON ${a}`,
      expect: [invalid],
      send: (f: Fixture) => t.send(f, a),
    })),
  ]),
  {
    name: 'milestone create: amount missing',
    expect: [invalid],
    send: createMilestone((f) => ({ type: 'CREATE', actor: f.p.employer, description: 'Work' })),
  },
  { name: 'deposit: amount missing', expect: [invalid], send: depositTo(() => ({ currency: 'USD' })) },
  {
    name: 'RELEASE: 2^63-1 is money but more than remains',
    expect: [guardFailed],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: f.p.employer, amount: MAX })),
  },
  {
    name: 'RELEASE: one more than remains',
    expect: [guardFailed],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: f.p.employer, amount: '5001' })),
  },
  {
    name: 'deposit: 2^63-1 onto a non-empty balance would overflow',
    expect: [[422, 'guard_failed']],
    send: depositTo(() => ({ currency: 'USD', amount: MAX })),
  },

  // --- unknown event types
  ...[
    'TELEPORT',
    'release',
    'Release',
    'RELEASE ',
    '',
    'A'.repeat(100),
    'AWARD',
    'CONSTRUCTOR',
    '__proto__',
    'constructor',
  ].map((type) => ({
    name: `milestone event: type ${JSON.stringify(type)}`,
    expect: [invalid],
    send: milestoneEvent((f) => ({ type, actor: f.p.employer })),
  })),
  ...['TELEPORT', 'RELEASE'].map((type) => ({
    name: `project event: type ${type}`,
    expect: [invalid],
    send: projectEvent((f) => ({ type, actor: f.p.employer, milestoneId: f.milestoneId, amount: '1' })),
  })),

  // --- system-only events are known to the machine, but no client role may send them (docs/concepts.md "Rules worth knowing")
  ...['SETTLED', 'SETTLEMENT_FAILED'].map((type) => ({
    name: `milestone event: system-only ${type}`,
    expect: [forbidden],
    send: milestoneEvent((f) => ({ type, actor: f.p.employer })),
  })),
  ...['MILESTONE_RELEASED', 'MILESTONE_OPENED', 'MILESTONE_CLOSED'].map((type) => ({
    name: `project event: system-only ${type}`,
    expect: [forbidden],
    send: projectEvent((f) => ({ type, actor: f.p.employer })),
  })),

  // --- unknown ids (and ids of the other kind)
  { name: 'GET unknown project', expect: [notFound], send: (f) => f.http.get(`/v1/projects/${uid('nope')}`) },
  {
    name: 'GET unknown project history',
    expect: [notFound],
    send: (f) => f.http.get(`/v1/projects/${uid('nope')}/history`),
  },
  { name: 'GET project "__proto__"', expect: [notFound], send: (f) => f.http.get('/v1/projects/__proto__') },
  { name: 'GET project "constructor"', expect: [notFound], send: (f) => f.http.get('/v1/projects/constructor') },
  {
    name: 'GET milestone id as a project',
    expect: [notFound],
    send: (f) => f.http.get(`/v1/projects/${f.milestoneId}`),
  },
  { name: 'GET unknown milestone', expect: [notFound], send: (f) => f.http.get(`/v1/milestones/${uid('nope')}`) },
  {
    name: 'GET unknown milestone, wait=settled',
    expect: [notFound],
    send: (f) => f.http.get(`/v1/milestones/${uid('nope')}?wait=settled&timeoutMs=100`),
  },
  {
    name: 'GET unknown milestone history',
    expect: [notFound],
    send: (f) => f.http.get(`/v1/milestones/${uid('nope')}/history`),
  },
  {
    name: 'GET project id as a milestone',
    expect: [notFound],
    send: (f) => f.http.get(`/v1/milestones/${f.p.projectId}`),
  },
  { name: 'GET unknown route', expect: [notFound], send: (f) => f.http.get('/v1/nothing-here') },
  {
    name: 'POST event to unknown project',
    expect: [notFound],
    send: (f) => f.http.post(`/v1/projects/${uid('nope')}/events`, { type: 'COMPLETE', actor: f.p.employer }),
  },
  {
    name: 'POST event to a milestone id as a project',
    expect: [notFound],
    send: (f) => f.http.post(`/v1/projects/${f.milestoneId}/events`, { type: 'COMPLETE', actor: f.p.employer }),
  },
  {
    name: 'POST milestone on unknown project',
    expect: [notFound],
    send: (f) =>
      f.http.post(`/v1/projects/${uid('nope')}/milestones`, {
        type: 'CREATE',
        actor: f.p.employer,
        amount: '100',
        description: 'Work',
      }),
  },
  {
    name: 'POST event to unknown milestone',
    expect: [notFound],
    send: (f) => f.http.post(`/v1/milestones/${uid('nope')}/events`, { type: 'RELEASE', actor: f.p.employer }),
  },
  {
    name: 'POST event to a project id as a milestone',
    expect: [notFound],
    send: (f) => f.http.post(`/v1/milestones/${f.p.projectId}/events`, { type: 'RELEASE', actor: f.p.employer }),
  },

  // --- another project's actor, and wrong roles
  {
    name: "other project's employer RELEASEs",
    expect: [forbidden],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: f.other.employer })),
  },
  {
    name: "other project's freelancer CANCELs",
    expect: [forbidden],
    send: milestoneEvent((f) => ({ type: 'CANCEL', actor: f.other.freelancer })),
  },
  {
    name: "other project's employer accepts a request",
    expect: [forbidden],
    send: (f) =>
      f.http.post(`/v1/milestones/${f.requestedId}/events`, { type: 'ACCEPT_REQUEST', actor: f.other.employer }),
  },
  {
    name: "other project's employer creates a milestone",
    expect: [forbidden],
    send: createMilestone((f) => ({ type: 'CREATE', actor: f.other.employer, amount: '100', description: 'Work' })),
  },
  {
    name: "other project's freelancer requests a milestone",
    expect: [forbidden],
    send: createMilestone((f) => ({ type: 'REQUEST', actor: f.other.freelancer, amount: '100', description: 'Work' })),
  },
  {
    name: "other project's employer COMPLETEs the project",
    expect: [forbidden],
    send: projectEvent((f) => ({ type: 'COMPLETE', actor: f.other.employer })),
  },
  {
    name: 'actor "system" sends RELEASE',
    expect: [forbidden],
    send: milestoneEvent(() => ({ type: 'RELEASE', actor: 'system' })),
  },
  {
    name: 'freelancer sends RELEASE',
    expect: [forbidden],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: f.p.freelancer })),
  },
  {
    name: 'employer sends CANCEL',
    expect: [forbidden],
    send: milestoneEvent((f) => ({ type: 'CANCEL', actor: f.p.employer })),
  },
  {
    name: 'employer creates a milestone with type REQUEST',
    expect: [forbidden],
    send: createMilestone((f) => ({ type: 'REQUEST', actor: f.p.employer, amount: '100', description: 'Work' })),
  },

  // --- tokens and scopes
  { name: 'no token: GET', expect: [unauthenticated], send: (f) => f.anonymous.get(`/v1/projects/${f.p.projectId}`) },
  {
    name: 'no token: POST event',
    expect: [unauthenticated],
    send: (f) => f.anonymous.post(`/v1/milestones/${f.milestoneId}/events`, { type: 'RELEASE', actor: f.p.employer }),
  },
  {
    name: 'no token: deposit',
    expect: [unauthenticated],
    send: (f) => f.anonymous.post(`/v1/accounts/${f.p.employer}/deposits`, { currency: 'USD', amount: '1' }),
  },
  {
    name: 'unknown token: POST event',
    expect: [unauthenticated],
    send: (f) => f.stranger.post(`/v1/milestones/${f.milestoneId}/events`, { type: 'RELEASE', actor: f.p.employer }),
  },
  {
    name: 'unknown token: GET',
    expect: [unauthenticated],
    send: (f) => f.stranger.get(`/v1/milestones/${f.milestoneId}`),
  },
  {
    name: 'empty bearer token',
    expect: [unauthenticated],
    send: (f) =>
      f.anonymous.post(
        `/v1/milestones/${f.milestoneId}/events`,
        { type: 'RELEASE', actor: f.p.employer },
        { authorization: 'Bearer ' },
      ),
  },
  {
    name: 'Basic auth instead of a bearer token',
    expect: [unauthenticated],
    send: (f) =>
      f.anonymous.post(
        `/v1/milestones/${f.milestoneId}/events`,
        { type: 'RELEASE', actor: f.p.employer },
        { authorization: 'Basic dXNlcjpwYXNz' },
      ),
  },
  {
    name: 'valid token followed by junk',
    expect: [unauthenticated],
    send: (f) =>
      f.anonymous.post(
        `/v1/milestones/${f.milestoneId}/events`,
        { type: 'RELEASE', actor: f.p.employer },
        { authorization: `Bearer ${f.http.token} junk` },
      ),
  },
  {
    name: 'truncated valid token',
    expect: [unauthenticated],
    send: (f) =>
      f.anonymous.post(
        `/v1/milestones/${f.milestoneId}/events`,
        { type: 'RELEASE', actor: f.p.employer },
        { authorization: `Bearer ${(f.http.token ?? '').slice(0, -1)}` },
      ),
  },
  {
    name: 'a 5000-char bearer token',
    expect: [unauthenticated],
    send: (f) => f.anonymous.get(`/v1/milestones/${f.milestoneId}`, { authorization: `Bearer ${'a'.repeat(5000)}` }),
  },
  {
    name: 'token in the query string only',
    expect: [unauthenticated],
    send: (f) =>
      f.anonymous.get(`/v1/milestones/${f.milestoneId}?access_token=${encodeURIComponent(f.http.token ?? '')}`),
  },
  {
    name: 'read-only token posts an event',
    expect: [forbidden],
    send: (f) => f.reader.post(`/v1/milestones/${f.milestoneId}/events`, { type: 'RELEASE', actor: f.p.employer }),
  },
  {
    name: 'read-only token creates a project',
    expect: [forbidden],
    send: (f) => f.reader.post('/v1/projects', { employerId: 'e', title: 'Site', currency: 'USD' }),
  },
  {
    name: 'non-admin token deposits',
    expect: [forbidden],
    send: (f) => f.writer.post(`/v1/accounts/${f.p.employer}/deposits`, { currency: 'USD', amount: '1000' }),
  },
  { name: 'write-only token reads', expect: [forbidden], send: (f) => f.writer.get(`/v1/milestones/${f.milestoneId}`) },

  // --- bodies over the limit
  ...writeEndpoints.map((e) => ({
    name: `${e.name}: 1 MiB body`,
    expect: [tooLarge],
    send: (f: Fixture) => f.http.post(e.path(f), oneMiB(e.valid(f))),
  })),
  {
    name: 'milestone event: just over 64 KiB',
    expect: [tooLarge],
    send: (f) =>
      f.http.post(
        `/v1/milestones/${f.milestoneId}/events`,
        JSON.stringify({ type: 'RELEASE', actor: f.p.employer, pad: 'a'.repeat(64 * 1024) }),
      ),
  },

  // --- very long ids (> 200 chars)
  {
    name: 'project create: id 201 chars',
    expect: [invalid],
    send: createProject({ id: long(201), employerId: 'e', title: 'Site', currency: 'USD' }),
  },
  {
    name: 'project create: id 10000 chars',
    expect: [invalid],
    send: createProject({ id: long(10000), employerId: 'e', title: 'Site', currency: 'USD' }),
  },
  {
    name: 'project create: employerId 201 chars',
    expect: [invalid],
    send: createProject({ employerId: long(201), title: 'Site', currency: 'USD' }),
  },
  {
    name: 'milestone create: id 201 chars',
    expect: [invalid],
    send: createMilestone((f) => ({
      id: long(201),
      type: 'CREATE',
      actor: f.p.employer,
      amount: '100',
      description: 'Work',
    })),
  },
  {
    name: 'milestone create: actor 201 chars',
    expect: [invalid],
    send: createMilestone(() => ({ type: 'CREATE', actor: long(201), amount: '100', description: 'Work' })),
  },
  {
    name: 'event: actor 201 chars',
    expect: [invalid],
    send: milestoneEvent(() => ({ type: 'RELEASE', actor: long(201) })),
  },
  {
    name: 'project event: AWARD freelancerId 201 chars',
    expect: [invalid],
    send: projectEvent((f) => ({ type: 'AWARD', actor: f.p.employer, freelancerId: long(201) })),
  },
  {
    name: 'deposit: owner id 201 chars',
    expect: [invalid],
    send: (f) => f.http.post(`/v1/accounts/${long(201)}/deposits`, { currency: 'USD', amount: '100' }),
  },
  { name: 'GET account: owner id 201 chars', expect: [invalid], send: (f) => f.http.get(`/v1/accounts/${long(201)}`) },
  {
    name: 'GET project: id 201 chars',
    expect: [notFound, invalid],
    send: (f) => f.http.get(`/v1/projects/${long(201)}`),
  },
  {
    name: 'GET milestone: id 5000 chars',
    expect: [notFound, invalid],
    send: (f) => f.http.get(`/v1/milestones/${long(5000)}`),
  },
  {
    name: 'POST event: milestone id 5000 chars',
    expect: [notFound, invalid],
    send: (f) => f.http.post(`/v1/milestones/${long(5000)}/events`, { type: 'RELEASE', actor: f.p.employer }),
  },

  // --- headers, query strings, paths and encodings
  {
    name: 'Idempotency-Key of 201 chars',
    expect: [invalid],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: f.p.employer, amount: '1' }), {
      'idempotency-key': long(201),
    }),
  },
  {
    name: 'Idempotency-Key empty',
    expect: [invalid],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: f.p.employer, amount: '1' }), { 'idempotency-key': '' }),
  },
  {
    name: 'If-Match not a number',
    expect: [invalid],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: f.p.employer, amount: '1' }), { 'if-match': '"abc"' }),
  },
  {
    name: 'If-Match negative',
    expect: [invalid],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: f.p.employer, amount: '1' }), { 'if-match': '"-1"' }),
  },
  {
    name: 'If-Match stale',
    expect: [[409, 'version_conflict']],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: f.p.employer, amount: '1' }), { 'if-match': '"0"' }),
  },
  {
    name: 'wait timeoutMs negative',
    expect: [invalid],
    send: (f) => f.http.get(`/v1/milestones/${f.milestoneId}?wait=settled&timeoutMs=-1`),
  },
  {
    name: 'wait timeoutMs not a number',
    expect: [invalid],
    send: (f) => f.http.get(`/v1/milestones/${f.milestoneId}?wait=settled&timeoutMs=soon`),
  },
  {
    name: 'wait timeoutMs over the max',
    expect: [invalid],
    send: (f) => f.http.get(`/v1/milestones/${f.milestoneId}?wait=settled&timeoutMs=99999999`),
  },
  { name: 'wait=forever', expect: [invalid], send: (f) => f.http.get(`/v1/milestones/${f.milestoneId}?wait=forever`) },
  { name: 'list limit 0', expect: [invalid], send: (f) => f.http.get('/v1/milestones?limit=0') },
  { name: 'list cursor not a cursor', expect: [invalid], send: (f) => f.http.get('/v1/milestones?cursor=abc') },
  { name: 'list state with capitals', expect: [invalid], send: (f) => f.http.get('/v1/milestones?state=IN_PROGRESS') },
  {
    name: 'history cursor negative',
    expect: [invalid],
    send: (f) => f.http.get(`/v1/milestones/${f.milestoneId}/history?cursor=-1`),
  },
  { name: 'NUL in a path id', expect: [invalid, notFound], send: (f) => f.http.get('/v1/projects/a%00b') },
  {
    name: 'NUL in an event actor',
    expect: [invalid],
    send: milestoneEvent((f) => ({ type: 'RELEASE', actor: `${f.p.employer}\u0000` })),
  },
  {
    name: 'unsupported charset',
    expect: [[415, 'unsupported_media_type']],
    send: createProject('{}', { 'content-type': 'application/json; charset=latin9' }),
  },
  {
    name: 'unsupported Content-Encoding',
    expect: [invalid, [415, 'invalid_request']],
    send: createProject('{}', { 'content-encoding': 'compress' }),
  },
  {
    name: 'Content-Encoding gzip with a body that is not gzip',
    expect: [invalid],
    send: (f) =>
      f.http.post(`/v1/milestones/${f.milestoneId}/events`, JSON.stringify({ type: 'RELEASE', actor: f.p.employer }), {
        'content-encoding': 'gzip',
      }),
  },
  {
    name: 'malformed percent-encoding in a project id',
    expect: [invalid, notFound],
    send: (f) => f.http.get('/v1/projects/%E0%A4%A'),
  },
  {
    name: 'malformed percent-encoding in a milestone id (POST)',
    expect: [invalid, notFound],
    send: (f) => f.http.post('/v1/milestones/%ZZ/events', { type: 'RELEASE', actor: f.p.employer }),
  },
  {
    name: 'malformed percent-encoding in an owner id',
    expect: [invalid, notFound],
    send: (f) => f.http.get('/v1/accounts/%E0%A4%A'),
  },

  // --- prototype-pollution keys and engine-only fields: refused, never merged
  {
    name: 'project create with "__proto__"',
    expect: [invalid],
    send: createProject('{"employerId":"e","title":"Site","currency":"USD","__proto__":{"polluted":"yes"}}'),
  },
  {
    name: 'project create with "constructor"',
    expect: [invalid],
    send: createProject(
      '{"employerId":"e","title":"Site","currency":"USD","constructor":{"prototype":{"polluted":"yes"}}}',
    ),
  },
  {
    name: 'milestone create with "__proto__"',
    expect: [invalid],
    send: createMilestone(
      (f) =>
        `{"type":"CREATE","actor":${JSON.stringify(f.p.employer)},"amount":"100","description":"Work","__proto__":{"polluted":"yes"}}`,
    ),
  },
  {
    name: 'deposit with "__proto__" carrying the amount',
    expect: [invalid],
    send: depositTo(() => '{"currency":"USD","__proto__":{"amount":"5","polluted":"yes"}}'),
  },
  {
    name: 'deposit with "__proto__" beside the amount',
    expect: [invalid],
    send: depositTo(() => '{"currency":"USD","amount":"5","__proto__":{"polluted":"yes"}}'),
  },
  {
    name: 'event with "constructor"',
    expect: [invalid],
    send: milestoneEvent(
      (f) =>
        `{"type":"RELEASE","actor":${JSON.stringify(f.p.employer)},"amount":"1","constructor":{"prototype":{"polluted":"yes"}}}`,
    ),
  },
  {
    name: 'event with "__proto__" smuggling system:true into SETTLED',
    expect: [invalid, forbidden],
    send: milestoneEvent(() => '{"type":"SETTLED","actor":"nobody","__proto__":{"system":true,"polluted":"yes"}}'),
  },
  {
    name: 'event with a top-level "system": true on an employer event',
    expect: [invalid, forbidden],
    send: milestoneEvent(() => ({ type: 'RELEASE', actor: 'nobody', amount: '1', system: true })),
  },
  // Last: these two reach real state when the service gets them wrong, so they must not disturb earlier cases.
  {
    name: 'RELEASE with "__proto__" carrying the amount',
    expect: [invalid],
    send: (f) =>
      f.http.post(
        `/v1/milestones/${f.victimId}/events`,
        `{"type":"RELEASE","actor":${JSON.stringify(f.p.employer)},"__proto__":{"amount":"1"}}`,
      ),
  },
  {
    name: 'project system event forged with "system": true',
    expect: [invalid, forbidden],
    send: projectEvent((f) => ({
      type: 'MILESTONE_RELEASED',
      actor: 'nobody',
      system: true,
      milestoneId: f.milestoneId,
      amount: '100000',
    })),
  },
];

// ---------------------------------------------------------------------------------------------------------

const COUNTED_TABLES = ['history', 'instances', 'transfers', 'outbox', 'idempotency_keys', 'accounts'] as const;

/** Everything a refused request must not touch: row counts, every instance's seq and state, every balance. */
async function dbFacts(db: Db) {
  const counts: Record<string, number> = {};
  for (const table of COUNTED_TABLES) {
    const row = await db(table).count<{ n: string }[]>({ n: '*' }).first();
    counts[table] = Number(row?.n ?? -1);
  }
  const instances = await db('instances').orderBy('id').select('id', 'seq', 'state');
  const balances = (await db('accounts').orderBy('id').select('id', 'balance')).map(
    (a: { id: string; balance: bigint }) => `${a.id}=${a.balance}`,
  );
  return { counts, instances, balances };
}

function expectDocumentedError(res: HttpResponse, expected: readonly Expected[]): void {
  const summary = `${res.status} ${typeof res.body === 'string' ? res.body.slice(0, 300) : JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, `never a 5xx: ${summary}`).toBeLessThan(500);
  expect(res.headers.get('content-type') ?? '', summary).toMatch(/^application\/json/);
  const body = res.body as { error?: { code?: unknown; message?: unknown } } | null;
  expect(
    typeof body === 'object' && body !== null && typeof body.error === 'object',
    `JSON error body: ${summary}`,
  ).toBe(true);
  expect(
    typeof body?.error?.message === 'string' && body.error.message.trim().length > 0,
    `error.message: ${summary}`,
  ).toBe(true);
  const outcome = `${res.status} ${String(body?.error?.code)}`;
  expect(
    expected.map(([s, c]) => `${s} ${c}`),
    summary,
  ).toContain(outcome);
}

describe('bad input: documented 4xx, JSON error, nothing written', () => {
  let svc: TestService;
  let f: Fixture;
  let baseline: Awaited<ReturnType<typeof dbFacts>>;

  beforeAll(async () => {
    // Deposits up to what the ledger holds, for the bigint edge cases below (DEPOSIT_MAX is lower by default).
    svc = await startTestService({ DEPOSIT_MAX: MAX });
    const { http } = svc;
    const p = await projectInProgress(http);
    const other = await projectInProgress(http);
    await deposit(http, p.employer, '20000');
    const m = await fundedMilestone(http, p, '5000');
    const victim = await fundedMilestone(http, p, '3000');
    const requested = await http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'REQUEST',
      actor: p.freelancer,
      amount: '700',
      description: 'Logo',
    });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    await deposit(http, other.employer, '1000');
    f = {
      http,
      anonymous: new HttpClient(svc.url, null),
      stranger: new HttpClient(svc.url, 'esc_never-issued-token'),
      reader: await svc.clientWith(['read']),
      writer: await svc.clientWith(['events:write']),
      p,
      other,
      milestoneId: m.id as string,
      requestedId: requested.body.id as string,
      victimId: victim.id as string,
    };
    // Nothing in flight: the fixtures' settlements are done, so only the cases below could write.
    for (const id of [f.milestoneId, f.victimId]) expect((await waitSettled(http, id)).state).toBe('in_progress');
    baseline = await dbFacts(svc.db);
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('has a table worth running', () => {
    expect(cases.length).toBeGreaterThan(200);
  });

  it.each(cases)('$name', async (c) => {
    const before = await dbFacts(svc.db);
    const res = await c.send(f);
    expectDocumentedError(res, c.expect);
    expect(await dbFacts(svc.db)).toEqual(before);
  });

  it('the whole table wrote nothing and polluted no prototype', async () => {
    // If a case above was wrongly accepted, let its settlement finish so it cannot leak into later tests.
    await waitSettled(svc.http, f.victimId);
    expect(await dbFacts(svc.db)).toEqual(baseline);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).system).toBeUndefined();
    expect((await svc.http.get(`/v1/milestones/${f.milestoneId}`)).body).toMatchObject({
      state: 'in_progress',
      remainingAmount: '5000',
      seq: 2,
    });
    expect((await svc.http.get(`/v1/projects/${f.p.projectId}`)).body.milestones).toEqual({
      pending: 2,
      releasedTotal: '0',
    });
  });

  it('accepts 2^63-1 as a deposit and round-trips it exactly', async () => {
    const owner = uid('whale');
    const res = await svc.http.request('POST', `/v1/accounts/${owner}/deposits`, { currency: 'SEK', amount: MAX });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.balance).toBe(MAX);

    const account = await svc.http.get(`/v1/accounts/${owner}`);
    expect(account.status).toBe(200);
    expect(account.body).toEqual({
      ownerId: owner,
      balances: [{ currency: 'SEK', currencyExponent: 2, available: MAX, held: '0' }],
    });
    // A string, not a JSON number that a client would round to 9223372036854775808.
    expect(typeof account.body.balances[0].available).toBe('string');

    // One more minor unit does not fit: refused naming its cause (the ledger's limit), balance untouched. The
    // platform's external account for SEK is as full as it gets too, so every owner's next SEK deposit is
    // refused the same way, saying so rather than blaming the request.
    const before = await dbFacts(svc.db);
    const more = await svc.http.post(`/v1/accounts/${owner}/deposits`, { currency: 'SEK', amount: '1' });
    expectDocumentedError(more, [[422, 'guard_failed']]);
    expect(more.body.error).toMatchObject({ rule: 'balance_limit', details: { currency: 'SEK', max: MAX } });
    expect(more.body.error.message).toMatch(/past 9223372036854775807 minor units/);
    const someoneElse = await svc.http.post(`/v1/accounts/${uid('minnow')}/deposits`, { currency: 'SEK', amount: '1' });
    expect(someoneElse.body.error).toMatchObject({
      code: 'guard_failed',
      rule: 'balance_limit',
      details: { account: 'external' },
    });
    expect(someoneElse.body.error.message).toMatch(/external account for SEK/);
    expect(await dbFacts(svc.db)).toEqual(before);
    expect((await svc.http.get(`/v1/accounts/${owner}`)).body.balances).toEqual([
      { currency: 'SEK', currencyExponent: 2, available: MAX, held: '0' },
    ]);
  });

  it('funds and releases a 2^63-1 milestone exactly', async () => {
    const p = await projectInProgress(svc.http, 'NOK');
    const m = await fundedMilestone(svc.http, p, MAX);
    expect(m).toMatchObject({ amount: MAX, remainingAmount: MAX, releasedAmount: '0' });
    const release = await svc.http.post(`/v1/milestones/${m.id}/events`, { type: 'RELEASE', actor: p.employer });
    expect(release.status, JSON.stringify(release.body)).toBe(200);
    expect(await waitSettled(svc.http, m.id)).toMatchObject({
      state: 'released',
      releasedAmount: MAX,
      remainingAmount: '0',
    });
    expect((await svc.http.get(`/v1/accounts/${p.freelancer}`)).body.balances).toEqual([
      { currency: 'NOK', currencyExponent: 2, available: MAX, held: '0' },
    ]);
    expect((await svc.http.get(`/v1/accounts/${p.employer}`)).body.balances).toEqual([
      { currency: 'NOK', currencyExponent: 2, available: '0', held: '0' },
    ]);
  });
});

// With no workers running, a funding milestone stays in `funding`, so a forged SETTLED cannot race the real one.
describe('engine-only fields in an event body (workers stopped)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({}, { api: true, workers: false });
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('a caller cannot send SETTLED by adding "system": true', async () => {
    const { http } = svc;
    const p = await projectInProgress(http);
    await deposit(http, p.employer, '1000');
    const created = await http.post(`/v1/projects/${p.projectId}/milestones`, {
      type: 'CREATE',
      actor: p.employer,
      amount: '1000',
      description: 'Work',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const before = await dbFacts(svc.db);

    const forged = await http.post(`/v1/milestones/${id}/events`, {
      type: 'SETTLED',
      actor: uid('mallory'),
      system: true,
    });
    expectDocumentedError(forged, [invalid, forbidden]);
    expect(await dbFacts(svc.db)).toEqual(before);
    const after = await http.get(`/v1/milestones/${id}`);
    expect(after.body).toMatchObject({ state: 'funding', seq: 1 });
    expect((await http.get(`/v1/milestones/${id}/history`)).body.items).toHaveLength(1);
  });
});
