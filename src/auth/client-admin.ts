import type { Knex } from 'knex';
import { ClientRevokedError, UnknownClientError } from './client-errors.js';
import { hashToken, newToken, type Scope } from './tokens.js';

interface ClientRow {
  n: bigint;
  id: string;
  name: string;
  scopes: Scope[];
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  rotated_at: Date | null;
}

/** A client as `GET /v1/clients` and `cli clients list` show it: never its token or the token's hash. */
export interface ClientView {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  rotatedAt: string | null;
}

const VIEW_COLUMNS = [
  'n',
  'id',
  'name',
  'scopes',
  'created_at',
  'last_used_at',
  'expires_at',
  'revoked_at',
  'rotated_at',
];

export function clientView(row: ClientRow): ClientView {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    expiresAt: row.expires_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    rotatedAt: row.rotated_at?.toISOString() ?? null,
  };
}

/** Clients in the order they were created, a page at a time (`cursor`: the last page's nextCursor). */
export async function listClients(
  db: Knex,
  limit: number,
  cursor?: string,
): Promise<{ items: ClientView[]; nextCursor: string | null }> {
  const query = db('api_clients')
    .select<ClientRow[]>(VIEW_COLUMNS)
    .orderBy('n')
    .limit(limit + 1);
  if (cursor !== undefined) query.andWhere('n', '>', cursor);
  const rows = await query;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(clientView), nextCursor: rows.length > limit && last ? String(last.n) : null };
}

/** The client an operator names by id or by name (ids and names never look alike: ids start "cli_"). */
export async function findClient(db: Knex, ref: string): Promise<ClientView> {
  const row = await db('api_clients')
    .where({ id: ref })
    .orWhere({ name: ref })
    .orderByRaw('id = ? DESC', [ref])
    .first<ClientRow | undefined>(VIEW_COLUMNS);
  if (!row) throw new UnknownClientError(ref);
  return clientView(row);
}

/**
 * Revokes a client: its token answers 401 from now on (every API process drops it from its cache on the
 * signal the caller sends, or within AUTH_CACHE_MS) and its admin sessions end. Revoking twice changes nothing.
 */
export async function revokeClient(db: Knex, ref: string): Promise<ClientView> {
  const client = await findClient(db, ref);
  return db.transaction(async (trx) => {
    const [row]: ClientRow[] = await trx('api_clients')
      .where({ id: client.id })
      .update({ revoked_at: trx.raw('coalesce(revoked_at, now())') })
      .returning(VIEW_COLUMNS);
    await trx('admin_sessions').where({ client_id: client.id }).del();
    return clientView(row!);
  });
}

/**
 * Gives a client a new token (returned once) in place of the old one, which stops working at once: the same
 * id, name and scopes, so history keeps naming one client across rotations. Its admin sessions end too (one
 * may have been opened with the leaked token). `expiresAt` replaces the expiry when given.
 */
export async function rotateClient(
  db: Knex,
  ref: string,
  options: { expiresAt?: Date | null } = {},
): Promise<ClientView & { token: string }> {
  const client = await findClient(db, ref);
  if (client.revokedAt !== null) throw new ClientRevokedError(client.id);
  const token = newToken();
  return db.transaction(async (trx) => {
    const [row]: ClientRow[] = await trx('api_clients')
      .where({ id: client.id })
      .whereNull('revoked_at')
      .update({
        token_hash: hashToken(token),
        rotated_at: trx.fn.now(),
        ...(options.expiresAt !== undefined && { expires_at: options.expiresAt }),
      })
      .returning(VIEW_COLUMNS);
    if (!row) throw new ClientRevokedError(client.id);
    await trx('admin_sessions').where({ client_id: client.id }).del();
    return { ...clientView(row), token };
  });
}
