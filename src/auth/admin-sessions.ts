import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { apiClientOf, hashToken, type ApiClient, type ClientAuthRow } from './tokens.js';

/**
 * Browser sessions for the /admin pages (POST /admin/login). The cookie holds a random session id, never a
 * token: it opens nothing but /admin, and only until it expires or the session is ended (logout, or the
 * client's revocation or rotation). Only the id's hash is stored, like tokens, so a database dump opens nothing.
 */
export async function startAdminSession(db: Knex, clientId: string, ttlS: number): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  await db('admin_sessions').insert({
    id_hash: hashToken(id),
    client_id: clientId,
    expires_at: db.raw(`now() + (? * interval '1 second')`, [ttlS]),
  });
  // Expired rows are of no use to anyone: each login sweeps them (logins are rare, the index makes it cheap).
  await db('admin_sessions').where('expires_at', '<', db.fn.now()).del();
  return id;
}

/**
 * The client behind a live session: the session unexpired, and its client still active and still holding the
 * admin scope (checked on every request, so a revocation or a scope change ends the session at once).
 */
export async function adminSessionClient(db: Knex, sessionId: string): Promise<ApiClient | null> {
  const { rows } = await db.raw<{ rows: Omit<ClientAuthRow, 'token_hash'>[] }>(
    `SELECT c.id, c.name, c.scopes, c.expires_at
     FROM admin_sessions AS s JOIN api_clients AS c ON c.id = s.client_id
     WHERE s.id_hash = ? AND s.expires_at > now()
       AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > now()) AND 'admin' = ANY(c.scopes)`,
    [hashToken(sessionId)],
  );
  const [row] = rows;
  return row ? apiClientOf(row) : null;
}

/** Ends a session: its cookie opens nothing afterwards. Ending an unknown or ended session changes nothing. */
export async function endAdminSession(db: Knex, sessionId: string): Promise<void> {
  await db('admin_sessions')
    .where({ id_hash: hashToken(sessionId) })
    .del();
}
