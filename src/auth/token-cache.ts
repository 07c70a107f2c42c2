import type { Knex } from 'knex';
import { clientByToken, hashToken, type ApiClient } from './tokens.js';

/**
 * Remembers known tokens for `ttlMs`, saving a database round trip on every authenticated request (the hot
 * path posts events at a high rate with a handful of tokens). Unknown tokens are not cached, so a new client
 * works at once; a client deleted from the database keeps working for at most `ttlMs` in each API process.
 * Keyed by the token's hash, never the token. At most `maxEntries`; when full it starts over.
 */
export function cachedClientLookup(
  db: Knex,
  ttlMs: number,
  maxEntries = 10_000,
): (token: string) => Promise<ApiClient | null> {
  if (ttlMs === 0) return (token) => clientByToken(db, token);
  const cache = new Map<string, { client: ApiClient; until: number }>();
  return async (token) => {
    const key = hashToken(token);
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.client;
    const client = await clientByToken(db, token);
    if (client) {
      if (cache.size >= maxEntries) cache.clear();
      cache.set(key, { client, until: Date.now() + ttlMs });
    }
    return client;
  };
}
