import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { newId } from '../ids.js';

export const SCOPES = ['events:write', 'read', 'support', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiClient {
  id: string;
  name: string;
  scopes: Scope[];
}

/** Only a hash is stored: a leaked database does not leak usable tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createClient(db: Knex, name: string, scopes: Scope[]): Promise<ApiClient & { token: string }> {
  const id = newId('cli');
  const token = `esc_${randomBytes(32).toString('base64url')}`;
  await db('api_clients').insert({ id, name, token_hash: hashToken(token), scopes });
  return { id, name, scopes, token };
}

export async function clientByToken(db: Knex, token: string): Promise<ApiClient | null> {
  const row = await db('api_clients')
    .where({ token_hash: hashToken(token) })
    .first('id', 'name', 'scopes');
  return row ? { id: row.id, name: row.name, scopes: row.scopes } : null;
}
