import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { newId } from '../ids.js';
import { ClientNameTakenError } from './client-errors.js';

export const SCOPES = ['events:write', 'read', 'support', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** An API client as authentication knows it: only clients that are neither revoked nor expired. */
export interface ApiClient {
  id: string;
  name: string;
  scopes: Scope[];
  /** When its token stops working by itself; null for a token without expiry. */
  expiresAt: Date | null;
}

/** Only a hash is stored: a leaked database does not leak usable tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 32 random bytes; the prefix lets secret scanners recognise a leaked token. */
export function newToken(): string {
  return `esc_${randomBytes(32).toString('base64url')}`;
}

const UNIQUE_VIOLATION = '23505';

/**
 * Issues a client and its token (returned once; only its hash is stored). Names are unique, so a name in a
 * history entry or a log line names one credential: an existing name throws ClientNameTakenError.
 */
export async function createClient(
  db: Knex,
  name: string,
  scopes: Scope[],
  options: { expiresAt?: Date | null } = {},
): Promise<ApiClient & { token: string }> {
  const id = newId('cli');
  const token = newToken();
  const expiresAt = options.expiresAt ?? null;
  try {
    await db('api_clients').insert({ id, name, token_hash: hashToken(token), scopes, expires_at: expiresAt });
  } catch (error) {
    const e = error as { code?: unknown; constraint?: unknown };
    if (e.code === UNIQUE_VIOLATION && e.constraint === 'api_clients_name_key') throw new ClientNameTakenError(name);
    throw error;
  }
  return { id, name, scopes, expiresAt, token };
}

/** The columns of api_clients that authentication reads. */
export interface ClientAuthRow {
  id: string;
  name: string;
  scopes: Scope[];
  token_hash: string;
  expires_at: Date | null;
}

/** A client that may authenticate: neither revoked nor expired (SQL over api_clients, unqualified). */
export const ACTIVE_CLIENT_SQL = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())';

export function apiClientOf(row: Omit<ClientAuthRow, 'token_hash'>): ApiClient {
  return { id: row.id, name: row.name, scopes: row.scopes, expiresAt: row.expires_at };
}

/** The client a token belongs to, if it is neither revoked nor expired; one indexed lookup. */
export async function clientByToken(db: Knex, token: string): Promise<ApiClient | null> {
  const row = await db<ClientAuthRow>('api_clients')
    .where({ token_hash: hashToken(token) })
    .whereRaw(ACTIVE_CLIENT_SQL)
    .first('id', 'name', 'scopes', 'expires_at');
  return row ? apiClientOf(row) : null;
}
