import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/api/rate-limit.js';
import { loadConfig } from '../../src/config.js';
import type { HttpClient, HttpResponse } from '../support/http-client.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { projectInProgress } from '../support/scenario.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Issue #8 part 4: a per-token request budget (RATE_LIMIT_PER_SEC sustained, RATE_LIMIT_BURST at once).
// A client over its budget gets 429 rate_limited with Retry-After; other clients and the health endpoints
// are untouched.

const PER_SEC = 5;
const BURST = 20;

/** Sends `n` requests at once and returns every response. */
async function burst(client: HttpClient, n: number, path: string): Promise<HttpResponse[]> {
  return Promise.all(Array.from({ length: n }, () => client.get(path)));
}

describe('rate limiting per token', () => {
  let svc: TestService;
  let projectId: string;

  beforeAll(async () => {
    svc = await startTestService(
      { RATE_LIMIT_PER_SEC: String(PER_SEC), RATE_LIMIT_BURST: String(BURST) },
      { workers: false },
    );
    // Set up with a client of its own, so the budgets of the clients under test start full.
    const setup = await svc.clientWith(['events:write', 'read']);
    projectId = (await projectInProgress(setup)).projectId;
  });
  afterEach(async () => assertLedgerInvariants(svc.db));
  afterAll(async () => svc?.stop());

  it('answers 429 rate_limited with Retry-After past the burst, and only for that token', async () => {
    const noisy = await svc.clientWith(['read']);
    const quiet = await svc.clientWith(['read']);
    const results = await burst(noisy, BURST + 15, `/v1/projects/${projectId}`);
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect(ok.length + limited.length, `only 200 or 429: ${results.map((r) => r.status).join(',')}`).toBe(
      results.length,
    );
    // Up to the burst passes (a window may roll over mid-burst and grant a few more), the rest is refused.
    expect(ok.length).toBeGreaterThanOrEqual(BURST);
    expect(ok.length).toBeLessThanOrEqual(BURST + PER_SEC);
    expect(limited.length).toBeGreaterThanOrEqual(15 - PER_SEC);
    for (const r of limited) {
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.body.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/retry after \d+ s/) });
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(
        Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= Math.ceil(BURST / PER_SEC),
        `Retry-After ${retryAfter}`,
      ).toBe(true);
    }

    // Another token is unaffected while the noisy one is still over its budget.
    const other = await burst(quiet, 10, `/v1/projects/${projectId}`);
    expect(other.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect((await noisy.get(`/v1/projects/${projectId}`)).status).toBe(429);
  });

  it('refuses writes over the budget without writing anything', async () => {
    const writer = await svc.clientWith(['events:write', 'read']);
    await burst(writer, BURST + 5, `/v1/projects/${projectId}`);
    const before = await svc.db('instances').count<{ n: string }[]>({ n: '*' }).first();
    const refused = await writer.post('/v1/projects', { employerId: 'e', title: 'Over budget', currency: 'USD' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(await svc.db('instances').count<{ n: string }[]>({ n: '*' }).first()).toEqual(before);
  });

  it('never limits /healthz and /readyz', async () => {
    const statuses = (
      await Promise.all(
        Array.from({ length: BURST * 3 }, (_, i) => fetch(`${svc.url}/${i % 2 ? 'healthz' : 'readyz'}`)),
      )
    ).map((r) => r.status);
    expect(statuses).toEqual(Array(BURST * 3).fill(200));
  });

  it('refills: a limited token is served again after Retry-After', async () => {
    const client = await svc.clientWith(['read']);
    const results = await burst(client, BURST + 5, `/v1/projects/${projectId}`);
    const limited = results.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, Number(limited!.headers.get('retry-after')) * 1000 + 100));
    expect((await client.get(`/v1/projects/${projectId}`)).status).toBe(200);
  });
});

describe('rate limiter: configuration and budget', () => {
  it('is on by default, generously, and off with 0', () => {
    const defaults = loadConfig({});
    expect(defaults.RATE_LIMIT_PER_SEC).toBeGreaterThanOrEqual(200);
    expect(defaults.RATE_LIMIT_BURST).toBeGreaterThanOrEqual(defaults.RATE_LIMIT_PER_SEC);
    expect(() => loadConfig({ RATE_LIMIT_PER_SEC: '10', RATE_LIMIT_BURST: '5' })).toThrow(/RATE_LIMIT_BURST/);
    expect(loadConfig({ RATE_LIMIT_PER_SEC: '0' }).RATE_LIMIT_PER_SEC).toBe(0);
  });

  it('grants exactly the burst at once, keyed per client', async () => {
    const limiter = createRateLimiter(10, 30);
    const a = await Promise.all(Array.from({ length: 40 }, () => limiter('a')));
    expect(a.filter((d) => d.allowed)).toHaveLength(30);
    const refused = a.find((d) => !d.allowed)!;
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(3_000);
    expect((await limiter('b')).allowed).toBe(true);
  });

  it('with burst equal to the rate, is a plain per-second budget', async () => {
    const limiter = createRateLimiter(3, 3);
    const decisions = await Promise.all(Array.from({ length: 5 }, () => limiter('k')));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(decisions[4]!.retryAfterMs).toBeLessThanOrEqual(1_000);
  });
});

describe('rate limiting off (RATE_LIMIT_PER_SEC=0)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ RATE_LIMIT_PER_SEC: '0', RATE_LIMIT_BURST: '1' }, { workers: false });
  });
  afterAll(async () => svc?.stop());

  it('never answers 429', async () => {
    const results = await burst(svc.http, 100, '/v1/machines');
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([200]));
  });
});
