import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/auth/tokens.js';
import { HttpClient } from '../support/http-client.js';
import { startTestService, type TestService } from '../support/test-service.js';

describe('token lookups', () => {
  let cached: TestService;
  let uncached: TestService;
  beforeAll(async () => {
    cached = await startTestService({ AUTH_CACHE_MS: '600000' }, { workers: false });
    uncached = await startTestService({ AUTH_CACHE_MS: '0' }, { workers: false });
  });
  afterAll(async () => {
    await cached?.stop();
    await uncached?.stop();
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

  it('never caches an unknown token: a client created after a refusal works at once', async () => {
    const stranger = new HttpClient(cached.url, 'esc_not-yet-issued');
    expect((await stranger.get('/v1/machines')).status).toBe(401);
    const { token } = await createClient(cached.db, 'new', ['read']);
    expect((await new HttpClient(cached.url, token).get('/v1/machines')).status).toBe(200);
  });
});
