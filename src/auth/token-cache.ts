import type { Knex } from 'knex';
import { Batcher } from '../db/batcher.js';
import { ACTIVE_CLIENT_SQL, apiClientOf, hashToken, type ApiClient, type ClientAuthRow } from './tokens.js';

export interface TokenCacheOptions {
  /** How long a token looked up as valid is trusted without asking again (0: ask on every request). */
  ttlMs: number;
  /** How long a token looked up as unknown is refused without asking again (0: never remembered). */
  negativeTtlMs: number;
  maxEntries: number;
  negativeMaxEntries: number;
  /** Most tokens one lookup statement carries. */
  lookupBatchMax: number;
}

interface Known {
  client: ApiClient;
  untilMs: number;
}

/**
 * Which API client a bearer token belongs to, asked of the database as rarely as correctness allows. Keyed by
 * the token's hash, never the token.
 * - A valid token is trusted for `ttlMs` (and never past its client's expiry); `forget(clientId)`, called on the
 *   "client changed" signal, drops it at once when the client is revoked or rotated. The TTL is the fallback
 *   when that signal is lost.
 * - An unknown token is refused from memory for `negativeTtlMs`: repeating a bad token costs no query.
 * - The lookups that do go to the database share statements (Batcher), one at a time: a flood of distinct bad
 *   tokens costs one query per batch and holds at most one pooled connection, however fast it comes.
 * Each map starts over when full; that only costs lookups.
 */
export class TokenCache {
  private readonly known = new Map<string, Known>();
  private readonly unknown = new Map<string, number>();
  private readonly lookups: Batcher<string, ApiClient | null>;

  constructor(
    db: Knex,
    private readonly options: TokenCacheOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.lookups = new Batcher((hashes) => clientsByHashes(db, hashes), {
      maxBatch: options.lookupBatchMax,
      maxInFlight: 1,
    });
  }

  async lookup(token: string): Promise<ApiClient | null> {
    const hash = hashToken(token);
    const now = this.now();
    const hit = this.known.get(hash);
    if (hit && hit.untilMs > now) return hit.client;
    const refusedUntil = this.unknown.get(hash);
    if (refusedUntil !== undefined && refusedUntil > now) return null;
    const client = await this.lookups.submit(hash);
    this.remember(hash, client);
    return client;
  }

  /** Drops what is cached about a client (revoked, rotated, changed) and every remembered unknown token. */
  forget(clientId: string): void {
    for (const [hash, entry] of this.known) if (entry.client.id === clientId) this.known.delete(hash);
    this.unknown.clear();
  }

  private remember(hash: string, client: ApiClient | null): void {
    const now = this.now();
    if (client) {
      this.unknown.delete(hash);
      if (this.options.ttlMs === 0) return;
      if (this.known.size >= this.options.maxEntries) this.known.clear();
      const expiresMs = client.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
      this.known.set(hash, { client, untilMs: Math.min(now + this.options.ttlMs, expiresMs) });
    } else if (this.options.negativeTtlMs > 0) {
      if (this.unknown.size >= this.options.negativeMaxEntries) this.unknown.clear();
      this.unknown.set(hash, now + this.options.negativeTtlMs);
    }
  }
}

/** Active clients (neither revoked nor expired) by token hash, one result per hash in order. */
async function clientsByHashes(db: Knex, hashes: string[]): Promise<(ApiClient | null)[]> {
  const rows = await db<ClientAuthRow>('api_clients')
    .whereIn('token_hash', [...new Set(hashes)])
    .whereRaw(ACTIVE_CLIENT_SQL)
    .select('token_hash', 'id', 'name', 'scopes', 'expires_at');
  const byHash = new Map(rows.map((r) => [r.token_hash, apiClientOf(r)]));
  return hashes.map((h) => byHash.get(h) ?? null);
}
