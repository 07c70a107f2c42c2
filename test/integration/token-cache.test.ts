import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenCache } from '../../src/auth/token-cache.js';
import { createClient } from '../../src/auth/tokens.js';
import { eventually } from '../support/eventually.js';
import { HttpClient } from '../support/http-client.js';
import { startTestService, type TestService } from '../support/test-service.js';

/** Counts the statements the service sends about api_clients while `work` runs. */
async function clientQueries(svc: TestService, work: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const listener = (q: { sql?: string }) => {
    if (q.sql?.includes('"api_clients"') && q.sql.includes('token_hash')) count++;
  };
  svc.db.on('query', listener);
  try {
    await work();
  } finally {
    svc.db.off('query', listener);
  }
  return count;
}

describe('token lookups', () => {
  let cached: TestService;
  let uncached: TestService;
  let defaults: TestService;
  beforeAll(async () => {
    cached = await startTestService({ AUTH_CACHE_MS: '600000', AUTH_FAILURES_PER_SEC: '0' }, { workers: false });
    uncached = await startTestService({ AUTH_CACHE_MS: '0' }, { workers: false });
    defaults = await startTestService({}, { workers: false });
  });
  afterAll(async () => {
    await cached?.stop();
    await uncached?.stop();
    await defaults?.stop();
  });

  async function removedClientAnswers(svc: TestService): Promise<number> {
    const { id, token } = await createClient(svc.db, 'short-lived', ['read']);
    const http = new HttpClient(svc.url, token);
    expect((await http.get('/v1/machines')).status).toBe(200);
    await svc.db('idempotency_keys').where({ client_id: id }).del();
    await svc.db('api_clients').where({ id }).del();
    return (await http.get('/v1/machines')).status;
  }

  it('reuses a known token within AUTH_CACHE_MS, so a removed client works until it expires', async () => {
    expect(await removedClientAnswers(cached)).toBe(200);
  });

  it('asks the database on every request when AUTH_CACHE_MS is 0', async () => {
    expect(await removedClientAnswers(uncached)).toBe(401);
  });

  it('drops a revoked token within the default TTL even when no signal arrives', async () => {
    const { id, token } = await createClient(defaults.db, 'revoked-quietly', ['read']);
    const http = new HttpClient(defaults.url, token);
    expect((await http.get('/v1/machines')).status).toBe(200);
    // Revoked in the database only: no "client changed" signal is sent, as when Redis loses it.
    await defaults.db('api_clients').where({ id }).update({ revoked_at: defaults.db.fn.now() });
    const started = Date.now();
    await eventually(async () => expect((await http.get('/v1/machines')).status).toBe(401), 5_000, 50);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('remembers an unknown token for a while: repeating it costs no database query', async () => {
    const stranger = new HttpClient(cached.url, 'esc_not-yet-issued');
    const queries = await clientQueries(cached, async () => {
      for (let i = 0; i < 50; i++) expect((await stranger.get('/v1/machines')).status).toBe(401);
    });
    expect(queries).toBeLessThanOrEqual(1);
  });

  it('looks distinct unknown tokens up one statement at a time', async () => {
    // A flood of distinct bad tokens must not take the whole connection pool: lookups go out one at a time.
    let inFlight = 0;
    let maxInFlight = 0;
    const isLookup = (q: { sql?: string }) => q.sql?.includes('"api_clients"') && q.sql.includes('token_hash');
    const started = (q: { sql?: string }) => {
      if (isLookup(q)) maxInFlight = Math.max(maxInFlight, ++inFlight);
    };
    const ended = (_response: unknown, q: { sql?: string }) => {
      if (isLookup(q)) inFlight--;
    };
    cached.db.on('query', started).on('query-response', ended);
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => new HttpClient(cached.url, `esc_flood-${i}`).get('/v1/machines')),
    );
    cached.db.off('query', started).off('query-response', ended);
    expect(new Set(statuses.map((r) => r.status))).toEqual(new Set([401]));
    expect(maxInFlight).toBe(1);
  });

  it('shares a statement among the lookups that queued behind the one in flight', async () => {
    // Whether requests over HTTP queue depends on how fast each lookup returns; here all of them are asked at once.
    const cache = new TokenCache(cached.db, {
      ttlMs: 0,
      negativeTtlMs: 0,
      maxEntries: 10,
      negativeMaxEntries: 10,
      lookupBatchMax: 64,
    });
    const queries = await clientQueries(cached, async () => {
      const found = await Promise.all(Array.from({ length: 200 }, (_, i) => cache.lookup(`esc_queued-${i}`)));
      expect(found.every((client) => client === null)).toBe(true);
    });
    // The first alone, then the 199 that queued meanwhile, 64 at a time.
    expect(queries).toBe(1 + Math.ceil(199 / 64));
  });

  it('lets a client created after a refusal in at once (its token was never refused)', async () => {
    const stranger = new HttpClient(cached.url, 'esc_not-yet-issued-either');
    expect((await stranger.get('/v1/machines')).status).toBe(401);
    const { token } = await createClient(cached.db, 'new', ['read']);
    expect((await new HttpClient(cached.url, token).get('/v1/machines')).status).toBe(200);
  });
});
